package flows

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tetherdev/tether/flows/keyringtest"
)

// TestSystemKeyringWithGnomeKeyring stores secrets through the real OS
// keyring (go-keyring over D-Bus to gnome-keyring-daemon) and reads them
// back with secret-tool, small and chunked, then deletes every piece.
func TestSystemKeyringWithGnomeKeyring(t *testing.T) {
	s := startKeyring(t)
	ctx := context.Background()
	store := NewKeyringStore("tether")
	if err := store.Probe(ctx); err != nil {
		t.Fatalf("Probe() = %v", err)
	}
	small := Key{Provider: "auth0", Name: "default"}
	if err := store.Save(ctx, small, NewSecret(map[string]string{"client_secret": canary})); err != nil {
		t.Fatal(err)
	}
	if got := s.Lookup("tether", "auth0/default"); !strings.Contains(got, canary) {
		t.Errorf("secret-tool lookup = %q, want the stored secret", got)
	}
	big := Key{Provider: "entra", Name: "prod"}
	want := bigSecret(6000, "t")
	if err := store.Save(ctx, big, want); err != nil {
		t.Fatal(err)
	}
	got, err := store.Load(ctx, big)
	if err != nil || !got.Equal(want) {
		t.Fatalf("Load(chunked) = %v, equal %v", err, got.Equal(want))
	}
	if m := s.Lookup("tether", "entra/prod"); !strings.HasPrefix(m, manifestPrefix) {
		t.Errorf("main item of a chunked secret = %.40q, want a manifest", m)
	}
	accounts := s.Accounts("tether")
	if len(accounts) < 4 || !slices.Contains(accounts, "auth0/default") {
		t.Errorf("accounts = %q", accounts)
	}
	if err := store.Delete(ctx, big); err != nil {
		t.Fatal(err)
	}
	if accounts := s.Accounts("tether"); !slices.Equal(accounts, []string{"auth0/default"}) {
		t.Errorf("after Delete, accounts = %q, want only auth0/default", accounts)
	}
	if _, err := store.Load(ctx, big); !errors.Is(err, ErrNotFound) {
		t.Errorf("Load after Delete = %v", err)
	}
}

// TestSystemKeyringLocked locks the real login collection: every call
// then fails (the unlock prompt cannot be shown), and tether says that
// the keyring is locked and how to unlock it.
func TestSystemKeyringLocked(t *testing.T) {
	s := startKeyring(t)
	ctx := context.Background()
	store := NewKeyringStore("tether")
	k := Key{Provider: "auth0", Name: "default"}
	if err := store.Save(ctx, k, NewSecret(map[string]string{"client_secret": canary})); err != nil {
		t.Fatal(err)
	}
	s.Lock(t)
	_, err := store.Load(ctx, k)
	assertLocked(t, "Load from the locked login collection", err)
	assertLocked(t, "Probe of the locked login collection", store.Probe(ctx))
}

// startKeyring starts a Secret Service and points this process at it.
func startKeyring(t *testing.T) *keyringtest.Session {
	t.Helper()
	s := keyringtest.Start(t)
	for _, kv := range s.Env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	return s
}
