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
	"strings"
	"sync"

	"filippo.io/age"
)

// FileStore keeps each secret in its own age-encrypted file,
// <Dir>/<provider>/<name>.age, for hosts without an OS keyring. The secret
// is never on disk in the clear: it is encrypted in memory and written
// atomically with mode 0600.
//
// Every credential is encrypted to the store's key, an age X25519
// identity, kept either in an identity file of its own (mode 0600) or in
// Dir/passphrase-key.age, encrypted with a passphrase (scrypt). The key
// is made only when the first credential is written, never while
// credentials encrypted with a missing key exist, and each credential
// file names the public key it was encrypted to, so that a wrong or
// missing key is reported as such. With a passphrase the derivation runs
// once per process, however many credentials are read; Present reads
// none. Keep the identity file somewhere other than the credentials
// (TETHER_AGE_IDENTITY) when the config directory is backed up or shared.
type FileStore struct {
	Dir string
	// OnNewKey, when set, is called once with a sentence for the admin
	// when the store makes its key: where the key is, and how to keep it
	// apart from the credentials.
	OnNewKey func(message string)
	// WorkFactor is the scrypt work factor (log2, 1 to 30) of a new
	// passphrase key; 0 means age's default, 18, about a second.
	WorkFactor int

	key *storeKey
	mu  sync.Mutex
}

var (
	_ Store         = (*FileStore)(nil)
	_ PresenceStore = (*FileStore)(nil)
)

// OpenFileStoreWithIdentity returns a store in dir keyed by the age
// identity in identityFile. A missing identity file is created when the
// first credential is written; an identity file readable by other users
// is refused.
func OpenFileStoreWithIdentity(dir, identityFile string) (*FileStore, error) {
	abs, err := filepath.Abs(identityFile)
	if err != nil {
		return nil, fmt.Errorf("identity file %s: %w", identityFile, err)
	}
	s := &FileStore{Dir: dir, key: &storeKey{kind: keyIdentity, path: abs}}
	if _, err := s.key.identity(); err != nil && !errors.Is(err, errNoKeyYet) {
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
	return s, nil
}

// OpenFileStoreWithPassphrase returns a store in dir keyed by a passphrase:
// the passphrase unlocks the store's key, dir/passphrase-key.age (age
// scrypt at age's default work factor), made when the first credential is
// written. Nothing is derived until a secret is needed.
func OpenFileStoreWithPassphrase(dir, passphrase string) (*FileStore, error) {
	return openWithPassphrase(dir, passphrase, 0)
}

// openWithPassphrase lets tests lower the scrypt work factor (0 keeps
// age's default).
func openWithPassphrase(dir, passphrase string, workFactor int) (*FileStore, error) {
	if len(passphrase) < 8 {
		return nil, errors.New("the passphrase is too short: use at least 8 characters")
	}
	abs, err := filepath.Abs(filepath.Join(dir, PassphraseKeyFile))
	if err != nil {
		return nil, err
	}
	return &FileStore{Dir: dir, WorkFactor: workFactor, key: &storeKey{kind: keyPassphrase, path: abs, passphrase: passphrase}}, nil
}

func (s *FileStore) Kind() StoreKind { return StoreFile }

func (s *FileStore) path(k Key) string {
	return filepath.Join(s.Dir, k.Provider, k.Name+".age")
}

func (s *FileStore) Location(k Key) string {
	return fmt.Sprintf("encrypted file %s (%s)", s.path(k), s.key.describe())
}

// KeyPath is the file that holds the store's key: the identity file, or
// the passphrase-protected key.
func (s *FileStore) KeyPath() string { return s.key.path }

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
		_ = s.Delete(ctx, k)
		return s.unavailable(err)
	}
	if !got.Equal(want) {
		_ = s.Delete(ctx, k)
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
	var ke *KeyError
	if errors.As(err, &ke) {
		return &StoreUnavailableError{Store: "encrypted file store", Cause: ke.Error(), Err: err}
	}
	return &StoreUnavailableError{
		Store: "encrypted file store",
		Cause: fmt.Sprintf("cannot write and read back a file in %s (%v)", s.Dir, err),
		Fixes: []string{"make that directory writable", "set TETHER_CONFIG_DIR to a writable directory"},
		Err:   err,
	}
}

// identityForWriting returns the key to encrypt to, making it when this
// is the first credential of its kind of key. It refuses to make one
// while credentials that a key of that kind encrypted exist: a new key
// would orphan them.
func (s *FileStore) identityForWriting() (*age.X25519Identity, error) {
	id, err := s.key.identity()
	if !errors.Is(err, errNoKeyYet) {
		return id, err
	}
	if orphan, h, ok := s.encryptedWithMissingKey(); ok {
		// Another first run may have made the key, then written that
		// credential, since the key was looked for: a key is always in
		// place before anything is encrypted to it, so only a key still
		// missing now is lost.
		if id, err := s.key.identity(); !errors.Is(err, errNoKeyYet) {
			return id, err
		}
		return nil, s.missingKey(orphan, h)
	}
	if s.WorkFactor < 0 || s.WorkFactor > 30 {
		return nil, fmt.Errorf("scrypt work factor %d is out of range: use 1 to 30, or 0 for the default", s.WorkFactor)
	}
	id, created, err := s.key.create(s.WorkFactor)
	if err != nil {
		return nil, err
	}
	if created && s.OnNewKey != nil {
		s.OnNewKey(s.newKeyNotice())
	}
	return id, nil
}

func (s *FileStore) newKeyNotice() string {
	if s.key.kind == keyPassphrase {
		return fmt.Sprintf("created %s, which encrypts your credentials; it opens only with the passphrase in TETHER_PASSPHRASE: keep both, or the credentials cannot be read", s.key.describe())
	}
	msg := fmt.Sprintf("created %s, which encrypts your credentials; without it they cannot be read", s.key.describe())
	if rel, err := filepath.Rel(filepath.Dir(s.Dir), s.key.path); err == nil && !strings.HasPrefix(rel, "..") {
		msg += ". It is beside them, so a copy of that directory holds both: set TETHER_PASSPHRASE to encrypt with a passphrase instead, or TETHER_AGE_IDENTITY to an identity file kept elsewhere"
	}
	return msg
}

// encryptedWithMissingKey finds a credential that a key of this store's
// kind encrypted (the key being missing): its path and header.
func (s *FileStore) encryptedWithMissingKey() (string, fileHeader, bool) {
	providers, _ := os.ReadDir(s.Dir)
	for _, p := range providers {
		if !p.IsDir() || p.Name() == ".probe" {
			continue
		}
		files, _ := os.ReadDir(filepath.Join(s.Dir, p.Name()))
		for _, f := range files {
			if f.IsDir() || !strings.HasSuffix(f.Name(), ".age") || strings.HasPrefix(f.Name(), ".") {
				continue
			}
			path := filepath.Join(s.Dir, p.Name(), f.Name())
			data, err := readCredentialFile(path)
			if err != nil {
				continue
			}
			in, err := inspect(data)
			if err != nil || in.scrypt {
				continue // a passphrase opens it directly, no key needed
			}
			if in.header.Key == s.key.kind || (in.header.Format == "" && s.key.kind == keyIdentity) {
				return path, in.header, true
			}
		}
	}
	return "", fileHeader{}, false
}

func (s *FileStore) missingKey(credential string, h fileHeader) error {
	e := &KeyError{Err: ErrKeyMissing, Credential: credential, Key: s.key.describe()}
	if h.Recipient != "" {
		e.Want = h.want()
	}
	switch {
	case s.key.kind == keyPassphrase:
		e.Fix = "restore " + s.key.path + " from a backup; tether makes no new key while credentials need the old one"
	case h.File != "" && h.File != s.key.path:
		e.Fix = "point TETHER_AGE_IDENTITY at " + h.File + ", or restore that identity; tether makes no new key while credentials need the old one"
	default:
		e.Fix = "restore that identity file, or point TETHER_AGE_IDENTITY at the identity of the key named; tether makes no new key while credentials need the old one"
	}
	return e
}

func (s *FileStore) Save(_ context.Context, k Key, sec Secret) error {
	if err := k.Validate(); err != nil { // never a path outside Dir
		return err
	}
	blob, err := sec.seal()
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, err := s.identityForWriting()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	h := fileHeader{Format: formatCredential, Recipient: id.Recipient().String(), Key: s.key.kind, File: s.key.path}
	if err := writeHeader(&buf, h); err != nil {
		return err
	}
	w, err := age.Encrypt(&buf, id.Recipient())
	if err != nil {
		return fmt.Errorf("encrypting the credential: %w", err)
	}
	if _, err := w.Write(blob); err != nil {
		return fmt.Errorf("encrypting the credential: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("encrypting the credential: %w", err)
	}
	return WriteFileAtomic(s.path(k), buf.Bytes(), 0o600)
}

// maxCredentialFileSize bounds what is read of a credential file: a
// secret is a few keys and tokens.
const maxCredentialFileSize = 1 << 20

func readCredentialFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("reading the credential: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCredentialFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading the credential: %w", err)
	}
	if len(data) > maxCredentialFileSize {
		return nil, fmt.Errorf("%w: %s is larger than a credential can be", ErrCorrupt, path)
	}
	return data, nil
}

// Present reports whether a credential is stored under k without
// decrypting it, so without the passphrase: nil when the file is there
// with a valid header, ErrNotFound, ErrCorrupt, or a *KeyError when it
// names another key than the store's.
func (s *FileStore) Present(_ context.Context, k Key) error {
	if err := k.Validate(); err != nil {
		return err
	}
	_, err := s.openFile(s.path(k), false)
	return err
}

func (s *FileStore) Load(_ context.Context, k Key) (Secret, error) {
	if err := k.Validate(); err != nil {
		return Secret{}, err
	}
	return s.openFile(s.path(k), true)
}

// openFile reads a credential file and checks that it is encrypted to
// the store's key; with decrypt it decrypts it.
func (s *FileStore) openFile(path string, decrypt bool) (Secret, error) {
	data, err := readCredentialFile(path)
	if err != nil {
		return Secret{}, err
	}
	in, err := inspect(data)
	if err != nil {
		return Secret{}, fmt.Errorf("%w: %s is not an encrypted credential", ErrCorrupt, path)
	}
	if err := s.checkKey(path, in, decrypt); err != nil {
		return Secret{}, err
	}
	if !decrypt {
		return Secret{}, nil
	}
	var id age.Identity
	if in.scrypt {
		sid, err := age.NewScryptIdentity(s.key.passphrase)
		if err != nil {
			return Secret{}, fmt.Errorf("passphrase: %w", err)
		}
		id = sid
	} else if id, err = s.key.identity(); err != nil {
		if errors.Is(err, errNoKeyYet) {
			return Secret{}, s.missingKey(path, in.header)
		}
		return Secret{}, err
	}
	r, err := age.Decrypt(bytes.NewReader(in.body), id)
	if err != nil {
		// With a header naming the store's key, a stanza that does not
		// unwrap is damage; without one, another key is the likely cause.
		if errors.Is(err, age.ErrIncorrectIdentity) && in.header.Format == "" {
			return Secret{}, s.wrongKey(path, in)
		}
		return Secret{}, fmt.Errorf("%w: %s does not decrypt", ErrCorrupt, path)
	}
	blob, err := io.ReadAll(r)
	if err != nil {
		return Secret{}, fmt.Errorf("%w: %s is truncated or altered", ErrCorrupt, path)
	}
	return unseal(blob)
}

// checkKey compares the key a credential names with the store's, from
// their public halves alone. Presence alone (decrypt false) is not
// denied for a key kept the other way (identity or passphrase), nor when
// the store's key does not exist yet: the credential is there, and only
// reading it needs the right key.
func (s *FileStore) checkKey(path string, in inspected, decrypt bool) error {
	kind := in.header.Key
	switch {
	case in.scrypt:
		kind = keyPassphrase
	case in.header.Format == "":
		kind = keyIdentity
	}
	switch {
	case kind != s.key.kind && !decrypt:
		return nil
	case kind != s.key.kind:
		return s.wrongKey(path, in)
	case in.header.Format == "":
		return nil // no public key recorded: decryption will tell
	}
	have, err := s.key.recipient()
	switch {
	case errors.Is(err, errNoKeyYet) && !decrypt:
		return nil
	case errors.Is(err, errNoKeyYet):
		return s.missingKey(path, in.header)
	case err != nil:
		return err
	case have != in.header.Recipient:
		return s.wrongKey(path, in)
	}
	return nil
}

// wrongKey explains a credential encrypted with another key than the
// store's, and where that key is.
func (s *FileStore) wrongKey(path string, in inspected) error {
	e := &KeyError{Err: ErrWrongKey, Credential: path, Key: s.key.describe()}
	if have, err := s.key.recipient(); err == nil {
		e.Key += " (" + have + ")"
	}
	h := in.header
	switch {
	case in.scrypt && s.key.kind == keyPassphrase:
		e.Err, e.Key = ErrWrongPassphrase, "that credential (encrypted directly with a passphrase)"
		e.Fix = "set TETHER_PASSPHRASE to the passphrase it was stored with"
	case in.scrypt:
		e.Want = "a passphrase"
		e.Fix = "set TETHER_PASSPHRASE to the passphrase it was stored with"
	case h.Format == "":
		e.Fix = "point TETHER_AGE_IDENTITY at the identity file it was stored with"
	case h.Key == keyPassphrase && s.key.kind == keyIdentity:
		e.Want = h.want()
		e.Fix = "set TETHER_PASSPHRASE to the passphrase of that key"
	case h.Key == keyIdentity && s.key.kind == keyPassphrase:
		e.Want = h.want()
		e.Fix = "unset TETHER_PASSPHRASE, and point TETHER_AGE_IDENTITY at that identity file if it is not the default"
	case h.Key == keyPassphrase:
		e.Want = h.want()
		e.Fix = "restore the passphrase-protected key with that public key (" + s.key.path + ") from a backup"
	case h.File != "" && h.File != s.key.path:
		e.Want = h.want()
		e.Fix = "point TETHER_AGE_IDENTITY at " + h.File + " (or a copy of the identity whose public key is " + h.Recipient + ")"
	default:
		e.Want = h.want()
		e.Fix = "restore " + s.key.path + " to the identity whose public key is " + h.Recipient + ", from a backup"
	}
	return e
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
