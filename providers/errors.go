package providers

import (
	"errors"
	"fmt"
)

// UsageError means that the admin asked for something that cannot be done
// as asked (an unknown provider, method or connection; a missing input).
// Its message says what a good request looks like.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usagef returns a *UsageError.
func Usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// SignInError means that the provider refused the credential or the
// sign-in: a wrong secret, an unknown client, a grant type not enabled, a
// denied consent. Reason is what the provider said, in plain words; Fix is
// what to do.
type SignInError struct {
	Reason string
	Fix    string
	Err    error
}

func (e *SignInError) Error() string {
	if e.Fix == "" {
		return e.Reason
	}
	return e.Reason + "; " + e.Fix
}

func (e *SignInError) Unwrap() error { return e.Err }

// ErrNotImplemented means that tether knows the provider from the catalog
// but cannot connect to it yet.
var ErrNotImplemented = errors.New("not supported yet")

// VerdictError is returned by commands whose verification did not end in
// VerdictOK, so that the exit code can say which way it failed.
type VerdictError struct{ Verdict Verdict }

func (e *VerdictError) Error() string {
	if e.Verdict == VerdictMissing {
		return "required permissions are missing"
	}
	return "no verdict could be reached for some permissions"
}
