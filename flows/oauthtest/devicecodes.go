package oauthtest

import (
	"slices"
	"sync"
	"time"
)

// DeviceRequest is what a device authorization request asked for (RFC
// 8628 §3.1), kept with its codes until it is redeemed.
type DeviceRequest struct {
	ClientID string
	Scopes   []string
	// Audience is Auth0's extra parameter: the API the token is for.
	Audience string
}

// DevicePoll is the state a device access token request finds (RFC 8628
// §3.5); each emulator answers it with its provider's status and body
// (all 400 for RFC 8628 and Okta; 403 and 429 for Auth0).
type DevicePoll int

const (
	// DevicePending: the user has not decided yet (authorization_pending).
	DevicePending DevicePoll = iota
	// DeviceSlowDown: polled sooner than the interval after the previous
	// poll; the interval grew by 5 seconds (slow_down).
	DeviceSlowDown
	// DeviceDenied: the user denied the request (access_denied). The
	// session has concluded: later polls are DeviceInvalid.
	DeviceDenied
	// DeviceExpired: the device code expired (expired_token). Reported
	// once, as Auth0 documents; later polls are DeviceInvalid.
	DeviceExpired
	// DeviceInvalid: the code is unknown, another client's, redeemed or
	// concluded (invalid_grant).
	DeviceInvalid
	// DeviceApproved: the user approved; the code is now spent.
	DeviceApproved
)

// DeviceCodes holds the device authorization sessions of an emulator
// (RFC 8628): it issues the codes, enforces the polling interval with
// slow_down, expires them, and records the user's decision. The zero
// value is ready; it is safe for concurrent use. Time is passed in, so
// tests drive expiry and intervals without sleeping.
type DeviceCodes struct {
	mu       sync.Mutex
	sessions map[string]*deviceSession // by device_code
}

type deviceSession struct {
	req      DeviceRequest
	userCode string
	expires  time.Time
	interval time.Duration
	lastPoll time.Time
	status   deviceStatus
	done     bool // redeemed, or its denial or expiry reported
}

// Issue starts a session for req that lives lifetime and may be polled
// every interval; it returns the device code and the user code (RFC 8628
// §6.1: eight characters of an alphabet without vowels or look-alikes,
// shown as XXXX-XXXX).
func (d *DeviceCodes) Issue(req DeviceRequest, now time.Time, lifetime, interval time.Duration) (deviceCode, userCode string) {
	deviceCode, userCode = randomToken("dc_"), newUserCode()
	req.Scopes = slices.Clone(req.Scopes)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.sessions == nil {
		d.sessions = map[string]*deviceSession{}
	}
	for dc, s := range d.sessions {
		if s.done || now.After(s.expires.Add(time.Hour)) {
			delete(d.sessions, dc)
		}
	}
	d.sessions[deviceCode] = &deviceSession{req: req, userCode: userCode, expires: now.Add(lifetime),
		interval: interval, lastPoll: now}
	return deviceCode, userCode
}

// Poll answers a device access token request by clientID for deviceCode
// at now (RFC 8628 §3.4, §3.5). A poll sooner than the interval after the
// previous one (or after the code was issued) is DeviceSlowDown, and the
// interval grows by 5 seconds "for this and all subsequent requests". On
// DeviceApproved it returns the request, and the code is spent.
func (d *DeviceCodes) Poll(deviceCode, clientID string, now time.Time) (DevicePoll, DeviceRequest) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, ok := d.sessions[deviceCode]
	if !ok || s.req.ClientID != clientID || s.done {
		return DeviceInvalid, DeviceRequest{}
	}
	if !now.Before(s.expires) {
		s.done = true
		return DeviceExpired, DeviceRequest{}
	}
	if now.Sub(s.lastPoll) < s.interval {
		s.interval += 5 * time.Second
		s.lastPoll = now
		return DeviceSlowDown, DeviceRequest{}
	}
	s.lastPoll = now
	switch s.status {
	case devicePending:
		return DevicePending, DeviceRequest{}
	case deviceDenied:
		s.done = true
		return DeviceDenied, DeviceRequest{}
	}
	s.done = true
	return DeviceApproved, s.req
}

// Interval is the session's polling interval now, grown by each
// slow_down; 0 for an unknown code.
func (d *DeviceCodes) Interval(deviceCode string) time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	if s, ok := d.sessions[deviceCode]; ok {
		return s.interval
	}
	return 0
}

// Approve approves the pending, live session with userCode, as the user
// would on the verification page; the code is compared ignoring case,
// spaces and dashes (RFC 8628 §6.1). It returns ErrUnknownUserCode when
// no such session is pending.
func (d *DeviceCodes) Approve(userCode string, now time.Time) error {
	return d.decide(userCode, deviceApproved, now)
}

// Deny denies the pending, live session with userCode.
func (d *DeviceCodes) Deny(userCode string, now time.Time) error {
	return d.decide(userCode, deviceDenied, now)
}

func (d *DeviceCodes) decide(userCode string, st deviceStatus, now time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	want := normalizeUserCode(userCode)
	for _, s := range d.sessions {
		if normalizeUserCode(s.userCode) == want && s.status == devicePending && !s.done && now.Before(s.expires) {
			s.status = st
			return nil
		}
	}
	return ErrUnknownUserCode
}

// Pending returns the user codes of the sessions awaiting a decision at
// now, so that an emulated admin can approve them without reading the
// client's screen.
func (d *DeviceCodes) Pending(now time.Time) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, s := range d.sessions {
		if s.status == devicePending && !s.done && now.Before(s.expires) {
			out = append(out, s.userCode)
		}
	}
	slices.Sort(out)
	return out
}
