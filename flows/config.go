package flows

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// ConfigVersion is the format version of the connections file.
const ConfigVersion = 1

// ConfigFileName is the name of the connections file in the config dir.
const ConfigFileName = "connections.json"

// Connection is what tether keeps about a connection besides its secret:
// nothing here is secret, and the file it lives in may be read by anyone
// who can read the admin's config directory.
type Connection struct {
	Provider string `json:"provider"`
	Name     string `json:"name"`
	Method   string `json:"method"`
	// Tenant names the tenant, org or domain for display.
	Tenant string `json:"tenant"`
	// Settings are the non-secret inputs (domain, client id, …).
	Settings     map[string]string `json:"settings,omitempty"`
	Capabilities []string          `json:"capabilities"`
	// Store is where the secret lives, so that a later TETHER_STORE does
	// not send tether looking in the wrong place.
	Store            StoreKind     `json:"store"`
	CreatedAt        time.Time     `json:"created_at"`
	UpdatedAt        time.Time     `json:"updated_at"`
	SecretExpiresAt  *time.Time    `json:"secret_expires_at,omitempty"`
	LastVerification *Verification `json:"last_verification,omitempty"`
}

// Key returns the store key of c.
func (c Connection) Key() Key { return Key{Provider: c.Provider, Name: c.Name} }

// Verification records the outcome of the last verification.
type Verification struct {
	At time.Time `json:"at"`
	// Verdict is "ok", "missing" or "no-verdict".
	Verdict string `json:"verdict"`
	// Counts holds the number of checks per status.
	Counts map[string]int `json:"counts"`
	// Missing names the permissions that were missing.
	Missing []string `json:"missing,omitempty"`
}

// Draft is a setup in progress: enough to resume it at the step it
// reached. It never holds a secret.
type Draft struct {
	Provider     string            `json:"provider"`
	Name         string            `json:"name"`
	Method       string            `json:"method,omitempty"`
	Step         string            `json:"step"`
	Capabilities []string          `json:"capabilities,omitempty"`
	Inputs       map[string]string `json:"inputs,omitempty"`
	UpdatedAt    time.Time         `json:"updated_at"`
}

// ConfigFile is the content of the connections file.
type ConfigFile struct {
	Version     int          `json:"version"`
	Connections []Connection `json:"connections"`
	Drafts      []Draft      `json:"drafts,omitempty"`
}

// Find returns the connection with key k.
func (f *ConfigFile) Find(k Key) (Connection, bool) {
	for _, c := range f.Connections {
		if c.Key() == k {
			return c, true
		}
	}
	return Connection{}, false
}

// Put adds c or replaces the connection with the same key, keeping the
// connections sorted by provider and name.
func (f *ConfigFile) Put(c Connection) {
	f.Connections = slices.DeleteFunc(f.Connections, func(o Connection) bool { return o.Key() == c.Key() })
	f.Connections = append(f.Connections, c)
	slices.SortFunc(f.Connections, func(a, b Connection) int {
		return strings.Compare(a.Key().String(), b.Key().String())
	})
}

// Remove deletes the connection with key k and reports whether it existed.
func (f *ConfigFile) Remove(k Key) bool {
	n := len(f.Connections)
	f.Connections = slices.DeleteFunc(f.Connections, func(o Connection) bool { return o.Key() == k })
	return len(f.Connections) != n
}

// Draft returns the setup in progress for k.
func (f *ConfigFile) Draft(k Key) (Draft, bool) {
	for _, d := range f.Drafts {
		if d.Provider == k.Provider && d.Name == k.Name {
			return d, true
		}
	}
	return Draft{}, false
}

// PutDraft records d, replacing any draft for the same key.
func (f *ConfigFile) PutDraft(d Draft) {
	f.RemoveDraft(Key{Provider: d.Provider, Name: d.Name})
	f.Drafts = append(f.Drafts, d)
}

// RemoveDraft forgets the draft for k.
func (f *ConfigFile) RemoveDraft(k Key) {
	f.Drafts = slices.DeleteFunc(f.Drafts, func(d Draft) bool { return d.Provider == k.Provider && d.Name == k.Name })
}

// Config reads and writes the connections file in Dir.
type Config struct {
	Dir string
}

// DefaultConfigDir returns $TETHER_CONFIG_DIR, or tether's directory in the
// user's config dir ($XDG_CONFIG_HOME/tether on Linux).
func DefaultConfigDir() (string, error) {
	if d := os.Getenv("TETHER_CONFIG_DIR"); d != "" {
		return filepath.Abs(d)
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("finding the config directory: %w (set TETHER_CONFIG_DIR)", err)
	}
	return filepath.Join(base, "tether"), nil
}

// Path returns the connections file's path.
func (c Config) Path() string { return filepath.Join(c.Dir, ConfigFileName) }

// ConfigError says that the connections file cannot be used.
type ConfigError struct {
	Path string
	Err  error
}

func (e *ConfigError) Error() string { return fmt.Sprintf("config file %s: %v", e.Path, e.Err) }
func (e *ConfigError) Unwrap() error { return e.Err }

// Load reads the connections file. A missing file is an empty config.
func (c Config) Load() (*ConfigFile, error) {
	data, err := os.ReadFile(c.Path())
	if errors.Is(err, fs.ErrNotExist) {
		return &ConfigFile{Version: ConfigVersion}, nil
	}
	if err != nil {
		return nil, &ConfigError{Path: c.Path(), Err: err}
	}
	return parseConfig(c.Path(), data)
}

func parseConfig(path string, data []byte) (*ConfigFile, error) {
	var f ConfigFile
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&f); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line := 1 + bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n"))
			return nil, &ConfigError{Path: path, Err: fmt.Errorf("line %d: %v; fix or remove the file", line, se)}
		}
		return nil, &ConfigError{Path: path, Err: fmt.Errorf("%v; fix or remove the file", err)}
	}
	switch {
	case f.Version == 0:
		return nil, &ConfigError{Path: path, Err: errors.New("no format version; fix or remove the file")}
	case f.Version > ConfigVersion:
		return nil, &ConfigError{Path: path, Err: fmt.Errorf("format version %d was written by a newer tether (this one reads %d)", f.Version, ConfigVersion)}
	}
	return &f, nil
}

// Update reads the connections file, applies fn and writes the result
// atomically with mode 0600, holding a lock so that concurrent tethers do
// not lose each other's changes. Nothing is written when fn fails.
func (c Config) Update(fn func(*ConfigFile) error) error {
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return &ConfigError{Path: c.Path(), Err: err}
	}
	unlock, err := LockFile(filepath.Join(c.Dir, ".lock"))
	if err != nil {
		return &ConfigError{Path: c.Path(), Err: err}
	}
	defer unlock()
	f, err := c.Load()
	if err != nil {
		return err
	}
	if err := fn(f); err != nil {
		return err
	}
	f.Version = ConfigVersion
	if f.Connections == nil {
		f.Connections = []Connection{}
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return &ConfigError{Path: c.Path(), Err: err}
	}
	if err := WriteFileAtomic(c.Path(), append(data, '\n'), 0o600); err != nil {
		return &ConfigError{Path: c.Path(), Err: err}
	}
	return nil
}
