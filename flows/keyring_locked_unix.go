//go:build (dragonfly && cgo) || (freebsd && cgo) || linux || netbsd || openbsd

package flows

import (
	"slices"

	"github.com/godbus/dbus/v5"
)

// The Secret Service names (freedesktop.org Secret Service API).
const (
	secretService        = "org.freedesktop.secrets"
	secretServicePath    = "/org/freedesktop/secrets"
	secretLoginPath      = "/org/freedesktop/secrets/collection/login"
	secretDefaultAlias   = "/org/freedesktop/secrets/aliases/default"
	secretCollections    = "org.freedesktop.Secret.Service.Collections"
	secretCollectionLock = "org.freedesktop.Secret.Collection.Locked"
)

var _ LockReporter = SystemKeyring{}

// Locked reports whether the collection go-keyring stores in is locked:
// the "login" collection when the Secret Service has one, else the
// default alias, as go-keyring chooses.
func (SystemKeyring) Locked() (bool, error) {
	conn, err := dbus.SessionBus()
	if err != nil {
		return false, err
	}
	path := dbus.ObjectPath(secretDefaultAlias)
	if v, err := conn.Object(secretService, secretServicePath).GetProperty(secretCollections); err == nil {
		if paths, ok := v.Value().([]dbus.ObjectPath); ok && slices.Contains(paths, secretLoginPath) {
			path = secretLoginPath
		}
	}
	v, err := conn.Object(secretService, path).GetProperty(secretCollectionLock)
	if err != nil {
		return false, err
	}
	locked, ok := v.Value().(bool)
	return ok && locked, nil
}
