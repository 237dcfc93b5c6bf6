package sshd

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	gossh "golang.org/x/crypto/ssh"
)

// Role is what a key may do.
type Role string

const (
	// RoleViewer may look at connections and verify them: the role of a
	// key given none (least privilege).
	RoleViewer Role = "viewer"
	// RoleAdmin may also set up and forget connections.
	RoleAdmin Role = "admin"
)

// CanChange says whether the role may set up or forget connections.
func (r Role) CanChange() bool { return r == RoleAdmin }

// ErrUnknownKey is returned for a key the authorized_keys file does not
// list (or lists only on a line that was refused).
var ErrUnknownKey = errors.New("key not in the authorized_keys file")

// AuthorizedKey is one accepted line of an authorized_keys file.
type AuthorizedKey struct {
	Key     gossh.PublicKey
	Role    Role
	Comment string
	Line    int
}

// KeyWarning is a line of an authorized_keys file that was refused, and
// why. A refused line grants nothing.
type KeyWarning struct {
	Line int
	Err  error
}

func (w KeyWarning) Error() string { return fmt.Sprintf("line %d: %v", w.Line, w.Err) }

// AuthorizedKeys is a parsed authorized_keys file.
type AuthorizedKeys struct {
	Keys     []AuthorizedKey
	Warnings []KeyWarning
}

// ParseAuthorizedKeys reads an authorized_keys file: one key a line, in
// OpenSSH's format, optionally preceded by role="admin" or
// role="viewer" (no role: viewer). Blank lines and # comments are
// skipped. A line that does not parse, or names another role, or names
// a role twice, is refused with a warning naming its line number; it is
// never read as admin.
func ParseAuthorizedKeys(data []byte) *AuthorizedKeys {
	ak := &AuthorizedKeys{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, comment, options, rest, err := gossh.ParseAuthorizedKey([]byte(line))
		if err != nil {
			ak.Warnings = append(ak.Warnings, KeyWarning{n, fmt.Errorf("not an authorized_keys line (want [role=\"admin\"|role=\"viewer\"] ssh-ed25519 AAAA... comment): %w", err)})
			continue
		}
		if len(bytes.TrimSpace(rest)) > 0 {
			ak.Warnings = append(ak.Warnings, KeyWarning{n, errors.New("more than one key on the line")})
			continue
		}
		role, err := roleOf(options)
		if err != nil {
			ak.Warnings = append(ak.Warnings, KeyWarning{n, err})
			continue
		}
		ak.Keys = append(ak.Keys, AuthorizedKey{Key: key, Role: role, Comment: comment, Line: n})
	}
	if err := sc.Err(); err != nil {
		ak.Warnings = append(ak.Warnings, KeyWarning{n + 1, fmt.Errorf("reading the file stopped: %w", err)})
	}
	return ak
}

// roleOf reads the role option among a key's options.
func roleOf(options []string) (Role, error) {
	role := Role("")
	for _, o := range options {
		name, value, ok := strings.Cut(o, "=")
		if !ok || !strings.EqualFold(name, "role") {
			continue
		}
		if role != "" {
			return "", errors.New(`role is given twice; give one, role="admin" or role="viewer"`)
		}
		switch strings.Trim(value, `"`) {
		case string(RoleAdmin):
			role = RoleAdmin
		case string(RoleViewer):
			role = RoleViewer
		default:
			return "", fmt.Errorf(`role %s is not a role; want role="admin" or role="viewer"`, value)
		}
	}
	if role == "" {
		role = RoleViewer
	}
	return role, nil
}

// Lookup returns the role of key. A key listed twice with two roles
// gets the lesser one.
func (ak *AuthorizedKeys) Lookup(key gossh.PublicKey) (AuthorizedKey, error) {
	var found *AuthorizedKey
	want := key.Marshal()
	for i := range ak.Keys {
		k := &ak.Keys[i]
		if !bytes.Equal(k.Key.Marshal(), want) {
			continue
		}
		if found == nil || k.Role == RoleViewer {
			found = k
		}
	}
	if found == nil {
		return AuthorizedKey{}, ErrUnknownKey
	}
	return *found, nil
}

// keyFile reads an authorized_keys file on every look-up, so that a
// change applies to the next connection, and reports the refused lines
// once per change of the file.
type keyFile struct {
	path string
	warn func(string)

	mu   sync.Mutex
	last []byte
}

// load reads and parses the file.
func (f *keyFile) load() (*AuthorizedKeys, error) {
	data, err := os.ReadFile(f.path)
	if err != nil {
		return nil, fmt.Errorf("reading the authorized keys %s: %w", f.path, err)
	}
	ak := ParseAuthorizedKeys(data)
	f.mu.Lock()
	changed := f.last == nil || !bytes.Equal(f.last, data)
	f.last = data
	f.mu.Unlock()
	if changed && f.warn != nil {
		for _, w := range ak.Warnings {
			f.warn(fmt.Sprintf("%s: %v: refused, it grants nothing", f.path, w))
		}
	}
	return ak, nil
}
