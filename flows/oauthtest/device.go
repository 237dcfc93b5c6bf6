package oauthtest

import (
	"crypto/rand"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

type deviceStatus int

const (
	devicePending deviceStatus = iota
	deviceApproved
	deviceDenied
)

// userCodeAlphabet has no vowels, so no words, and no look-alikes (RFC
// 8628 §6.1).
const userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

func newUserCode() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = userCodeAlphabet[int(b[i])%len(userCodeAlphabet)]
	}
	return string(b[:4]) + "-" + string(b[4:])
}

// normalizeUserCode ignores case, spaces and dashes, as RFC 8628 §6.1
// advises.
func normalizeUserCode(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToUpper(s))
}

// deviceAuthorization is the device authorization endpoint (RFC 8628
// §3.1, §3.2). A confidential client authenticates here as at the token
// endpoint ("the client MUST authenticate with the authorization server
// as described in Section 3.2.1 of [RFC6749]"); a public one sends its
// client_id.
func (s *Server) deviceAuthorization(w http.ResponseWriter, r *http.Request) {
	p, oe := form(r)
	if oe != nil {
		oe.write(w)
		return
	}
	c, oe := s.authenticate(r, p)
	if oe != nil {
		oe.write(w)
		return
	}
	scopes := strings.Fields(p.Get("scope"))
	switch {
	case !c.allows(DeviceGrantType):
		unauthorizedClient("the client may not use the device authorization grant").write(w)
		return
	case !c.allowsScopes(scopes):
		invalidScope("the client may not request these scopes").write(w)
		return
	}
	dc, userCode := s.devices.Issue(DeviceRequest{ClientID: c.ID, Scopes: scopes}, s.opts.Now(),
		s.opts.DeviceCodeLifetime, s.opts.Interval)
	verify := issuer(r) + "/device"
	body := map[string]any{
		"device_code": dc,
		"user_code":   userCode,
		"expires_in":  int(s.opts.DeviceCodeLifetime.Seconds()),
		"interval":    int(s.opts.Interval.Seconds()),
	}
	if s.opts.GoogleDevice {
		body["verification_url"] = verify
	} else {
		body["verification_uri"] = verify
		body["verification_uri_complete"] = verify + "?" + url.Values{"user_code": {userCode}}.Encode()
	}
	writeJSON(w, http.StatusOK, body)
}

// deviceGrant answers a device access token request (RFC 8628 §3.4,
// §3.5). A poll sooner than the interval after the previous one (or after
// the code was issued) is slow_down, and the interval grows by 5 seconds
// "for this and all subsequent requests".
func (s *Server) deviceGrant(r *http.Request, c Client, p url.Values) (map[string]any, *oauthError) {
	dc := p.Get("device_code")
	if dc == "" {
		return nil, invalidRequest("device_code is missing")
	}
	switch st, req := s.devices.Poll(dc, c.ID, s.opts.Now()); st {
	case DeviceInvalid:
		return nil, invalidGrant("the device code is invalid or was already used")
	case DeviceExpired:
		return nil, &oauthError{400, "expired_token", "the device code expired", false}
	case DeviceSlowDown:
		return nil, &oauthError{400, "slow_down", "polling too fast: wait at least the interval, now " + s.devices.Interval(dc).String(), false}
	case DevicePending:
		return nil, &oauthError{400, "authorization_pending", "the user has not yet approved the request", false}
	case DeviceDenied:
		return nil, &oauthError{400, "access_denied", "the user denied the request", false}
	default:
		s.mu.Lock()
		defer s.mu.Unlock()
		body, _, _ := s.issueLocked(r, c, req.Scopes, c.allows("refresh_token"))
		return body, nil
	}
}

// ErrUnknownUserCode means that no live device request has that user code.
var ErrUnknownUserCode = errors.New("oauthtest: no pending device request has that user code")

// ApproveDevice approves the device request with userCode, as the user
// would on the verification page.
func (s *Server) ApproveDevice(userCode string) error {
	return s.decideDevice(userCode, deviceApproved)
}

// DenyDevice denies the device request with userCode.
func (s *Server) DenyDevice(userCode string) error { return s.decideDevice(userCode, deviceDenied) }

func (s *Server) decideDevice(userCode string, st deviceStatus) error {
	if st == deviceApproved {
		return s.devices.Approve(userCode, s.opts.Now())
	}
	return s.devices.Deny(userCode, s.opts.Now())
}

// devicePage is the verification page (RFC 8628 §3.3), with the user code
// filled in from verification_uri_complete.
func (s *Server) devicePage(w http.ResponseWriter, r *http.Request) {
	renderPage(w, http.StatusOK, "device", pageData{
		Title: "Connect a device", Action: "/device", UserCode: r.URL.Query().Get("user_code"),
	})
}

func (s *Server) deviceDecide(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		errorPage(w, http.StatusBadRequest, "Invalid request", "The form does not parse.")
		return
	}
	st := deviceDenied
	if r.PostForm.Get("decision") == "approve" {
		st = deviceApproved
	}
	if err := s.decideDevice(r.PostForm.Get("user_code"), st); err != nil {
		errorPage(w, http.StatusBadRequest, "Invalid code", "That code is not valid, has expired, or was already used.")
		return
	}
	if st == deviceApproved {
		donePage(w, "Device connected", "You approved the request. Return to your device.")
		return
	}
	donePage(w, "Request denied", "You denied the request. Return to your device.")
}
