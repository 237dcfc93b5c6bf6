package flows

import (
	"context"
	"errors"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/zalando/go-keyring"
)

// LockReporter is a Keyring that can say whether the collection it
// stores in is locked. A locked collection fails every call once its
// unlock prompt is dismissed or cannot be shown (a host without a
// desktop), and go-keyring reports that with an untyped error, so the
// store asks the keyring itself to tell that apart from one it cannot
// reach.
type LockReporter interface {
	Locked() (bool, error)
}

// lockedCheckTimeout bounds the question "is it locked?", asked after a
// failure: it reads one D-Bus property and needs no prompt.
const lockedCheckTimeout = 5 * time.Second

// classify maps keyring errors to the store's vocabulary.
func (s *KeyringStore) classify(ctx context.Context, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, keyring.ErrNotFound):
		return ErrNotFound
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	return s.unavailable(ctx, err)
}

// unavailable explains why the keyring cannot be used, and the ways out.
func (s *KeyringStore) unavailable(ctx context.Context, err error) error {
	var sue *StoreUnavailableError
	if errors.As(err, &sue) || errors.Is(err, context.Canceled) {
		return err
	}
	fileStore := "pass --store file (or set TETHER_STORE=file) to keep credentials in an age-encrypted file"
	if s.locked(ctx, err) {
		return &StoreUnavailableError{
			Store: "OS keyring",
			Cause: `its "login" collection is locked, and no unlock prompt was answered`,
			Fixes: []string{
				`unlock it: on a desktop, answer the unlock prompt or unlock "Login" in Passwords and Keys (seahorse); without one, pipe its password to gnome-keyring-daemon --replace --unlock`,
				fileStore,
			},
			Err: errors.Join(ErrKeyringLocked, err),
		}
	}
	return &StoreUnavailableError{
		Store: "OS keyring",
		Cause: keyringCause(err),
		Fixes: []string{
			"start a Secret Service such as gnome-keyring-daemon in a D-Bus session (and unlock it)",
			fileStore,
		},
		Err: err,
	}
}

// ErrKeyringLocked means that the keyring answered, but the collection
// tether stores in is locked.
var ErrKeyringLocked = errors.New("the keyring is locked")

// locked asks the keyring, when it can say, whether a failure came from
// a locked collection. A timeout is not asked about: the keyring is not
// answering at all.
func (s *KeyringStore) locked(ctx context.Context, err error) bool {
	lr, ok := s.Keyring.(LockReporter)
	var te *TimeoutError
	if !ok || errors.As(err, &te) || errors.Is(err, keyring.ErrSetDataTooBig) {
		return false
	}
	type answer struct {
		locked bool
		err    error
	}
	done := make(chan answer, 1)
	go func() {
		l, err := lr.Locked()
		done <- answer{l, err}
	}()
	timer := time.NewTimer(lockedCheckTimeout)
	defer timer.Stop()
	select {
	case a := <-done:
		return a.err == nil && a.locked
	case <-timer.C:
	case <-ctx.Done():
	}
	return false
}

// keyringCause names the cause of a keyring failure in one clause.
func keyringCause(err error) string {
	var te *TimeoutError
	if errors.As(err, &te) {
		return "it did not answer within " + te.After + " (it may be locked behind an unlock prompt nobody can see)"
	}
	if errors.Is(err, keyring.ErrSetDataTooBig) {
		return "it refused an item as too large"
	}
	if runtime.GOOS == "linux" || strings.HasSuffix(runtime.GOOS, "bsd") {
		if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
			return "there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)"
		}
		var de dbus.Error
		if errors.As(err, &de) {
			switch de.Name {
			case "org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NameHasNoOwner":
				return "no Secret Service (such as gnome-keyring-daemon) is running on the D-Bus session bus"
			case "org.freedesktop.DBus.Error.UnknownObject", "org.freedesktop.Secret.Error.NoSuchObject":
				return "the Secret Service has no \"login\" collection"
			case "org.freedesktop.DBus.Error.AccessDenied":
				return "the Secret Service denied access"
			}
			return "the Secret Service answered " + de.Name
		}
		return "the Secret Service failed (" + err.Error() + ")"
	}
	return err.Error()
}
