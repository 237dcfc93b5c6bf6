package providers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
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
	// Unusable holds the records that tether does not use, each with the
	// reason; they are written back as they were read, so that rewriting
	// the file loses nothing an admin may want to repair.
	Unusable []*RecordError `json:"-"`
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
	f.dropUnusable(false, c.Key())
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
	f.dropUnusable(true, k)
}

// dropUnusable forgets the unusable records of k that a new record
// replaces.
func (f *ConfigFile) dropUnusable(draft bool, k flows.Key) {
	f.Unusable = slices.DeleteFunc(f.Unusable, func(e *RecordError) bool { return e.Draft == draft && e.Key == k })
}

// Config reads and writes the connections file in Dir.
type Config struct {
	Dir string

	// checker, when set, checks each record as it is read; the Manager
	// sets it to check records as a setup checks its input.
	checker recordChecker
}

// recordChecker checks records beyond their JSON.
type recordChecker interface {
	checkConnection(Connection) error
	checkDraft(Draft) error
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

// MaxConfigSize is the largest connections file tether reads: far more
// than the records of every tenant an admin keeps, far less than memory.
const MaxConfigSize = 4 << 20

// Reasons a connections file is refused as a whole.
var (
	// ErrConfigTooLarge means that the file is larger than MaxConfigSize.
	ErrConfigTooLarge = fmt.Errorf("larger than %d MiB, which tether never writes", MaxConfigSize>>20)
	// ErrTrailingData means that something follows the JSON document.
	ErrTrailingData = errors.New("unexpected data after the JSON document")
	// ErrNewerConfig means that a newer tether wrote the file in a format
	// this one does not know.
	ErrNewerConfig = errors.New("written by a newer tether")
)

// Load reads the connections file. A missing file is an empty config. A
// file that cannot be read as a whole is a *ConfigError; a record that
// cannot be decoded goes to Unusable, and the others are still read.
func (c Config) Load() (*ConfigFile, error) {
	path := c.Path()
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &ConfigFile{Version: ConfigVersion}, nil
	}
	if err != nil {
		return nil, &ConfigError{Path: path, Err: err}
	}
	if !st.Mode().IsRegular() { // a FIFO would block the read forever
		return nil, &ConfigError{Path: path, Err: errors.New("not a regular file; remove it")}
	}
	file, err := os.Open(path)
	if err != nil {
		return nil, &ConfigError{Path: path, Err: err}
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, MaxConfigSize+1))
	if err != nil {
		return nil, &ConfigError{Path: path, Err: err}
	}
	if len(data) > MaxConfigSize {
		return nil, &ConfigError{Path: path, Err: fmt.Errorf("%w; fix or remove the file", ErrConfigTooLarge)}
	}
	return parseConfig(path, data, c.checker)
}

// configJSON is the connections file as written. Its records are decoded
// one at a time, so that one bad record spoils only itself.
type configJSON struct {
	Version     int               `json:"version"`
	Connections []json.RawMessage `json:"connections"`
	Drafts      []json.RawMessage `json:"drafts,omitempty"`
}

func parseConfig(path string, data []byte, chk recordChecker) (*ConfigFile, error) {
	var raw configJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, &ConfigError{Path: path, Err: fmt.Errorf("line %d: %v; fix or remove the file", lineAt(data, se.Offset), se)}
		}
		return nil, &ConfigError{Path: path, Err: fmt.Errorf("%v; fix or remove the file", describeDecodeError(err))}
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		rest := bytes.TrimLeft(data[end:], " \t\r\n")
		return nil, &ConfigError{Path: path, Err: fmt.Errorf("line %d: %w; fix or remove the file", lineAt(data, int64(len(data)-len(rest))), ErrTrailingData)}
	}
	switch {
	case raw.Version < 1:
		return nil, &ConfigError{Path: path, Err: errors.New("no format version; fix or remove the file")}
	case raw.Version > ConfigVersion:
		return nil, &ConfigError{Path: path, Err: fmt.Errorf("format version %d was %w (this one reads %d): use that tether, or remove the file", raw.Version, ErrNewerConfig, ConfigVersion)}
	}
	f := &ConfigFile{Version: raw.Version, Connections: []Connection{}}
	seen := map[flows.Key]bool{}
	for i, r := range raw.Connections {
		var c Connection
		err := json.Unmarshal(r, &c)
		switch {
		case err != nil:
			err = describeDecodeError(err)
		case seen[c.Key()]:
			err = fmt.Errorf("an earlier record is %s too", c.Key())
		case chk != nil:
			err = chk.checkConnection(c)
		}
		if err != nil {
			f.Unusable = append(f.Unusable, unusable(path, false, i, r, err))
			continue
		}
		seen[c.Key()] = true
		f.Connections = append(f.Connections, c)
	}
	clear(seen)
	for i, r := range raw.Drafts {
		var d Draft
		err := json.Unmarshal(r, &d)
		k := flows.Key{Provider: d.Provider, Name: d.Name}
		switch {
		case err != nil:
			err = describeDecodeError(err)
		case seen[k]:
			err = fmt.Errorf("an earlier setup in progress is %s too", k)
		case chk != nil:
			err = chk.checkDraft(d)
		}
		if err != nil {
			f.Unusable = append(f.Unusable, unusable(path, true, i, r, err))
			continue
		}
		seen[k] = true
		f.Drafts = append(f.Drafts, d)
	}
	return f, nil
}

// MarshalJSON writes f as the connections file holds it: the usable
// records, then the unusable ones as they were read.
func (f ConfigFile) MarshalJSON() ([]byte, error) {
	raw := configJSON{Version: f.Version, Connections: make([]json.RawMessage, 0, len(f.Connections))}
	for _, c := range f.Connections {
		b, err := json.Marshal(c)
		if err != nil {
			return nil, err
		}
		raw.Connections = append(raw.Connections, b)
	}
	for _, d := range f.Drafts {
		b, err := json.Marshal(d)
		if err != nil {
			return nil, err
		}
		raw.Drafts = append(raw.Drafts, b)
	}
	for _, u := range f.Unusable {
		if u.Draft {
			raw.Drafts = append(raw.Drafts, u.raw)
		} else {
			raw.Connections = append(raw.Connections, u.raw)
		}
	}
	return json.Marshal(raw)
}

// lineAt returns the line of data that offset falls on, counting from 1.
func lineAt(data []byte, offset int64) int {
	return 1 + bytes.Count(data[:min(max(int(offset), 0), len(data))], []byte("\n"))
}

// describeDecodeError says what a JSON type error means in the file's
// terms, not Go's.
func describeDecodeError(err error) error {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return err
	}
	want := "a value of another type"
	switch te.Type.Kind() {
	case reflect.String:
		want = "a string"
	case reflect.Slice, reflect.Array:
		want = "a list"
	case reflect.Map, reflect.Struct, reflect.Pointer:
		want = "an object"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		want = "a number"
	case reflect.Bool:
		want = "true or false"
	}
	if te.Field == "" {
		return fmt.Errorf("a JSON %s where tether expects %s", te.Value, want)
	}
	return fmt.Errorf("field %q is a JSON %s where tether expects %s", te.Field, te.Value, want)
}

// WithLock runs fn holding the lock of connection k, a file of its own in
// the config directory (.locks/PROVIDER/NAME.lock), so that tethers
// changing one connection take turns while others go on. k must be a
// valid key: a provider id and a name that flows.ValidName accepts.
func (c Config) WithLock(k flows.Key, fn func() error) error {
	if err := k.Validate(); err != nil {
		return err
	}
	unlock, err := flows.LockFile(filepath.Join(c.Dir, ".locks", k.Provider, k.Name+".lock"))
	if err != nil {
		return &ConfigError{Path: c.Path(), Err: fmt.Errorf("locking %s: %w", k, err)}
	}
	defer unlock()
	return fn()
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

// UnsafeConfigError says that users other than the admin can write the
// config directory or the connections file, and so could point a
// connection's secret at a host of theirs. tether reads no credential
// through such a directory until it is fixed.
type UnsafeConfigError struct {
	Path string
	Mode fs.FileMode
	Dir  bool
}

func (e *UnsafeConfigError) Error() string {
	mode := "600"
	if e.Dir {
		mode = "700"
	}
	return fmt.Sprintf("%s is writable by other users (mode %04o), so tether reads no credential through it; run chmod %s %s", e.Path, e.Mode.Perm(), mode, shellQuote(e.Path))
}

// CheckPrivate returns an *UnsafeConfigError when the config directory or
// the connections file can be written by the group or by everyone. What
// does not exist yet is fine: tether creates it private. Windows keeps
// access in ACLs, not mode bits, and is not checked.
func (c Config) CheckPrivate() error {
	if runtime.GOOS == "windows" {
		return nil
	}
	for _, p := range []string{c.Dir, c.Path()} {
		st, err := os.Stat(p)
		if err != nil {
			continue
		}
		if st.Mode().Perm()&0o022 != 0 {
			return &UnsafeConfigError{Path: p, Mode: st.Mode().Perm(), Dir: st.IsDir()}
		}
	}
	return nil
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+:@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
