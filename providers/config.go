package providers

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

	"github.com/tetherdev/tether/flows"
)

// ConfigVersion is the format version of the connections file.
const ConfigVersion = 1

// ConfigFileName is the name of the connections file in the config dir.
const ConfigFileName = "connections.json"

// ConfigFile is the content of the connections file.
type ConfigFile struct {
	Version     int          `json:"version"`
	Connections []Connection `json:"connections"`
	Drafts      []Draft      `json:"drafts,omitempty"`
}

// Find returns the connection with key k.
func (f *ConfigFile) Find(k flows.Key) (Connection, bool) {
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
func (f *ConfigFile) Remove(k flows.Key) bool {
	n := len(f.Connections)
	f.Connections = slices.DeleteFunc(f.Connections, func(o Connection) bool { return o.Key() == k })
	return len(f.Connections) != n
}

// Draft returns the setup in progress for k.
func (f *ConfigFile) Draft(k flows.Key) (Draft, bool) {
	for _, d := range f.Drafts {
		if d.Provider == k.Provider && d.Name == k.Name {
			return d, true
		}
	}
	return Draft{}, false
}

// PutDraft records d, replacing any draft for the same key.
func (f *ConfigFile) PutDraft(d Draft) {
	f.RemoveDraft(flows.Key{Provider: d.Provider, Name: d.Name})
	f.Drafts = append(f.Drafts, d)
}

// RemoveDraft forgets the draft for k.
func (f *ConfigFile) RemoveDraft(k flows.Key) {
	f.Drafts = slices.DeleteFunc(f.Drafts, func(d Draft) bool { return d.Provider == k.Provider && d.Name == k.Name })
}

// Config reads and writes the connections file in Dir.
type Config struct {
	Dir string
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
	unlock, err := flows.LockFile(filepath.Join(c.Dir, ".lock"))
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
	if err := flows.WriteFileAtomic(c.Path(), append(data, '\n'), 0o600); err != nil {
		return &ConfigError{Path: c.Path(), Err: err}
	}
	return nil
}
