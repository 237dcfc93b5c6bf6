package flows

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"filippo.io/age"
)

// FileStore keeps each secret in its own age-encrypted file,
// <Dir>/<provider>/<name>.age, for hosts without an OS keyring. The secret
// is never on disk in the clear: it is encrypted in memory and written
// atomically with mode 0600.
//
// The key is either an age X25519 identity in a file of its own (mode 0600;
// created on first use), or a passphrase (scrypt). Keep the identity file
// somewhere other than the credentials (TETHER_AGE_IDENTITY) when the
// config directory is backed up or shared.
type FileStore struct {
	Dir string

	identity  age.Identity
	recipient age.Recipient
	describe  string
	mu        sync.Mutex
}

var _ Store = (*FileStore)(nil)

// OpenFileStoreWithIdentity returns a store in dir keyed by the age
// identity in identityFile, creating the file (mode 0600) when missing. An
// identity file readable by other users is refused.
func OpenFileStoreWithIdentity(dir, identityFile string) (*FileStore, error) {
	id, err := loadOrCreateIdentity(identityFile)
	if err != nil {
		return nil, &StoreUnavailableError{
			Store: "encrypted file store",
			Cause: err.Error(),
			Fixes: []string{
				"fix the identity file named above",
				"point TETHER_AGE_IDENTITY at another identity file",
				"set TETHER_PASSPHRASE to use a passphrase instead",
			},
			Err: err,
		}
	}
	return &FileStore{Dir: dir, identity: id, recipient: id.Recipient(),
		describe: "age identity " + identityFile}, nil
}

// OpenFileStoreWithPassphrase returns a store in dir keyed by a passphrase
// (age scrypt, at age's default work factor).
func OpenFileStoreWithPassphrase(dir, passphrase string) (*FileStore, error) {
	return openWithPassphrase(dir, passphrase, 0)
}

// openWithPassphrase lets tests lower the scrypt work factor (0 keeps
// age's default).
func openWithPassphrase(dir, passphrase string, workFactor int) (*FileStore, error) {
	if len(passphrase) < 8 {
		return nil, errors.New("the passphrase is too short: use at least 8 characters")
	}
	r, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		return nil, fmt.Errorf("passphrase: %w", err)
	}
	id, err := age.NewScryptIdentity(passphrase)
	if err != nil {
		return nil, fmt.Errorf("passphrase: %w", err)
	}
	if workFactor > 0 {
		r.SetWorkFactor(workFactor)
	}
	return &FileStore{Dir: dir, identity: id, recipient: r, describe: "passphrase"}, nil
}

func loadOrCreateIdentity(path string) (*age.X25519Identity, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
		}
		// O_EXCL: two tethers starting at once must not each write a key.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return loadOrCreateIdentity(path)
		}
		if err != nil {
			return nil, fmt.Errorf("creating identity file %s: %w", path, err)
		}
		_, werr := fmt.Fprintf(f, "# tether credential key (age X25519 identity); keep it private\n%s\n", id)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return nil, fmt.Errorf("writing identity file %s: %w", path, werr)
		}
		return id, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading identity file %s: %w", path, err)
	}
	if runtime.GOOS != "windows" {
		if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("identity file %s is readable by other users (mode %04o); run chmod 600 %s", path, st.Mode().Perm(), path)
		}
	}
	ids, err := age.ParseIdentities(bytes.NewReader(data))
	if err != nil || len(ids) != 1 {
		return nil, fmt.Errorf("identity file %s does not hold exactly one age identity (AGE-SECRET-KEY-1…)", path)
	}
	id, ok := ids[0].(*age.X25519Identity)
	if !ok {
		return nil, fmt.Errorf("identity file %s holds an unsupported identity type", path)
	}
	return id, nil
}

func (s *FileStore) Kind() StoreKind { return StoreFile }

func (s *FileStore) path(k Key) string {
	return filepath.Join(s.Dir, k.Provider, k.Name+".age")
}

func (s *FileStore) Location(k Key) string {
	return fmt.Sprintf("encrypted file %s (%s)", s.path(k), s.describe)
}

func (s *FileStore) Probe(ctx context.Context) error {
	// Named for this process, so that a later probe can remove what a
	// killed one left (removeStale).
	k := Key{Provider: ".probe", Name: fmt.Sprintf("probe-%d-%s", os.Getpid(), strings.ToLower(rand.Text()[:8]))}
	removeStale(filepath.Dir(s.path(k)), func(name string) (string, bool) { return strings.CutPrefix(name, "probe-") })
	want := NewSecret(map[string]string{"probe": "ok"})
	if err := s.Save(ctx, k, want); err != nil {
		return s.unavailable(err)
	}
	got, err := s.Load(ctx, k)
	if err != nil {
		return s.unavailable(err)
	}
	if !got.Equal(want) {
		return s.unavailable(errors.New("a probe value did not read back"))
	}
	if err := s.Delete(ctx, k); err != nil {
		return s.unavailable(err)
	}
	// The probe directory stays: removing it would pull it from under a
	// concurrent probe between its MkdirAll and its write.
	return nil
}

func (s *FileStore) unavailable(err error) error {
	return &StoreUnavailableError{
		Store: "encrypted file store",
		Cause: fmt.Sprintf("cannot write and read back a file in %s (%v)", s.Dir, err),
		Fixes: []string{"make that directory writable", "set TETHER_CONFIG_DIR to a writable directory"},
		Err:   err,
	}
}

func (s *FileStore) Save(_ context.Context, k Key, sec Secret) error {
	if err := k.Validate(); err != nil { // never a path outside Dir
		return err
	}
	blob, err := sec.seal()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, s.recipient)
	if err != nil {
		return fmt.Errorf("encrypting the credential: %w", err)
	}
	if _, err := w.Write(blob); err != nil {
		return fmt.Errorf("encrypting the credential: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("encrypting the credential: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return WriteFileAtomic(s.path(k), buf.Bytes(), 0o600)
}

func (s *FileStore) Load(_ context.Context, k Key) (Secret, error) {
	if err := k.Validate(); err != nil {
		return Secret{}, err
	}
	data, err := os.ReadFile(s.path(k))
	if errors.Is(err, fs.ErrNotExist) {
		return Secret{}, ErrNotFound
	}
	if err != nil {
		return Secret{}, fmt.Errorf("reading the credential: %w", err)
	}
	r, err := age.Decrypt(bytes.NewReader(data), s.identity)
	if err != nil {
		var nm *age.NoIdentityMatchError
		if errors.As(err, &nm) || s.describe == "passphrase" {
			return Secret{}, fmt.Errorf("%w: %s does not decrypt with the %s (was it written with another key or passphrase?)", ErrCorrupt, s.path(k), s.describe)
		}
		return Secret{}, fmt.Errorf("%w: %s does not decrypt", ErrCorrupt, s.path(k))
	}
	blob, err := io.ReadAll(r)
	if err != nil {
		return Secret{}, fmt.Errorf("%w: %s is truncated", ErrCorrupt, s.path(k))
	}
	return unseal(blob)
}

func (s *FileStore) Delete(_ context.Context, k Key) error {
	if err := k.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	err := os.Remove(s.path(k))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("deleting the credential: %w", err)
	}
	return nil
}
