package flows

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"filippo.io/age"
)

// The two kinds of file store key, as credential headers record them.
const (
	keyIdentity   = "identity"
	keyPassphrase = "passphrase"
)

// PassphraseKeyFile is the name, in a passphrase file store's directory,
// of the store's key: an age X25519 identity, itself encrypted with the
// passphrase. Credentials are encrypted to that identity, so that the
// slow passphrase derivation (scrypt, about a second) runs once per
// process, not once per credential.
const PassphraseKeyFile = "passphrase-key.age"

// maxKeyFileSize bounds what is read of a key or identity file.
const maxKeyFileSize = 64 << 10

// errNoKeyYet means that the store's key file does not exist yet.
var errNoKeyYet = errors.New("the key file does not exist")

// storeKey is a file store's key: an age identity in a file of its own,
// or one wrapped by a passphrase. The identity is read (and, with a
// passphrase, unwrapped) once, on first need, and kept.
type storeKey struct {
	kind string // keyIdentity or keyPassphrase
	// path is the identity file, or the passphrase key file.
	path       string
	passphrase string

	mu      sync.Mutex
	id      *age.X25519Identity
	unwraps atomic.Int32 // passphrase derivations run, for tests
}

// describe names the key for an admin: "the age identity /x" or "the
// passphrase-protected key /x".
func (k *storeKey) describe() string { return describeKey(k.kind, k.path) }

func describeKey(kind, path string) string {
	if kind == keyPassphrase {
		return "the passphrase-protected key " + path
	}
	return "the age identity " + path
}

// recipient returns the public key new credentials are encrypted to,
// without any secret work: it reads the identity file, or the public key
// recorded in the passphrase key file's header. errNoKeyYet means none
// exists.
func (k *storeKey) recipient() (string, error) {
	k.mu.Lock()
	id := k.id
	k.mu.Unlock()
	if id != nil {
		return id.Recipient().String(), nil
	}
	if k.kind == keyIdentity {
		id, err := k.identity()
		if err != nil {
			return "", err
		}
		return id.Recipient().String(), nil
	}
	data, err := readKeyFile(k.path)
	if err != nil {
		return "", err
	}
	h, _, err := splitHeader(data)
	if err != nil || h.Format != formatKey {
		return "", k.damaged("it has no valid tether key header")
	}
	return h.Recipient, nil
}

// identity returns the store's identity, reading or unwrapping it on
// first use. errNoKeyYet means the key file does not exist.
func (k *storeKey) identity() (*age.X25519Identity, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.id != nil {
		return k.id, nil
	}
	data, err := readKeyFile(k.path)
	if err != nil {
		return nil, err
	}
	var id *age.X25519Identity
	if k.kind == keyIdentity {
		id, err = k.parseIdentity(data)
	} else {
		id, err = k.unwrap(data)
	}
	if err != nil {
		return nil, err
	}
	k.id = id
	return id, nil
}

// create makes the store's key when none exists (a passphrase key at
// scrypt work factor 2^workFactor, 0 meaning age's default), and returns the key in
// place: the one made here, or the one another process made first. The
// file is written under a temporary name and hard-linked into place,
// which fails if the name exists, so two first runs never replace each
// other's key and no reader ever sees half a file.
func (k *storeKey) create(workFactor int) (id *age.X25519Identity, created bool, err error) {
	fresh, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, false, err
	}
	var content []byte
	if k.kind == keyIdentity {
		content = fmt.Appendf(nil, "# tether credential key (age X25519 identity); keep it private\n# created: %s\n# public key: %s\n%s\n",
			time.Now().UTC().Format(time.RFC3339), fresh.Recipient(), fresh)
	} else if content, err = k.wrap(fresh, workFactor); err != nil {
		return nil, false, err
	}
	dir := filepath.Dir(k.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("creating %s: %w", dir, err)
	}
	// Named as WriteFileAtomic names its own, so that a concurrent
	// RemoveStaleTemps in this directory knows its writer is alive.
	f, err := createTemp(k.path)
	if err != nil {
		return nil, false, fmt.Errorf("creating %s: %w", k.path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, werr := f.Write(content)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return nil, false, fmt.Errorf("writing %s: %w", k.path, werr)
	}
	if err := os.Link(tmp, k.path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			id, err := k.identity()
			return id, false, err
		}
		return nil, false, fmt.Errorf("creating %s: %w", k.path, err)
	}
	syncDir(dir)
	k.mu.Lock()
	k.id = fresh
	k.mu.Unlock()
	return fresh, true, nil
}

// parseIdentity reads an identity file: private to its owner, holding
// exactly one X25519 identity.
func (k *storeKey) parseIdentity(data []byte) (*age.X25519Identity, error) {
	if runtime.GOOS != "windows" {
		if st, err := os.Stat(k.path); err == nil && st.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("identity file %s is readable by other users (mode %04o); run chmod 600 %s", k.path, st.Mode().Perm(), k.path)
		}
	}
	ids, err := age.ParseIdentities(bytes.NewReader(data))
	if err != nil || len(ids) != 1 {
		return nil, fmt.Errorf("identity file %s does not hold exactly one age identity (AGE-SECRET-KEY-1…)", k.path)
	}
	id, ok := ids[0].(*age.X25519Identity)
	if !ok {
		return nil, fmt.Errorf("identity file %s holds an unsupported identity type", k.path)
	}
	return id, nil
}

// wrap returns the passphrase key file for id: a header naming id's
// public key, then id encrypted with the passphrase.
func (k *storeKey) wrap(id *age.X25519Identity, workFactor int) ([]byte, error) {
	r, err := age.NewScryptRecipient(k.passphrase)
	if err != nil {
		return nil, fmt.Errorf("passphrase: %w", err)
	}
	if workFactor > 0 {
		r.SetWorkFactor(workFactor)
	}
	var buf bytes.Buffer
	if err := writeHeader(&buf, fileHeader{Format: formatKey, Recipient: id.Recipient().String(), Key: keyPassphrase}); err != nil {
		return nil, err
	}
	w, err := age.Encrypt(&buf, r)
	if err != nil {
		return nil, fmt.Errorf("encrypting the key: %w", err)
	}
	if _, err := io.WriteString(w, id.String()+"\n"); err != nil {
		return nil, fmt.Errorf("encrypting the key: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("encrypting the key: %w", err)
	}
	return buf.Bytes(), nil
}

// unwrap decrypts the passphrase key file: the one scrypt derivation a
// process pays.
func (k *storeKey) unwrap(data []byte) (*age.X25519Identity, error) {
	h, body, err := splitHeader(data)
	if err != nil || h.Format != formatKey {
		return nil, k.damaged("it has no valid tether key header")
	}
	sid, err := age.NewScryptIdentity(k.passphrase)
	if err != nil {
		return nil, fmt.Errorf("passphrase: %w", err)
	}
	k.unwraps.Add(1)
	r, err := age.Decrypt(bytes.NewReader(body), sid)
	if err != nil {
		if errors.Is(err, age.ErrIncorrectIdentity) {
			var nm *age.NoIdentityMatchError
			if errors.As(err, &nm) && len(nm.Errors) == 1 {
				err = nm.Errors[0] // age's reason, without the wrapping
			}
			return nil, &KeyError{Err: ErrWrongPassphrase, Key: k.describe(), Cause: fmt.Errorf("age: %w", err),
				Fix: "set TETHER_PASSPHRASE to the passphrase that key was created with"}
		}
		return nil, k.damaged("it does not decrypt: " + err.Error())
	}
	plain, err := io.ReadAll(io.LimitReader(r, maxKeyFileSize))
	if err != nil {
		return nil, k.damaged("it is truncated")
	}
	ids, err := age.ParseIdentities(bytes.NewReader(plain))
	if err != nil || len(ids) != 1 {
		return nil, k.damaged("it does not hold one age identity")
	}
	id, ok := ids[0].(*age.X25519Identity)
	if !ok || id.Recipient().String() != h.Recipient {
		return nil, k.damaged("its identity does not match the public key in its header")
	}
	return id, nil
}

func (k *storeKey) damaged(why string) error {
	return &KeyError{Err: ErrKeyDamaged, Key: k.describe(), Cause: errors.New(why), Fix: "restore it from a backup"}
}

// readKeyFile reads a key file of bounded size; errNoKeyYet means it
// does not exist.
func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errNoKeyYet
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(data) > maxKeyFileSize {
		return nil, fmt.Errorf("%s is larger than a key file can be (%d KB)", path, maxKeyFileSize>>10)
	}
	return data, nil
}

// syncDir makes a rename or link in dir durable where the platform
// allows.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}
