package flows

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"filippo.io/age"
)

// testPassphrase is long enough, and distinctive, so that a test can
// prove it never shows up in a message.
const testPassphrase = "PASSPHRASE-canary-horse-battery"

// passStore opens a passphrase store at a low work factor.
func passStore(t testing.TB, dir, pass string) *FileStore {
	t.Helper()
	s, err := openWithPassphrase(dir, pass, 10)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func idStore(t testing.TB, dir, identity string) *FileStore {
	t.Helper()
	s, err := OpenFileStoreWithIdentity(dir, identity)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// noSecrets fails when err's message holds the canary or the passphrase.
func noSecrets(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range []string{canary, testPassphrase} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("%s: %q holds a secret", what, err)
		}
	}
}

func TestFileStoreRoundTripNeverInTheClear(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	open := map[string]func() *FileStore{
		"identity":   func() *FileStore { return idStore(t, filepath.Join(dir, "s1"), filepath.Join(dir, "id", "key.txt")) },
		"passphrase": func() *FileStore { return passStore(t, filepath.Join(dir, "s2"), testPassphrase) },
	}
	for name, fn := range open {
		t.Run(name, func(t *testing.T) {
			s := fn()
			if err := s.Probe(ctx); err != nil {
				t.Fatalf("Probe() = %v", err)
			}
			// The probe directory may stay (a concurrent probe may be
			// using it); what the probe wrote may not.
			if left, _ := os.ReadDir(filepath.Join(s.Dir, ".probe")); len(left) != 0 {
				t.Errorf("Probe left %d files behind", len(left))
			}
			k := Key{"auth0", "default"}
			sec := NewSecret(map[string]string{"client_secret": canary})
			if err := s.Save(ctx, k, sec); err != nil {
				t.Fatal(err)
			}
			got, err := s.Load(ctx, k)
			if err != nil || !got.Equal(sec) {
				t.Fatalf("Load() = %v, equal %v", err, got.Equal(sec))
			}
			if err := s.Present(ctx, k); err != nil {
				t.Errorf("Present() = %v", err)
			}
			path := s.path(k)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(data, []byte(canary)) {
				t.Errorf("%s holds the secret in the clear", path)
			}
			h, _, err := splitHeader(data)
			if err != nil || h.Format != formatCredential || h.Key != name || h.File != s.KeyPath() {
				t.Errorf("header of %s = %+v, %v; want one naming the %s key %s", path, h, err, name, s.KeyPath())
			}
			if st, _ := os.Stat(path); runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
				t.Errorf("%s mode = %o, want 600", path, st.Mode().Perm())
			}
			if err := s.Delete(ctx, k); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Load(ctx, k); !errors.Is(err, ErrNotFound) {
				t.Errorf("Load after Delete = %v, want ErrNotFound", err)
			}
			if err := s.Present(ctx, k); !errors.Is(err, ErrNotFound) {
				t.Errorf("Present after Delete = %v, want ErrNotFound", err)
			}
		})
	}
}

// TestFileStoreDamage: a file that is not an intact credential is
// ErrCorrupt, from Load and from Present, and never a wrong key.
func TestFileStoreDamage(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := idStore(t, dir, filepath.Join(dir, "id.txt"))
	k := Key{"auth0", "default"}
	if err := s.Save(ctx, k, NewSecret(map[string]string{"client_secret": canary})); err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(s.path(k))
	_, body, _ := splitHeader(good)
	headerEnd := bytes.IndexByte(good, '\n') + 1
	tests := []struct {
		name    string
		data    []byte
		present bool // Present cannot tell without decrypting
	}{
		{"empty", nil, false},
		{"garbage", []byte("hello\n"), false},
		{"header only", good[:headerEnd], false},
		{"header, then not age", append(bytes.Clone(good[:headerEnd]), "not age\n"...), false},
		{"bad header json", append([]byte(`{"tether":"credential/v1",`+"\n"), body...), false},
		{"unknown header field", append([]byte(`{"tether":"credential/v1","x":1}`+"\n"), body...), false},
		{"future format", bytes.Replace(good, []byte("credential/v1"), []byte("credential/v9"), 1), false},
		{"truncated payload", good[:len(good)-5], true},
		{"flipped payload byte", flip(good, len(good)-3), true},
		{"altered stanza", alterLine(good, headerEnd, 2), true},
		{"altered header mac", alterLine(good, headerEnd, 3), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(s.path(k), tt.data, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := s.Load(ctx, k)
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("Load(%s) = %v, want ErrCorrupt", tt.name, err)
			}
			noSecrets(t, "Load", err)
			perr := s.Present(ctx, k)
			if tt.present && perr != nil || !tt.present && !errors.Is(perr, ErrCorrupt) {
				t.Errorf("Present(%s) = %v, want present=%v", tt.name, perr, tt.present)
			}
		})
	}
}

// alterLine changes the first base64 character of the nth line of the
// age header that starts at off into another one, so that the header
// still parses.
func alterLine(b []byte, off, n int) []byte {
	c := bytes.Clone(b)
	i := off
	for range n {
		i += bytes.IndexByte(c[i:], '\n') + 1
	}
	if bytes.HasPrefix(c[i:], []byte("--- ")) {
		i += 4
	}
	if c[i] == 'A' {
		c[i] = 'B'
	} else {
		c[i] = 'A'
	}
	return c
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x40
	return c
}

// TestFileStoreReadsFilesWithoutHeader: credentials written as bare age
// files (by a tether that wrote no header) still read, with the identity
// or directly with the passphrase.
func TestFileStoreReadsFilesWithoutHeader(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	k := Key{"auth0", "old"}
	sec := NewSecret(map[string]string{"client_secret": canary})
	blob, _ := sec.seal()

	ids := idStore(t, filepath.Join(dir, "a"), filepath.Join(dir, "a", "id.txt"))
	id, _, err := ids.key.create(0)
	if err != nil {
		t.Fatal(err)
	}
	writeBare(t, ids.path(k), blob, id.Recipient())
	if got, err := ids.Load(ctx, k); err != nil || !got.Equal(sec) {
		t.Errorf("Load(bare X25519 file) = %v, equal %v", err, got.Equal(sec))
	}

	ps := passStore(t, filepath.Join(dir, "b"), testPassphrase)
	r, _ := age.NewScryptRecipient(testPassphrase)
	r.SetWorkFactor(10)
	writeBare(t, ps.path(k), blob, r)
	if got, err := ps.Load(ctx, k); err != nil || !got.Equal(sec) {
		t.Errorf("Load(bare scrypt file) = %v, equal %v", err, got.Equal(sec))
	}
	if err := ps.Present(ctx, k); err != nil {
		t.Errorf("Present(bare scrypt file) = %v", err)
	}
	// A bare scrypt file does not need the passphrase key: a new
	// credential may create it.
	if err := ps.Save(ctx, Key{"auth0", "new"}, sec); err != nil {
		t.Errorf("Save beside a bare scrypt file = %v", err)
	}

	// The identity store cannot read a passphrase file, and says so.
	writeBare(t, ids.path(Key{"auth0", "pass"}), blob, r)
	_, err = ids.Load(ctx, Key{"auth0", "pass"})
	var ke *KeyError
	if !errors.As(err, &ke) || !errors.Is(err, ErrWrongKey) || !strings.Contains(err.Error(), "TETHER_PASSPHRASE") {
		t.Errorf("identity Load(bare scrypt file) = %v, want ErrWrongKey saying to set TETHER_PASSPHRASE", err)
	}
}

func writeBare(t *testing.T, path string, blob []byte, r age.Recipient) {
	t.Helper()
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, r)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write(blob)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestFileStoreRefusesReadableIdentity(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX modes only")
	}
	dir := t.TempDir()
	id := filepath.Join(dir, "key.txt")
	s := idStore(t, dir, id)
	if err := s.Save(context.Background(), Key{"auth0", "x"}, NewSecret(map[string]string{"a": "b"})); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(id); st.Mode().Perm() != 0o600 {
		t.Errorf("new identity mode = %o, want 600", st.Mode().Perm())
	}
	if err := os.Chmod(id, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := OpenFileStoreWithIdentity(dir, id)
	var sue *StoreUnavailableError
	if !errors.As(err, &sue) || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("Open with a world-readable identity = %v, want a refusal that says chmod 600", err)
	}
}

func TestFileStoreShortPassphrase(t *testing.T) {
	if _, err := OpenFileStoreWithPassphrase(t.TempDir(), "short"); err == nil || !strings.Contains(err.Error(), "at least 8") {
		t.Errorf("short passphrase error = %v", err)
	}
}
