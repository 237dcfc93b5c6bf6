package auth0test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/tetherdev/tether/flows/oauthtest"
)

// The device flow's fixed parameters, from the documented answer (§3.4).
const (
	deviceLifetime = 900 * time.Second
	deviceInterval = 5 * time.Second
)

// oidcScopes are granted to a user's token whatever the API's grant.
var oidcScopes = []string{"openid", "profile", "email", "offline_access"}

// deviceCode is the device authorization endpoint, POST
// /oauth/device/code with client_id, scope and audience (§3.4). Auth0
// supports the device flow for public clients only ("the full Draft 15,
// except for confidential Clients"): a Native application whose Token
// Endpoint Authentication Method is None, with the Device Code grant
// enabled.
func (s *Server) deviceCode(w http.ResponseWriter, r *http.Request) {
	t, p, ok := s.authnRequest(w, r)
	if !ok {
		return
	}
	clientID := p.Get("client_id")
	if clientID == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "Missing required parameter: client_id")
		return
	}
	if p.Get("client_secret") != "" || p.Get("client_assertion") != "" {
		// 403 unauthorized_client as soon as credentials are sent
		// (auth0/ruby-auth0#794); the description is UNVERIFIED.
		oauthError(w, http.StatusForbidden, "unauthorized_client", "Client authentication is not supported for the device authorization flow")
		return
	}
	c, found := s.client(t, clientID)
	if !found {
		s.badSecret(w) // an unknown client as at the token endpoint: UNVERIFIED here
		return
	}
	if c.Secret != "" || len(c.PublicKeys) > 0 || !slices.Contains(c.grantTypes(), oauthtest.DeviceGrantType) {
		notAllowed(w, oauthtest.DeviceGrantType) // observed (auth0-lab/auth0-unity#13)
		return
	}
	aud := p.Get("audience")
	if aud != "" && aud != t.Audience() {
		oauthError(w, http.StatusForbidden, "access_denied", "Service not found: "+aud) // as at the token endpoint: UNVERIFIED here
		return
	}
	dc, uc := s.devices.Issue(oauthtest.DeviceRequest{ClientID: c.ID, Scopes: strings.Fields(p.Get("scope")), Audience: aud},
		s.opts.Now(), deviceLifetime, deviceInterval)
	verify := "https://" + strings.ToLower(r.Host) + "/activate"
	oauthtest.NoStore(w.Header())
	oauthtest.WriteJSON(w, http.StatusOK, map[string]any{
		"device_code":               dc,
		"user_code":                 uc,
		"verification_uri":          verify,
		"verification_uri_complete": verify + "?" + url.Values{"user_code": {uc}}.Encode(),
		"expires_in":                int(deviceLifetime.Seconds()),
		"interval":                  int(deviceInterval.Seconds()),
	})
}

// deviceToken is the device code grant at /oauth/token (§3.4), with the
// documented statuses: 403 authorization_pending, 429 slow_down, 403
// expired_token once and invalid_grant after, 403 access_denied. The
// pending description is recorded (go-auth0); the others are
// UNVERIFIED.
func (s *Server) deviceToken(w http.ResponseWriter, r *http.Request, t Tenant, p url.Values) {
	clientID, dc := p.Get("client_id"), p.Get("device_code")
	switch {
	case clientID == "":
		oauthError(w, http.StatusBadRequest, "invalid_request", "Missing required parameter: client_id")
		return
	case dc == "":
		oauthError(w, http.StatusBadRequest, "invalid_request", "Missing required parameter: device_code")
		return
	}
	c, found := s.client(t, clientID)
	if !found {
		s.badSecret(w)
		return
	}
	if !slices.Contains(c.grantTypes(), oauthtest.DeviceGrantType) {
		notAllowed(w, oauthtest.DeviceGrantType)
		return
	}
	st, req := s.devices.Poll(dc, c.ID, s.opts.Now())
	switch st {
	case oauthtest.DevicePending:
		oauthError(w, http.StatusForbidden, "authorization_pending", "Authorization pending: please repeat the request in a few seconds.")
		return
	case oauthtest.DeviceSlowDown:
		oauthError(w, http.StatusTooManyRequests, "slow_down", "You are polling faster than allowed. Try again in "+
			s.devices.Interval(dc).String()+".")
		return
	case oauthtest.DeviceExpired:
		oauthError(w, http.StatusForbidden, "expired_token", "The device code has expired.")
		return
	case oauthtest.DeviceDenied:
		oauthError(w, http.StatusForbidden, "access_denied", "The user denied the request.")
		return
	case oauthtest.DeviceInvalid:
		oauthError(w, http.StatusForbidden, "invalid_grant", "Invalid or expired device code.")
		return
	}
	s.issueUserToken(w, r, t, c, req)
}

// issueUserToken issues the token of an approved device request, for
// the tenant's first user (the admin who approved). The scopes are those
// requested that the application's grant for the audience allows, plus
// the OpenID ones: Auth0 drops what it does not grant rather than
// failing a user's sign-in [INF, §3.4]. With openid, an ID token comes
// too. No refresh token is issued, since the emulator has no refresh
// grant.
func (s *Server) issueUserToken(w http.ResponseWriter, r *http.Request, t Tenant, c Client, req oauthtest.DeviceRequest) {
	sub := "auth0|device-user"
	if len(t.Users) > 0 {
		sub = t.Users[0].ID
	}
	var scopes []string
	for _, sc := range req.Scopes {
		if sc != "offline_access" && (slices.Contains(oidcScopes, sc) || slices.Contains(c.Grants[req.Audience], sc)) {
			scopes = append(scopes, sc)
		}
	}
	var aud []string
	if req.Audience != "" {
		aud = append(aud, req.Audience)
	}
	openid := slices.Contains(scopes, "openid")
	if openid || len(aud) == 0 {
		aud = append(aud, issuer(r)+"userinfo")
	}
	tok, err := s.mint(r, sub, c.ID, aud, scopes, "")
	if err != nil {
		oauthError(w, http.StatusInternalServerError, "server_error", "could not mint a token")
		return
	}
	body := map[string]any{"access_token": tok, "expires_in": int(tokenLifetime.Seconds()),
		"scope": strings.Join(scopes, " "), "token_type": "Bearer"}
	if openid {
		now := s.opts.Now()
		idt, err := s.tokens.Mint(jwt.Claims{Issuer: issuer(r), Subject: sub, Audience: jwt.Audience{c.ID},
			IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(10 * time.Hour))})
		if err != nil {
			oauthError(w, http.StatusInternalServerError, "server_error", "could not mint a token")
			return
		}
		body["id_token"] = idt
	}
	oauthtest.NoStore(w.Header())
	oauthtest.WriteJSON(w, http.StatusOK, body)
}

// ApproveDevice approves the pending device request with userCode, as
// the admin would on the activation page.
func (s *Server) ApproveDevice(userCode string) error {
	return s.devices.Approve(userCode, s.opts.Now())
}

// DenyDevice denies the pending device request with userCode.
func (s *Server) DenyDevice(userCode string) error { return s.devices.Deny(userCode, s.opts.Now()) }

// PendingDevices returns the user codes awaiting a decision, for an
// emulated admin that approves sign-ins by itself.
func (s *Server) PendingDevices() []string { return s.devices.Pending(s.opts.Now()) }
