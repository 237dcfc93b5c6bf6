package salesforce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

// Salesforce's device flow is not RFC 8628's (§3.2): the code is asked of
// the token endpoint with response_type=device_code, and polled with
// grant_type=device and code.
const (
	deviceResponseType = "device_code"
	deviceGrantType    = "device"
	// deviceLifetime is how long a device code lives: Salesforce sends no
	// expires_in (about 10 minutes per its help; UNVERIFIED).
	deviceLifetime = 10 * time.Minute
	// slowDownStep is how much slow_down lengthens the interval (RFC 8628
	// §3.5, which a well-behaved client follows here too).
	slowDownStep = 5 * time.Second
)

// decodeOAuthError reads a token endpoint error, {"error","error_description"}.
func decodeOAuthError(_ int, body []byte) (code, message string) {
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(body, &e)
	return e.Error, e.Description
}

// deviceRefused explains a device code request the app or org refused, and
// offers the web sign-in instead.
func deviceRefused(a providers.Answer) error {
	reason := "Salesforce refused the device code request (" + a.String() + ")"
	if a.Message != "" {
		reason = "Salesforce refused the device code request (" + a.Code + ": " + a.Message + ")"
	}
	return &providers.SignInError{Reason: reason,
		Fix: "enable it in the app's OAuth Settings → Flow Enablement → Enable Device Flow (with the scopes api and refresh_token), or sign in with the browser instead: tether setup salesforce --method web"}
}

// deviceSignIn runs Salesforce's device flow: it shows the user code and
// the verification page, polls at the interval given (longer after
// slow_down) until the user approves, denies or the code expires, and
// returns the token.
func (p *Provider) deviceSignIn(ctx context.Context, h Host, settings map[string]string, io flows.Interaction) (*oauth2.Token, error) {
	pr := &providers.Prober{Provider: "Salesforce", Env: p.env, DecodeError: decodeOAuthError}
	form := func(v url.Values) ([]byte, http.Header) {
		return []byte(v.Encode()), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	}
	clientID := strings.TrimSpace(settings[InputClientID])
	body, hdr := form(url.Values{"response_type": {deviceResponseType}, "client_id": {clientID}, "scope": {strings.Join(webScopes, " ")}})
	a := pr.Do(ctx, http.MethodPost, h.url("/services/oauth2/token"), body, hdr)
	if a.Err != nil {
		return nil, fmt.Errorf("asking Salesforce for a device code: %w", a.Err)
	}
	if !a.OK() {
		return nil, deviceRefused(a)
	}
	var dc struct {
		UserCode        string `json:"user_code"`
		DeviceCode      string `json:"device_code"`
		Interval        int    `json:"interval"`
		VerificationURI string `json:"verification_uri"`
	}
	if err := json.Unmarshal(a.Body, &dc); err != nil || dc.UserCode == "" || dc.DeviceCode == "" {
		return nil, errors.New("Salesforce's device code answer lacks the user code or the device code")
	}
	if u, err := url.Parse(dc.VerificationURI); err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("Salesforce's device code answer names no https verification page (%q)", dc.VerificationURI)
	}
	interval := time.Duration(min(max(dc.Interval, 1), 60)) * time.Second
	expires := p.env.Clock.Time().Add(deviceLifetime)
	io.Events.Emit(flows.DeviceCode{UserCode: dc.UserCode, VerificationURI: dc.VerificationURI, ExpiresAt: expires, Interval: interval})
	for {
		if err := p.env.Clock.Wait(ctx, interval); err != nil {
			return nil, err
		}
		if !p.env.Clock.Time().Before(expires) {
			return nil, &flows.AuthorizationError{Code: "expired_token", Description: "the device code expired before it was approved", Err: flows.ErrExpired}
		}
		body, hdr := form(url.Values{"grant_type": {deviceGrantType}, "client_id": {clientID}, "code": {dc.DeviceCode}})
		a := pr.Do(ctx, http.MethodPost, h.url("/services/oauth2/token"), body, hdr)
		switch {
		case a.Err != nil:
			return nil, fmt.Errorf("polling Salesforce for the device sign-in: %w", a.Err)
		case a.OK():
			io.Events.Emit(flows.Approved{})
			return deviceToken(a.Body)
		case a.Code == "authorization_pending":
			io.Events.Emit(flows.Waiting{Remaining: expires.Sub(p.env.Clock.Time()), Interval: interval})
			continue
		case a.Code == "slow_down":
			interval += slowDownStep
			continue
		case a.Code == "access_denied":
			return nil, &flows.AuthorizationError{Code: a.Code, Description: a.Message, Err: flows.ErrDenied}
		case a.Code == "expired_token" || a.Code == "invalid_grant":
			return nil, &flows.AuthorizationError{Code: a.Code, Description: a.Message, Err: flows.ErrExpired}
		}
		return nil, &flows.TokenError{Status: a.Status, Code: a.Code, Description: a.Message}
	}
}

// deviceToken reads the device flow's token response (§3.2), with its
// Salesforce fields as the token's extras.
func deviceToken(body []byte) (*oauth2.Token, error) {
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, errors.New("Salesforce's token answer is not a JSON object")
	}
	access, _ := raw["access_token"].(string)
	refresh, _ := raw["refresh_token"].(string)
	typ, _ := raw["token_type"].(string)
	if access == "" {
		return nil, errors.New("Salesforce's token answer holds no access token")
	}
	return (&oauth2.Token{AccessToken: access, RefreshToken: refresh, TokenType: typ}).WithExtra(raw), nil
}
