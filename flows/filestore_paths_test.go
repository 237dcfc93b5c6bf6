package flows

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestFileStoreKeepsEveryPathInside: a key whose name climbs out of the
// store's directory is refused by Save, Load and Delete, whatever the
// metadata file said; the file it points at is neither read, written nor
// deleted.
func TestFileStoreKeepsEveryPathInside(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	victim := filepath.Join(root, "victim", "precious.age")
	if err := os.MkdirAll(filepath.Dir(victim), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(victim, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := OpenFileStoreWithIdentity(filepath.Join(root, "config", "credentials"), filepath.Join(root, "config", "key.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []Key{
		{Provider: "auth0", Name: "../../../victim/precious"},
		{Provider: "../../victim", Name: "precious"},
		{Provider: "auth0", Name: ".."},
		{Provider: "auth0", Name: victim[:len(victim)-len(".age")]},
	} {
		if err := s.Delete(ctx, k); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Delete(%q) = %v, want ErrInvalidKey", k, err)
		}
		if _, err := s.Load(ctx, k); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Load(%q) = %v, want ErrInvalidKey", k, err)
		}
		if err := s.Save(ctx, k, NewSecret(map[string]string{"x": "y"})); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Save(%q) = %v, want ErrInvalidKey", k, err)
		}
	}
	if data, err := os.ReadFile(victim); err != nil || string(data) != "precious" {
		t.Errorf("the file outside the store = %q, %v; want it untouched", data, err)
	}
}
