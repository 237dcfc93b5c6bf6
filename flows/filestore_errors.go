package flows

import "errors"

// ErrWrongKey means that a stored credential was encrypted with another
// key than the file store's: the credential is intact, and the key it
// needs is named in the KeyError that wraps this.
var ErrWrongKey = errors.New("the credential was encrypted with another key")

// ErrKeyMissing means that the file store's key file does not exist
// while credentials encrypted with such a key do. tether then never
// makes a new key, which would orphan them.
var ErrKeyMissing = errors.New("the file store's key is missing")

// ErrWrongPassphrase means that the passphrase does not unlock the file
// store's key.
var ErrWrongPassphrase = errors.New("the passphrase does not unlock the key")

// ErrKeyDamaged means that the file store's key file cannot be read as
// one (altered, truncated, or not a tether key).
var ErrKeyDamaged = errors.New("the file store's key is damaged")

// KeyError says that the encrypted file store's key cannot open its
// credentials, which key is needed and what to do: never to set up
// again, since the credentials are intact. Err is one of ErrWrongKey,
// ErrKeyMissing, ErrWrongPassphrase or ErrKeyDamaged. It never holds a
// secret: keys are named by their public half and their file.
type KeyError struct {
	Err error
	// Credential is the credential file concerned, if one is.
	Credential string
	// Key describes the store's key ("the age identity /x").
	Key string
	// Want describes the key the credential was encrypted with, when
	// known ("age1… (the age identity /y)").
	Want string
	// Fix says what to do.
	Fix string
	// Cause is age's own account, when it gave one.
	Cause error
}

func (e *KeyError) Error() string {
	var msg string
	switch e.Err {
	case ErrWrongPassphrase:
		msg = "the passphrase does not unlock " + e.Key
	case ErrKeyDamaged:
		msg = e.Key + " is damaged"
	case ErrKeyMissing:
		msg = e.Key + " does not exist, but " + e.Credential + " was encrypted"
		if e.Want != "" {
			msg += " to " + e.Want
		} else {
			msg += " with such a key"
		}
	default:
		msg = e.Credential + " was encrypted"
		if e.Want != "" {
			msg += " to " + e.Want
		} else {
			msg += " with another key"
		}
		msg += ", but this store's key is " + e.Key
	}
	if e.Cause != nil {
		msg += " (" + e.Cause.Error() + ")"
	}
	if e.Fix != "" {
		msg += "; " + e.Fix
	}
	return msg
}

// Unwrap returns the sentinel and age's cause.
func (e *KeyError) Unwrap() []error {
	if e.Cause != nil {
		return []error{e.Err, e.Cause}
	}
	return []error{e.Err}
}
