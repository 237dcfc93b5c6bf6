package flows

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
)

// Key names one stored credential: a provider and the admin's name for the
// connection ("auth0/default").
type Key struct {
	Provider string
	Name     string
}

func (k Key) String() string { return k.Provider + "/" + k.Name }

// ErrInvalidKey means that a key's provider or name could escape the
// place its store keeps it in (a path separator, "..", a NUL byte) or is
// empty. Stores refuse such keys whatever the metadata file says.
var ErrInvalidKey = errors.New("not a valid credential key")

// Validate checks that k names one entry of a store: a provider and a
// name that are each one path element, neither "." nor "..", with no
// separator and no NUL byte. ValidName accepts a subset of such names.
func (k Key) Validate() error {
	for _, part := range []string{k.Provider, k.Name} {
		if part == "" || part == "." || !filepath.IsLocal(part) || strings.ContainsAny(part, "/\\\x00") {
			return fmt.Errorf("%w: %q", ErrInvalidKey, k.String())
		}
	}
	return nil
}

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// ValidName checks a connection name: lowercase letters, digits, dots,
// dashes and underscores, starting with a letter or digit, at most 63
// characters.
func ValidName(name string) error {
	if !namePattern.MatchString(name) {
		return fmt.Errorf("connection name %q is not valid: use lowercase letters, digits, '.', '-' or '_' (for example prod or eu-tenant)", name)
	}
	return nil
}

// StoreKind names a credential store.
type StoreKind string

// The credential stores.
const (
	// StoreKeyring is the OS keyring: Secret Service on Linux, Keychain on
	// macOS, Credential Manager on Windows.
	StoreKeyring StoreKind = "keyring"
	// StoreFile is an age-encrypted file per credential.
	StoreFile StoreKind = "file"
)

// Describe says where a store of kind k keeps secrets, to complete a
// sentence ("… is kept in your OS keyring"), so that no sentence about
// storage names another store than the one in use.
func (k StoreKind) Describe() string {
	switch k {
	case StoreKeyring:
		return "your OS keyring"
	case StoreFile:
		return "an age-encrypted file"
	}
	return "the " + string(k) + " store"
}

// ParseStoreKind parses a --store value.
func ParseStoreKind(s string) (StoreKind, error) {
	switch StoreKind(s) {
	case StoreKeyring, StoreFile:
		return StoreKind(s), nil
	}
	return "", fmt.Errorf("unknown store %q: use keyring (the OS keyring) or file (an age-encrypted file)", s)
}

// Store keeps secrets. Implementations are safe for concurrent use.
type Store interface {
	// Kind says which store this is.
	Kind() StoreKind
	// Probe checks that the store can write, read back and delete a value
	// right now. Call it before a sign-in, so that a credential is never
	// obtained and then lost.
	Probe(ctx context.Context) error
	// Save stores s under k, replacing what was there.
	Save(ctx context.Context, k Key, s Secret) error
	// Load returns the secret under k, or ErrNotFound.
	Load(ctx context.Context, k Key) (Secret, error)
	// Delete removes everything stored under k. Deleting a missing key is
	// not an error.
	Delete(ctx context.Context, k Key) error
	// Location tells an admin where the secret for k lives.
	Location(k Key) string
}

// PresenceStore is a Store that can tell whether a credential is there
// without reading the secret: no passphrase, no unlock prompt.
type PresenceStore interface {
	Store
	// Present returns nil when a credential is stored under k,
	// ErrNotFound when none is, or why it cannot be used (ErrCorrupt, a
	// *KeyError).
	Present(ctx context.Context, k Key) error
}

// Present reports whether s holds a credential under k, as
// PresenceStore.Present does: without decrypting it when s can, by
// loading it otherwise.
func Present(ctx context.Context, s Store, k Key) error {
	if p, ok := s.(PresenceStore); ok {
		return p.Present(ctx, k)
	}
	_, err := s.Load(ctx, k)
	return err
}
