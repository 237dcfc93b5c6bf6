package flows

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
)

// lockableKeyring is a fake keyring whose collection can be locked: then
// every call fails as go-keyring fails after a dismissed unlock prompt,
// with an untyped error, and Locked says so.
type lockableKeyring struct {
	*fakeKeyring
	locked atomic.Bool
	asked  atomic.Int32
}

func (k *lockableKeyring) Locked() (bool, error) {
	k.asked.Add(1)
	return k.locked.Load(), nil
}

var errPromptDismissed = errors.New("failed to unlock correct collection '/org/freedesktop/secrets/collection/login'")

func (k *lockableKeyring) Set(service, user, password string) error {
	if k.locked.Load() {
		return errPromptDismissed
	}
	return k.fakeKeyring.Set(service, user, password)
}

func (k *lockableKeyring) Get(service, user string) (string, error) {
	if k.locked.Load() {
		return "", errPromptDismissed
	}
	return k.fakeKeyring.Get(service, user)
}

// assertLocked checks the error a locked keyring gives: it says locked and
// how to unlock, not that the Secret Service cannot be reached, and holds
// no secret.
func assertLocked(t *testing.T, what string, err error) {
	t.Helper()
	var sue *StoreUnavailableError
	if !errors.As(err, &sue) || !errors.Is(err, ErrKeyringLocked) {
		t.Fatalf("%s = %v, want a StoreUnavailableError wrapping ErrKeyringLocked", what, err)
	}
	msg := err.Error()
	for _, want := range []string{`"login" collection is locked`, "unlock", "gnome-keyring-daemon --replace --unlock", "--store file"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%s = %q, lacks %q", what, msg, want)
		}
	}
	for _, bad := range []string{"cannot talk", "no Secret Service", "not running", canary, "\n"} {
		if strings.Contains(msg, bad) {
			t.Errorf("%s = %q, holds %q", what, msg, bad)
		}
	}
}

func TestKeyringLockedSaysLocked(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
	ctx := context.Background()
	kr := &lockableKeyring{fakeKeyring: newFakeKeyring()}
	s := &KeyringStore{Service: "tether", Keyring: kr}
	k := Key{"auth0", "default"}
	if err := s.Save(ctx, k, NewSecret(map[string]string{"client_secret": canary})); err != nil {
		t.Fatal(err)
	}
	kr.locked.Store(true)
	_, err := s.Load(ctx, k)
	assertLocked(t, "Load from a locked keyring", err)
	assertLocked(t, "Probe of a locked keyring", s.Probe(ctx))
	assertLocked(t, "Save to a locked keyring", s.Save(ctx, k, NewSecret(map[string]string{"client_secret": canary})))

	// Unlocked again, it works, and a keyring that is not locked but
	// fails keeps its own cause.
	kr.locked.Store(false)
	if got, err := s.Load(ctx, k); err != nil || got.Get("client_secret") != canary {
		t.Errorf("Load after unlocking = %v", err)
	}
	kr.err = errors.New("org.freedesktop.DBus.Error.NoReply")
	_, err = s.Load(ctx, k)
	if errors.Is(err, ErrKeyringLocked) || strings.Contains(err.Error(), "locked") {
		t.Errorf("Load from a failing, unlocked keyring = %q; it is not locked", err)
	}
}

// TestKeyringTimeoutIsNotAskedAboutLocking: a keyring that does not
// answer is not asked another question.
func TestKeyringTimeoutIsNotAskedAboutLocking(t *testing.T) {
	kr := &lockableKeyring{fakeKeyring: newFakeKeyring()}
	kr.block = make(chan struct{})
	defer close(kr.block)
	s := &KeyringStore{Service: "tether", Keyring: kr, Timeout: 1, Notice: 1}
	_, err := s.Load(context.Background(), Key{"auth0", "x"})
	var te *TimeoutError
	if !errors.As(err, &te) || kr.asked.Load() != 0 {
		t.Errorf("Load from a hung keyring = %v, asked %d times whether locked; want a timeout, no question", err, kr.asked.Load())
	}
}
