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
)

func TestFileStoreRoundTripNeverInTheClear(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	open := map[string]func() (*FileStore, error){
		"identity": func() (*FileStore, error) {
			return OpenFileStoreWithIdentity(filepath.Join(dir, "s1"), filepath.Join(dir, "id", "key.txt"))
		},
		"passphrase": func() (*FileStore, error) {
			return openWithPassphrase(filepath.Join(dir, "s2"), "correct horse battery", 10)
		},
	}
	for name, fn := range open {
		t.Run(name, func(t *testing.T) {
			s, err := fn()
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Probe(ctx); err != nil {
				t.Fatalf("Probe() = %v", err)
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
			path := s.path(k)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(data, []byte(canary)) {
				t.Errorf("%s holds the secret in the clear", path)
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
		})
	}
}

func TestFileStoreWrongKeyIsCorruptNotGarbage(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, _ := openWithPassphrase(dir, "first passphrase", 10)
	b, _ := openWithPassphrase(dir, "second passphrase", 10)
	k := Key{"duo", "x"}
	if err := a.Save(ctx, k, NewSecret(map[string]string{"skey": canary})); err != nil {
		t.Fatal(err)
	}
	_, err := b.Load(ctx, k)
	if !errors.Is(err, ErrCorrupt) || strings.Contains(err.Error(), canary) {
		t.Errorf("Load with the wrong passphrase = %v, want ErrCorrupt without the secret", err)
	}
}

func TestFileStoreRefusesReadableIdentity(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX modes only")
	}
	dir := t.TempDir()
	id := filepath.Join(dir, "key.txt")
	if _, err := OpenFileStoreWithIdentity(dir, id); err != nil {
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
