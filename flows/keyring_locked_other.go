//go:build !((dragonfly && cgo) || (freebsd && cgo) || linux || netbsd || openbsd)

package flows

var _ LockReporter = SystemKeyring{}

// Locked reports false: Keychain and Credential Manager unlock with the
// user's session, and say so in their own errors.
func (SystemKeyring) Locked() (bool, error) { return false, nil }
