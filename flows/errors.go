package flows

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotFound means that no credential is stored under the key.
var ErrNotFound = errors.New("no credential stored")

// ErrCorrupt means that a stored credential cannot be read back intact (a
// damaged or partly written keyring entry, a file that does not decrypt).
// It never carries the stored bytes.
var ErrCorrupt = errors.New("the stored credential is damaged")

// StoreUnavailableError says that a credential store cannot be used on
// this machine, why, and what to do instead.
type StoreUnavailableError struct {
	Store string // "OS keyring" or "encrypted file"
	Cause string // a sentence naming the cause
	Fixes []string
	Err   error
}

func (e *StoreUnavailableError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the %s is unavailable: %s", e.Store, e.Cause)
	if len(e.Fixes) > 0 {
		b.WriteString("; either " + strings.Join(e.Fixes, ", or "))
	}
	return b.String()
}

func (e *StoreUnavailableError) Unwrap() error { return e.Err }

// TimeoutError means that a store did not answer in time.
type TimeoutError struct {
	Op    string
	After string
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("%s did not finish within %s", e.Op, e.After)
}
