package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/ui/plain"
)

// Exit codes, documented in the README. They are decided here and nowhere
// else.
const (
	exitOK        = 0   // every needed permission granted
	exitMissing   = 1   // something needed is missing
	exitUsage     = 2   // usage or configuration error
	exitNoVerdict = 3   // no verdict: network, authentication, rate limit
	exitInterrupt = 130 // interrupted (ctrl+c)
	exitCannotRun = 126 // exec: the command cannot be run, as a shell says
	exitNotFound  = 127 // exec: no such command, as a shell says
)

// exitStatuses say what each exit code means, for the man page and the
// help of the commands that end with a verdict.
var exitStatuses = []struct {
	code    int
	meaning string
}{
	{exitOK, "every needed permission is granted (unknown and excess checks are reported and do not fail), or the command did what it was asked"},
	{exitMissing, "something needed is missing"},
	{exitUsage, "usage or configuration error: a bad flag or input, an unknown provider or connection, a credential store that cannot be used, a confirmation that could not be asked"},
	{exitNoVerdict, "no verdict: the provider could not be reached, refused the credential, or rate-limited past patience"},
	{exitInterrupt, "interrupted (ctrl+c, SIGTERM)"},
	{exitCannotRun, "with exec, the command cannot be run (it is not executable); otherwise exec exits with the status of its command"},
	{exitNotFound, "with exec, the command is not found"},
}

// exitCode maps an error from a command to the process's exit code.
func exitCode(err error) int {
	var (
		verdict  *providers.VerdictError
		usage    *providers.UsageError
		input    *providers.InputError
		unknown  *catalog.UnknownCapabilityError
		store    *flows.StoreUnavailableError
		config   *providers.ConfigError
		record   *providers.RecordError
		unsafe   *providers.UnsafeConfigError
		flagErr  *flagError
		signIn   *providers.SignInError
		network  *flows.NetworkError
		timeout  *flows.TimeoutError
		tokenErr *flows.TokenError
		noAnswer *flows.NoAnswerError
		status   *exitStatus
	)
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &status):
		return status.code
	case errors.As(err, &verdict):
		if verdict.Verdict == providers.VerdictMissing {
			return exitMissing
		}
		return exitNoVerdict
	case errors.Is(err, context.Canceled), errors.Is(err, flows.ErrDeclined):
		return exitInterrupt
	case errors.As(err, &usage), errors.As(err, &input), errors.As(err, &unknown), errors.As(err, &flagErr),
		errors.As(err, &store), errors.As(err, &config), errors.As(err, &record), errors.As(err, &unsafe),
		errors.Is(err, providers.ErrNotImplemented), errors.Is(err, plain.ErrAborted), errors.As(err, &noAnswer),
		errors.Is(err, providers.ErrNoToken), errors.Is(err, providers.ErrNoExport):
		return exitUsage
	case errors.As(err, &signIn), errors.As(err, &network), errors.As(err, &timeout), errors.As(err, &tokenErr):
		return exitNoVerdict
	}
	return exitNoVerdict
}

// flagError is a command-line error: a flag or an argument that cannot be
// parsed or is not known.
type flagError struct {
	err error
	// help, when set, is where to read what is valid ("tether verify
	// --help"), for an error that does not say it itself.
	help string
}

func (e *flagError) Error() string {
	if e.help != "" {
		return e.err.Error() + " (see " + e.help + ")"
	}
	return e.err.Error()
}
func (e *flagError) Unwrap() error { return e.err }

// exitStatus ends tether with the exit status of a command it ran (tether
// exec), or with the shell's 127 or 126 when it could not run one.
type exitStatus struct {
	code int
	msg  string
}

func (e *exitStatus) Error() string {
	if e.msg != "" {
		return e.msg
	}
	return fmt.Sprintf("the command exited with status %d", e.code)
}

// silentError has already been reported on stdout (a verification's
// checks); only its exit code is left to give.
type silentError struct{ err error }

func (e *silentError) Error() string { return e.err.Error() }
func (e *silentError) Unwrap() error { return e.err }

// printError writes err to w as one line per error it joins, prefixed
// "tether:".
func printError(w io.Writer, err error) {
	var silent *silentError
	if errors.As(err, &silent) {
		return
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(w, "tether: interrupted")
		return
	}
	// An error may quote a server: it is printed, never obeyed.
	lines := strings.Split(strings.TrimSpace(flows.Printable(err.Error())), "\n")
	for _, l := range lines {
		fmt.Fprintln(w, "tether: "+l)
	}
}
