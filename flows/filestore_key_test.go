package flows

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"filippo.io/age"
)

// keyErr asserts that err is a *KeyError wrapping want, that it is not
// reported as damage, never advises setting up again, holds no secret,
// and mentions every string in says.
func keyErr(t *testing.T, what string, err, want error, says ...string) {
	t.Helper()
	var ke *KeyError
	if !errors.As(err, &ke) || !errors.Is(err, want) {
		t.Fatalf("%s = %v, want a KeyError wrapping %q", what, err, want)
	}
	if errors.Is(err, ErrCorrupt) || strings.Contains(err.Error(), "setup") || strings.Contains(err.Error(), "damaged") && want != ErrKeyDamaged {
		t.Errorf("%s = %q: a key problem reads as damage or advises a new setup", what, err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("%s = %q: not one line", what, err)
	}
	for _, s := range says {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("%s = %q, want it to say %q", what, err, s)
		}
	}
	noSecrets(t, what, err)
}

func save(t *testing.T, s *FileStore, k Key) {
	t.Helper()
	if err := s.Save(context.Background(), k, NewSecret(map[string]string{"client_secret": canary})); err != nil {
		t.Fatalf("Save(%s) = %v", k, err)
	}
}

func recipientOf(t *testing.T, s *FileStore) string {
	t.Helper()
	r, err := s.key.recipient()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestFileStoreWrongPassphrase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	k := Key{"duo", "x"}
	save(t, passStore(t, dir, testPassphrase), k)
	other := passStore(t, dir, "another passphrase")
	_, err := other.Load(ctx, k)
	keyErr(t, "Load with the wrong passphrase", err, ErrWrongPassphrase,
		filepath.Join(dir, PassphraseKeyFile), "age: ", "incorrect passphrase", "TETHER_PASSPHRASE")
	// Setup probes first, and says the same before any sign-in.
	err = other.Probe(ctx)
	var sue *StoreUnavailableError
	if !errors.As(err, &sue) {
		t.Fatalf("Probe with the wrong passphrase = %v, want StoreUnavailableError", err)
	}
	keyErr(t, "Probe with the wrong passphrase", err, ErrWrongPassphrase, "incorrect passphrase")
	// Presence needs no passphrase, so a wrong one does not matter.
	if err := other.Present(ctx, k); err != nil {
		t.Errorf("Present with the wrong passphrase = %v, want nil", err)
	}
}

func TestFileStoreModesMixed(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	idFile := filepath.Join(dir, "age-identity.txt")
	creds := filepath.Join(dir, "credentials")
	viaPass, viaID := Key{"auth0", "pass"}, Key{"auth0", "id"}
	ps := passStore(t, creds, testPassphrase)
	save(t, ps, viaPass)
	ids := idStore(t, creds, idFile)
	save(t, ids, viaID)

	_, err := ids.Load(ctx, viaPass)
	keyErr(t, "identity store loading a passphrase credential", err, ErrWrongKey,
		recipientOf(t, ps), "passphrase-protected key "+filepath.Join(creds, PassphraseKeyFile), "set TETHER_PASSPHRASE")
	// Presence needs no key: status works whichever way the key is kept.
	if err := ids.Present(ctx, viaPass); err != nil {
		t.Errorf("identity store: Present of a passphrase credential = %v, want nil", err)
	}

	_, err = passStore(t, creds, testPassphrase).Load(ctx, viaID)
	keyErr(t, "passphrase store loading an identity credential", err, ErrWrongKey,
		recipientOf(t, ids), "age identity "+idFile, "unset TETHER_PASSPHRASE")

	// A passphrase set by mistake, with no passphrase key anywhere: the
	// credential needs the identity, not a restored passphrase key.
	onlyID := filepath.Join(dir, "only-identity")
	save(t, idStore(t, onlyID, idFile), viaID)
	_, err = passStore(t, onlyID, testPassphrase).Load(ctx, viaID)
	keyErr(t, "passphrase store with no key loading an identity credential", err, ErrWrongKey, "unset TETHER_PASSPHRASE")
}

func TestFileStoreOtherIdentity(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	k := Key{"auth0", "default"}
	first := idStore(t, filepath.Join(dir, "credentials"), filepath.Join(dir, "first.txt"))
	save(t, first, k)
	other := idStore(t, filepath.Join(dir, "credentials"), filepath.Join(dir, "other.txt"))
	if _, _, err := other.key.create(0); err != nil { // an identity of its own
		t.Fatal(err)
	}
	_, err := other.Load(ctx, k)
	keyErr(t, "Load with another identity", err, ErrWrongKey,
		recipientOf(t, first), filepath.Join(dir, "first.txt"), recipientOf(t, other), "TETHER_AGE_IDENTITY")
	keyErr(t, "Present with another identity", other.Present(ctx, k), ErrWrongKey)
}

// TestFileStoreMissingIdentityIsNeverReplaced: with the identity file
// gone (deleted, or a typo in its path), reading says which key is
// missing, presence still holds, and no new key is made, even to write a
// new credential, because it would orphan the stored ones.
func TestFileStoreMissingIdentityIsNeverReplaced(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials")
	idFile := filepath.Join(dir, "age-identity.txt")
	k := Key{"auth0", "default"}
	s := idStore(t, creds, idFile)
	save(t, s, k)
	want := recipientOf(t, s)

	for name, path := range map[string]string{"deleted": idFile, "typo": filepath.Join(dir, "age-identty.txt")} {
		t.Run(name, func(t *testing.T) {
			if name == "deleted" {
				if err := os.Rename(idFile, idFile+".bak"); err != nil {
					t.Fatal(err)
				}
				defer os.Rename(idFile+".bak", idFile)
			}
			s := idStore(t, creds, path)
			if err := s.Present(ctx, k); err != nil {
				t.Errorf("Present with the identity missing = %v, want nil (the credential is there)", err)
			}
			_, err := s.Load(ctx, k)
			says := []string{want, path}
			if name == "typo" {
				says = append(says, "point TETHER_AGE_IDENTITY at "+idFile)
			}
			keyErr(t, "Load with the identity "+name, err, ErrKeyMissing, says...)
			keyErr(t, "Save with the identity "+name, s.Save(ctx, Key{"auth0", "new"}, NewSecret(map[string]string{"a": "b"})), ErrKeyMissing, want)
			keyErr(t, "Probe with the identity "+name, s.Probe(ctx), ErrKeyMissing)
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a new identity was made at %s: %v", path, err)
			}
		})
	}
}

func TestFileStoreMissingPassphraseKeyIsNeverReplaced(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	k := Key{"auth0", "default"}
	s := passStore(t, dir, testPassphrase)
	save(t, s, k)
	want := recipientOf(t, s)
	keyFile := filepath.Join(dir, PassphraseKeyFile)
	if err := os.Remove(keyFile); err != nil {
		t.Fatal(err)
	}
	s = passStore(t, dir, testPassphrase)
	_, err := s.Load(ctx, k)
	keyErr(t, "Load with the passphrase key missing", err, ErrKeyMissing, want, keyFile, "restore")
	keyErr(t, "Save with the passphrase key missing", s.Save(ctx, Key{"auth0", "b"}, NewSecret(map[string]string{"a": "b"})), ErrKeyMissing)
	if _, err := os.Stat(keyFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a new passphrase key was made: %v", err)
	}
}

func TestFileStoreDamagedPassphraseKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	k := Key{"auth0", "default"}
	save(t, passStore(t, dir, testPassphrase), k)
	keyFile := filepath.Join(dir, PassphraseKeyFile)
	data, _ := os.ReadFile(keyFile)
	if err := os.WriteFile(keyFile, flip(data, len(data)-2), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := passStore(t, dir, testPassphrase).Load(ctx, k)
	keyErr(t, "Load with a damaged passphrase key", err, ErrKeyDamaged, keyFile, "backup")
}

// TestFileStoreKeyMadeOnFirstWrite: opening a store, reading from it and
// checking presence make no key; the first write does, once, and says
// where it is.
func TestFileStoreKeyMadeOnFirstWrite(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials")
	for _, tt := range []struct {
		name string
		open func() *FileStore
		says []string
	}{
		{"identity beside the credentials", func() *FileStore { return idStore(t, creds, filepath.Join(dir, "age-identity.txt")) },
			[]string{filepath.Join(dir, "age-identity.txt"), "TETHER_PASSPHRASE", "TETHER_AGE_IDENTITY"}},
		{"passphrase", func() *FileStore { return passStore(t, filepath.Join(dir, "p"), testPassphrase) },
			[]string{filepath.Join(dir, "p", PassphraseKeyFile), "TETHER_PASSPHRASE"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.open()
			var notices []string
			s.OnNewKey = func(m string) { notices = append(notices, m) }
			k := Key{"auth0", "default"}
			if _, err := s.Load(ctx, k); !errors.Is(err, ErrNotFound) {
				t.Errorf("Load on an empty store = %v", err)
			}
			if err := s.Present(ctx, k); !errors.Is(err, ErrNotFound) {
				t.Errorf("Present on an empty store = %v", err)
			}
			if _, err := os.Stat(s.KeyPath()); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("reading made a key: %v", err)
			}
			save(t, s, k)
			save(t, s, Key{"auth0", "second"})
			if _, err := os.Stat(s.KeyPath()); err != nil {
				t.Fatalf("no key after the first write: %v", err)
			}
			if len(notices) != 1 {
				t.Fatalf("notices = %q, want exactly one", notices)
			}
			for _, w := range tt.says {
				if !strings.Contains(notices[0], w) {
					t.Errorf("notice %q does not say %q", notices[0], w)
				}
			}
			if strings.Contains(notices[0], testPassphrase) {
				t.Errorf("notice %q holds the passphrase", notices[0])
			}
		})
	}
	// An identity kept elsewhere is not called a risk.
	s := idStore(t, filepath.Join(dir, "c2"), filepath.Join(t.TempDir(), "safe", "id.txt"))
	var notice string
	s.OnNewKey = func(m string) { notice = m }
	save(t, s, Key{"auth0", "x"})
	if notice == "" || strings.Contains(notice, "beside") {
		t.Errorf("notice for an identity elsewhere = %q", notice)
	}
}

// TestFileStoreFirstRunsRace: tethers starting at once on an empty store
// (separate stores, as separate processes have) end with one key that
// opens every credential any of them wrote.
func TestFileStoreFirstRunsRace(t *testing.T) {
	ctx := context.Background()
	for _, mode := range []string{keyIdentity, keyPassphrase} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			open := func() *FileStore {
				if mode == keyPassphrase {
					return passStore(t, dir, testPassphrase)
				}
				return idStore(t, dir, filepath.Join(dir, "age-identity.txt"))
			}
			const n = 8
			start := make(chan struct{})
			var wg sync.WaitGroup
			errs := make([]error, n)
			created := make([]bool, n)
			for i := range n {
				s := open()
				s.OnNewKey = func(string) { created[i] = true }
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					errs[i] = s.Save(ctx, Key{"auth0", "c" + string(rune('a'+i))}, NewSecret(map[string]string{"v": canary}))
				}()
			}
			close(start)
			wg.Wait()
			makers := 0
			for i := range n {
				if errs[i] != nil {
					t.Errorf("Save %d = %v", i, errs[i])
				}
				if created[i] {
					makers++
				}
			}
			if makers != 1 {
				t.Errorf("%d stores say they made the key, want 1", makers)
			}
			reader := open()
			for i := range n {
				if _, err := reader.Load(ctx, Key{"auth0", "c" + string(rune('a'+i))}); err != nil {
					t.Errorf("Load %d = %v", i, err)
				}
			}
			if left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*")); len(left) > 0 {
				t.Errorf("temporary files left: %q", left)
			}
		})
	}
}

// TestPassphraseStoreDerivesOnce: a process reading many credentials
// pays the passphrase derivation once; presence checks pay nothing.
func TestPassphraseStoreDerivesOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	keys := []Key{{"auth0", "a"}, {"auth0", "b"}, {"okta", "c"}, {"duo", "d"}, {"entra", "e"}}
	w := passStore(t, dir, testPassphrase)
	for _, k := range keys {
		save(t, w, k)
	}
	s := passStore(t, dir, testPassphrase)
	for _, k := range keys {
		if err := s.Present(ctx, k); err != nil {
			t.Fatalf("Present(%s) = %v", k, err)
		}
	}
	if n := s.key.unwraps.Load(); n != 0 {
		t.Errorf("presence checks ran %d passphrase derivations, want 0", n)
	}
	for _, k := range keys {
		if _, err := s.Load(ctx, k); err != nil {
			t.Fatalf("Load(%s) = %v", k, err)
		}
	}
	if n := s.key.unwraps.Load(); n != 1 {
		t.Errorf("loading %d credentials ran %d passphrase derivations, want 1", len(keys), n)
	}
}

// benchPassStore writes a credential with a passphrase at age's default
// work factor, and returns its directory and key.
func benchPassStore(b *testing.B) (string, Key) {
	b.Helper()
	dir := b.TempDir()
	w, err := OpenFileStoreWithPassphrase(dir, testPassphrase)
	if err != nil {
		b.Fatal(err)
	}
	k := Key{"auth0", "x"}
	if err := w.Save(context.Background(), k, NewSecret(map[string]string{"v": canary})); err != nil {
		b.Fatal(err)
	}
	return dir, k
}

// BenchmarkFileStorePassphraseFirstLoad is what a process pays for its
// first credential with a passphrase at age's default work factor: the
// one scrypt derivation, about a second.
func BenchmarkFileStorePassphraseFirstLoad(b *testing.B) {
	ctx := context.Background()
	dir, k := benchPassStore(b)
	for b.Loop() {
		s, _ := OpenFileStoreWithPassphrase(dir, testPassphrase)
		if _, err := s.Load(ctx, k); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFileStorePassphraseNextLoad is what each further credential
// costs in the same process: no derivation, an X25519 decryption.
func BenchmarkFileStorePassphraseNextLoad(b *testing.B) {
	ctx := context.Background()
	dir, k := benchPassStore(b)
	s, _ := OpenFileStoreWithPassphrase(dir, testPassphrase)
	if _, err := s.Load(ctx, k); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Load(ctx, k); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFileStorePresent is what tether status pays per credential
// with a passphrase store: no derivation at all.
func BenchmarkFileStorePresent(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	w, _ := openWithPassphrase(dir, testPassphrase, 10)
	k := Key{"auth0", "x"}
	if err := w.Save(ctx, k, NewSecret(map[string]string{"v": canary})); err != nil {
		b.Fatal(err)
	}
	s, _ := OpenFileStoreWithPassphrase(dir, testPassphrase)
	for b.Loop() {
		if err := s.Present(ctx, k); err != nil {
			b.Fatal(err)
		}
	}
}

var _ age.Identity = refuseAll{}
