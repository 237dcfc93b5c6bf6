package auth0test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tetherdev/tether/flows/oauthtest"
)

const deviceClientID = "TthrTestNativeDeviceClient000001"

// deviceTenant is the demo tenant with a Native application for the
// device flow, allowed read:users on the Management API.
func deviceTenant() Tenant {
	t := Demo(all)
	t.Clients = append(t.Clients, Client{ID: deviceClientID, Name: "CLI",
		GrantTypes: []string{oauthtest.DeviceGrantType, "refresh_token"},
		Grants:     map[string][]string{t.Audience(): {"read:users"}}})
	return t
}

func deviceReq(host string, form url.Values) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "https://"+host+"/oauth/device/code", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

func TestDeviceCodeEndpoint(t *testing.T) {
	aud := "https://" + DemoDomain + "/api/v2/"
	ok := url.Values{"client_id": {deviceClientID}, "scope": {"openid read:users"}, "audience": {aud}}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for key, vs := range ok {
			f[key] = vs
		}
		if v == "" {
			f.Del(k)
		} else {
			f.Set(k, v)
		}
		return f
	}
	tests := []struct {
		name   string
		form   url.Values
		status int
		code   string
		desc   string
	}{
		{"ok", ok, 200, "", ""},
		{"no audience", with("audience", ""), 200, "", ""},
		{"no client_id", with("client_id", ""), 400, "invalid_request", "client_id"},
		{"a secret sent", with("client_secret", "x"), 403, "unauthorized_client", ""},
		{"unknown client", with("client_id", "nobody"), 401, "access_denied", "Unauthorized"},
		{"a machine-to-machine client", with("client_id", DemoClientID), 403, "unauthorized_client", "Grant type 'urn:ietf:params:oauth:grant-type:device_code' not allowed for the client."},
		{"an API the tenant does not have", with("audience", "https://api.example.com/"), 403, "access_denied", "Service not found"},
	}
	s := New(Options{Tenants: []Tenant{deviceTenant()}})
	for _, tt := range tests {
		r := do(t, s, deviceReq(DemoCustomDomain, tt.form))
		if r.status != tt.status {
			t.Errorf("%s: %d %s, want %d", tt.name, r.status, r.raw, tt.status)
			continue
		}
		if tt.status == 200 {
			verify := "https://" + DemoCustomDomain + "/activate"
			uc, _ := r.body["user_code"].(string)
			if r.body["verification_uri"] != verify || r.body["verification_uri_complete"] != verify+"?user_code="+uc ||
				r.body["expires_in"] != 900.0 || r.body["interval"] != 5.0 || r.body["device_code"] == "" || len(uc) != 9 {
				t.Errorf("%s: %s", tt.name, r.raw)
			}
			continue
		}
		if r.body["error"] != tt.code || !strings.Contains(r.body["error_description"].(string), tt.desc) {
			t.Errorf("%s: %s, want %s with %q", tt.name, r.raw, tt.code, tt.desc)
		}
	}
}

// TestDeviceFlow polls as the documentation says Auth0 answers: 403
// pending, 429 slow_down, the token once approved, then invalid_grant.
func TestDeviceFlow(t *testing.T) {
	clk := oauthtest.NewClock(time.Unix(1_800_000_000, 0))
	s := New(Options{Tenants: []Tenant{deviceTenant()}, Now: clk.Now})
	aud := "https://" + DemoDomain + "/api/v2/"
	start := do(t, s, deviceReq(DemoDomain, url.Values{"client_id": {deviceClientID}, "scope": {"openid read:users read:logs"}, "audience": {aud}}))
	dc, uc := start.body["device_code"].(string), start.body["user_code"].(string)
	poll := func() resp {
		return do(t, s, tokenReq(DemoDomain, url.Values{"grant_type": {oauthtest.DeviceGrantType}, "client_id": {deviceClientID}, "device_code": {dc}}))
	}
	steps := []struct {
		name    string
		advance time.Duration
		approve bool
		status  int
		code    string
	}{
		{"at once", 0, false, 429, "slow_down"},
		{"after the grown interval", 11 * time.Second, false, 403, "authorization_pending"},
		{"approved", 11 * time.Second, true, 200, ""},
		{"again", 11 * time.Second, false, 403, "invalid_grant"},
	}
	for _, st := range steps {
		clk.Advance(st.advance)
		if st.approve {
			if got := s.PendingDevices(); !slices.Equal(got, []string{uc}) {
				t.Fatalf("PendingDevices = %q, want [%s]", got, uc)
			}
			if err := s.ApproveDevice(uc); err != nil {
				t.Fatal(err)
			}
		}
		r := poll()
		if r.status != st.status || (st.code != "" && r.body["error"] != st.code) {
			t.Fatalf("%s: %d %s, want %d %s", st.name, r.status, r.raw, st.status, st.code)
		}
		if st.status != 200 {
			continue
		}
		// read:logs is not the application's to grant: dropped.
		if r.body["scope"] != "openid read:users" || r.body["id_token"] == nil || r.body["refresh_token"] != nil {
			t.Errorf("device token: %s", r.raw)
		}
		api := do(t, s, api(s, DemoDomain, "/api/v2/users", r.body["access_token"].(string)))
		if api.status != 200 {
			t.Errorf("the device token on the Management API: %d %s", api.status, api.raw)
		}
	}
}

func TestDeviceFlowDeniedAndExpired(t *testing.T) {
	clk := oauthtest.NewClock(time.Unix(1_800_000_000, 0))
	s := New(Options{Tenants: []Tenant{deviceTenant()}, Now: clk.Now})
	issue := func() (string, string) {
		r := do(t, s, deviceReq(DemoDomain, url.Values{"client_id": {deviceClientID}}))
		return r.body["device_code"].(string), r.body["user_code"].(string)
	}
	poll := func(dc string) resp {
		return do(t, s, tokenReq(DemoDomain, url.Values{"grant_type": {oauthtest.DeviceGrantType}, "client_id": {deviceClientID}, "device_code": {dc}}))
	}
	denied, uc := issue()
	if err := s.DenyDevice(uc); err != nil {
		t.Fatal(err)
	}
	expired, _ := issue()
	clk.Advance(6 * time.Second)
	if r := poll(denied); r.status != 403 || r.body["error"] != "access_denied" {
		t.Errorf("denied: %d %s", r.status, r.raw)
	}
	clk.Advance(900 * time.Second)
	if r := poll(expired); r.status != 403 || r.body["error"] != "expired_token" {
		t.Errorf("expired: %d %s", r.status, r.raw)
	}
	clk.Advance(6 * time.Second)
	if r := poll(expired); r.status != 403 || r.body["error"] != "invalid_grant" {
		t.Errorf("expired, polled again: %d %s, want invalid_grant (expired_token is returned once)", r.status, r.raw)
	}
	if r := poll(""); r.status != 400 || r.body["error"] != "invalid_request" {
		t.Errorf("no device_code: %d %s", r.status, r.raw)
	}
	if err := s.ApproveDevice("BCDF-GHJK"); err == nil {
		t.Error("ApproveDevice of an unknown code succeeded")
	}
}
