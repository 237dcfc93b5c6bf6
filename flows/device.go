package flows

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"time"

	"golang.org/x/oauth2"
)

// DeviceGrantType is the grant_type of a device access token request
// (RFC 8628 §3.4).
const DeviceGrantType = "urn:ietf:params:oauth:grant-type:device_code"

// Device-flow polling. RFC 8628 §3.5: "the client SHOULD wait at least
// the number of seconds specified by the interval parameter"; a server
// that sees a poll come sooner answers slow_down. Servers measure with
// their wall clock, tether sleeps on its monotonic one, and on WSL and in
// VMs the two drift apart (cli/cli#9370). So each wait is the interval
// plus a margin: 20% at first (as cli/oauth does), 20 points more after
// each slow_down, up to 100%. A slow_down also adds the 5 seconds RFC 8628
// §3.5 asks for ("the interval MUST be increased by 5 seconds for this and
// all subsequent requests"), so a drift of any size is outgrown after a
// few slow_downs rather than failing the sign-in.
const (
	defaultInterval = 5 * time.Second // RFC 8628 §3.2: "If no value is provided, clients MUST use 5 as the default."
	slowDownStep    = 5 * time.Second
	driftMargin     = 0.2
	maxDriftMargin  = 1.0
)

// padded is the interval plus the drift margin.
// maxNetFailures is how many polls in a row may fail to reach the server
// before the device flow gives up.
const maxNetFailures = 3

// defaultDeviceLifetime bounds a device code whose response has no
// expires_in: 15 minutes, the lifetime most servers give.
const defaultDeviceLifetime = 15 * time.Minute

func padded(interval time.Duration, margin float64) time.Duration {
	return interval + time.Duration(math.Round(float64(interval)*margin))
}

// DeviceSignIn runs the device authorization grant (RFC 8628): it asks
// for a device code, reports it (DeviceCode), opens the verification page
// when in.Browser can (the complete URI when the server gives one), and
// polls the token endpoint until the admin approves (Approved), refuses
// (Denied, and an *AuthorizationError matching ErrDenied: access_denied,
// or Microsoft's authorization_declined), or the code expires (Expired,
// and an *AuthorizationError matching ErrExpired). Before each poll it
// reports Waiting with the time left (0 when the server set no expiry)
// and the wait in force.
//
// It polls by itself instead of calling x/oauth2's
// Config.DeviceAccessToken, which waits on a time.Ticker built inside the
// function (deviceauth.go: "ticker := time.NewTicker(...)"), so it cannot
// run on an injected clock, adds no margin for clock drift, reports
// nothing between polls, and returns access_denied and expired_token as
// bare *oauth2.RetrieveError. Nor does it use Config.DeviceAuth, which
// cannot authenticate a confidential client (see deviceAuthorization). A
// refusal of the device authorization endpoint is a *TokenError that
// names it.
func (c Client) DeviceSignIn(ctx context.Context, in Interaction) (*oauth2.Token, error) {
	ep := c.Endpoints.DeviceAuthorizationURL
	if ep == "" {
		return nil, fmt.Errorf("%w: it has no device authorization endpoint; use the browser sign-in", ErrUnsupported)
	}
	if err := c.Endpoints.Validate(); err != nil {
		return nil, err
	}
	in.Events.Emit(Progress{Message: "requesting a device code from " + hostOf(ep)})
	da, err := c.deviceAuthorization(ctx)
	if err != nil {
		return nil, err
	}
	switch {
	case da.DeviceCode == "" || da.UserCode == "" || da.VerificationURI == "":
		return nil, fmt.Errorf("the device authorization response from %s lacks device_code, user_code or verification_uri", hostOf(ep))
	case Printable(da.UserCode) != da.UserCode || len(da.UserCode) > 64:
		// It is shown to the admin to type: printable text of a few
		// characters, never something that drives the terminal.
		return nil, fmt.Errorf("the device authorization response from %s has a user_code that is not a short printable code", hostOf(ep))
	case CheckURL(da.VerificationURI) != nil:
		return nil, fmt.Errorf("the verification page %q is not an https URL", da.VerificationURI)
	}
	complete := da.VerificationURIComplete
	if complete != "" && CheckURL(complete) != nil {
		complete = ""
	}

	// expires_in is required (RFC 8628 §3.2); a server that leaves it out
	// still gets a bound, so that polling never goes on forever.
	deadline := c.Clock.now().Add(defaultDeviceLifetime)
	if life := seconds(da.ExpiresIn); life > 0 {
		deadline = c.Clock.now().Add(life)
	}
	interval := defaultInterval
	if iv := seconds(da.Interval); iv > 0 && iv < time.Hour {
		interval = max(iv.Round(time.Second), time.Second)
	}
	in.Events.Emit(DeviceCode{
		UserCode:                da.UserCode,
		VerificationURI:         da.VerificationURI,
		VerificationURIComplete: complete,
		ExpiresAt:               deadline,
		Interval:                interval,
	})
	if in.Browser != nil {
		page := da.VerificationURI
		if complete != "" {
			page = complete
		}
		// The code and the page are on screen already: a browser that
		// fails after it started changes nothing the admin must do.
		openBrowser(in.Events, in.Browser, page)
	}

	poll := url.Values{"grant_type": {DeviceGrantType}, "device_code": {da.DeviceCode}}
	margin := driftMargin
	netFailures := 0
	for {
		wait := padded(interval, margin)
		var left time.Duration
		if !deadline.IsZero() {
			left = deadline.Sub(c.Clock.now())
		}
		in.Events.Emit(Waiting{Remaining: max(left, 0), Interval: wait})
		if err := c.Clock.sleep(ctx, wait); err != nil {
			return nil, err
		}
		if !deadline.IsZero() && !c.Clock.now().Before(deadline) {
			in.Events.Emit(Expired{})
			return nil, authorizationError("expired_token", "the code expired before it was approved (no poll after its expires_in)", "")
		}
		tok, err := c.token(ctx, poll)
		if err == nil {
			in.Events.Emit(Approved{})
			return tok, nil
		}
		// A network hiccup between two polls is not the admin's answer:
		// keep polling through a few in a row, then give up.
		var ne *NetworkError
		if errors.As(err, &ne) && ctx.Err() == nil && netFailures < maxNetFailures {
			netFailures++
			in.Events.Emit(Progress{Message: "could not reach " + ne.Host + " (" + ne.Reason + "); trying again"})
			continue
		}
		netFailures = 0
		var te *TokenError
		if !errors.As(err, &te) {
			return nil, err
		}
		switch te.Code {
		case "authorization_pending":
		case "slow_down":
			interval += slowDownStep
			margin = min(margin+driftMargin, maxDriftMargin)
		case "access_denied", "authorization_declined":
			in.Events.Emit(Denied{Reason: te.Description})
			return nil, authorizationError(te.Code, te.Description, "")
		case "expired_token":
			in.Events.Emit(Expired{})
			return nil, authorizationError(te.Code, te.Description, "")
		default:
			return nil, err
		}
	}
}

// hostOf returns the host of a URL, or the URL when it has none.
func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return raw
}

// openBrowser opens u with op and reports the outcome: whether a browser
// opened, and, for a Starter, the channel of its later failure (nil
// otherwise).
func openBrowser(ev Events, op Opener, u string) (opened bool, failed <-chan error) {
	if op == nil {
		ev.Emit(BrowserUnavailable{URL: u, Reason: "no browser may be opened here"})
		return false, nil
	}
	var err error
	if st, ok := op.(Starter); ok {
		failed, err = st.Start(u)
	} else {
		err = op.Open(u)
	}
	if err != nil {
		ev.Emit(BrowserUnavailable{URL: u, Reason: err.Error()})
		return false, nil
	}
	ev.Emit(BrowserOpened{URL: u})
	return true, failed
}
