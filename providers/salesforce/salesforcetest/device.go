package salesforcetest

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/tetherdev/tether/flows/oauthtest"
)

// deviceLifetime is how long a device code lives (about 10 minutes).
const deviceLifetime = 10 * time.Minute

// deviceCode answers Salesforce's device code request (§3.2): a POST to the
// token endpoint with response_type=device_code, for an app with Enable
// Device Flow. The answer has no expires_in.
func (s *Server) deviceCode(w http.ResponseWriter, r *http.Request, p url.Values) {
	s.mu.Lock()
	org, app := s.appByKeyLocked(r, p.Get("client_id"))
	s.mu.Unlock()
	switch {
	case app == nil:
		oauthError(w, http.StatusBadRequest, "invalid_client_id", "client identifier invalid")
		return
	case !app.DeviceFlow:
		oauthError(w, http.StatusBadRequest, "invalid_request", "device flow not enabled for this app")
		return
	}
	var scopes []string
	for _, sc := range strings.Fields(p.Get("scope")) {
		if slices.Contains(app.Scopes, sc) && !slices.Contains(scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	interval := s.opts.DeviceInterval
	if interval <= 0 {
		interval = 5 * time.Second
	}
	device, user := s.devices.Issue(oauthtest.DeviceRequest{ClientID: app.ConsumerKey, Scopes: scopes}, s.opts.Now(), deviceLifetime, interval)
	// Salesforce's user codes are eight characters with no separator.
	user = strings.ReplaceAll(user, "-", "")
	oauthtest.NoStore(w.Header())
	oauthtest.WriteJSON(w, http.StatusOK, map[string]any{"user_code": user, "device_code": device,
		"interval": int(interval / time.Second), "verification_uri": "https://" + org.MyDomain + "/setup/connect"})
}

// devicePoll answers grant_type=device with code (§3.2): pending and
// slow_down are 400s, as are a denial and an expired code.
func (s *Server) devicePoll(w http.ResponseWriter, r *http.Request, p url.Values) {
	s.mu.Lock()
	defer s.mu.Unlock()
	org, app := s.appByKeyLocked(r, p.Get("client_id"))
	if app == nil {
		oauthError(w, http.StatusBadRequest, "invalid_client_id", "client identifier invalid")
		return
	}
	state, req := s.devices.Poll(p.Get("code"), app.ConsumerKey, s.opts.Now())
	switch state {
	case oauthtest.DevicePending:
		oauthError(w, http.StatusBadRequest, "authorization_pending", "authorization pending")
		return
	case oauthtest.DeviceSlowDown:
		oauthError(w, http.StatusBadRequest, "slow_down", "polling too quickly for the token endpoint.")
		return
	case oauthtest.DeviceDenied:
		oauthError(w, http.StatusBadRequest, "access_denied", "end-user denied authorization")
		return
	case oauthtest.DeviceExpired:
		oauthError(w, http.StatusBadRequest, "expired_token", "expired device code")
		return
	case oauthtest.DeviceInvalid:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "expired authorization code")
		return
	}
	u := org.browserUser()
	if u == nil || u.Inactive {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "authentication failure")
		return
	}
	if !u.permitted(*app) {
		oauthError(w, http.StatusBadRequest, "invalid_app_access", "user is not admin approved to access this app")
		return
	}
	refresh := ""
	if slices.Contains(req.Scopes, "refresh_token") {
		refresh = s.newRefreshLocked(refreshGrant{OrgID: org.ID, AppKey: app.ConsumerKey, UserID: u.ID, Scopes: req.Scopes})
	}
	s.issueLocked(w, r, *org, *app, *u, req.Scopes, refresh)
}

// ApproveDevice approves a device code as the org's browser user would
// on /setup/connect.
func (s *Server) ApproveDevice(userCode string) error {
	return s.devices.Approve(userCode, s.opts.Now())
}

// DenyDevice denies a device code.
func (s *Server) DenyDevice(userCode string) error { return s.devices.Deny(userCode, s.opts.Now()) }
