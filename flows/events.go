package flows

import "time"

// Event is progress reported by a sign-in, for the TUI, the plain printer
// and the SSH session to render each in its own way. Events are plain
// values and never carry a secret.
type Event interface{ event() }

// Progress is a step of a sign-in under way, in a short sentence
// ("requesting a Management API token from acme.us.auth0.com").
type Progress struct{ Message string }

// DeviceCode says that a device authorization (RFC 8628 §3.2) is ready:
// the admin opens VerificationURI on any device and enters UserCode, or
// opens VerificationURIComplete, which carries the code.
type DeviceCode struct {
	UserCode                string
	VerificationURI         string
	VerificationURIComplete string
	ExpiresAt               time.Time
	Interval                time.Duration
}

// Waiting says that a sign-in is waiting for the admin: Remaining is the
// time left before the code or the consent request expires.
type Waiting struct {
	Remaining time.Duration
	// Interval is the polling interval in force (it grows on slow_down).
	Interval time.Duration
}

// Approved says that the admin approved the sign-in.
type Approved struct{}

// Denied says that the admin or the provider refused the sign-in
// (access_denied, authorization_declined); Reason is the provider's words.
type Denied struct{ Reason string }

// Expired says that the code or the consent request expired unused.
type Expired struct{}

// BrowserOpened says that the consent page was opened in a browser.
type BrowserOpened struct{ URL string }

// BrowserUnavailable says that no browser could be opened here (an SSH
// session, no display, --no-browser, or the opener failed): the admin
// opens URL themselves.
type BrowserUnavailable struct {
	URL    string
	Reason string
}

// AwaitingRedirect says that the flow waits for the provider to redirect
// to RedirectURI, on the loopback listener, or pasted back by the admin
// when Paste is true (their browser cannot reach this machine's loopback).
type AwaitingRedirect struct {
	URL         string
	RedirectURI string
	Paste       bool
	ExpiresAt   time.Time
}

// RedirectReceived says that the redirect arrived and was accepted.
type RedirectReceived struct{}

func (Progress) event()           {}
func (DeviceCode) event()         {}
func (Waiting) event()            {}
func (Approved) event()           {}
func (Denied) event()             {}
func (Expired) event()            {}
func (BrowserOpened) event()      {}
func (BrowserUnavailable) event() {}
func (AwaitingRedirect) event()   {}
func (RedirectReceived) event()   {}

// Events receives sign-in events. A nil Events discards them.
type Events func(Event)

// Emit sends e to the receiver, if any.
func (f Events) Emit(e Event) {
	if f != nil {
		f(e)
	}
}

// Opener opens a URL in the admin's browser.
type Opener interface {
	Open(url string) error
}

// Interaction is how a sign-in talks to the admin: it reports Events, may
// open a browser with Browser (nil: none may be opened, as over SSH, where
// the browser is on the admin's machine), receives the final redirect URL
// on Paste when the admin pastes it back, and asks questions with Ask.
type Interaction struct {
	Events  Events
	Browser Opener
	Paste   <-chan string
	// Ask asks the admin a question (Confirm, Choose); nil means nobody
	// can be asked, and a question is then a *NoAnswerError.
	Ask Asker
}
