package oauthtest

import (
	"net/url"
	"testing"

	"github.com/go-jose/go-jose/v4/jwt"
)

// TestDeviceAuthorizationAuthenticatesTheClient: a confidential client
// authenticates at the device authorization endpoint exactly as at the
// token endpoint (RFC 8628 §3.1).
func TestDeviceAuthorizationAuthenticatesTheClient(t *testing.T) {
	r := newRig(t, Options{})
	ep := r.URL + "/device_authorization"
	deviceAud := func(c *jwt.Claims) { c.Audience = jwt.Audience{ep} }
	tokenAud := func(c *jwt.Claims) { c.Audience = jwt.Audience{r.URL + "/token"} }
	for _, tc := range []struct {
		name   string
		form   url.Values
		basic  []string
		status int
		code   string
	}{
		{"public client by client_id", url.Values{"client_id": {"public"}}, nil, 200, ""},
		{"confidential without its secret", url.Values{"client_id": {"conf"}}, nil, 401, "invalid_client"},
		{"confidential, client_secret_post", url.Values{"client_id": {"conf"}, "client_secret": {"s3cret"}}, nil, 200, ""},
		{"confidential, client_secret_basic", url.Values{}, []string{"conf", "s3cret"}, 200, ""},
		{"confidential, wrong Basic secret", url.Values{}, []string{"conf", "nope"}, 401, "invalid_client"},
		{"two methods at once", url.Values{"client_secret": {"s3cret"}}, []string{"conf", "s3cret"}, 400, "invalid_request"},
		{"private_key_jwt for this endpoint", url.Values{"client_assertion_type": {AssertionType},
			"client_assertion": {assertion(t, deviceAud, rsaKey)}}, nil, 200, ""},
		{"private_key_jwt for the token endpoint", url.Values{"client_assertion_type": {AssertionType},
			"client_assertion": {assertion(t, tokenAud, rsaKey)}}, nil, 200, ""},
		{"private_key_jwt client without its assertion", url.Values{"client_id": {"jwt"}}, nil, 401, "invalid_client"},
	} {
		a := post(t, ep, tc.form, tc.basic...)
		if a.status != tc.status || a.err() != tc.code {
			t.Errorf("%s: %d %v, want %d %q", tc.name, a.status, a.body, tc.status, tc.code)
		}
	}
}
