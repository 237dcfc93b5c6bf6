package auth0test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/tetherdev/tether/flows/oauthtest"
)

// TestTokenIssuerIsTheHostCalled: a token issued through a custom domain
// names it as iss, with Auth0's trailing slash (§3.1); the audience is
// the canonical Management API either way.
func TestTokenIssuerIsTheHostCalled(t *testing.T) {
	s := New(Options{Tenants: []Tenant{Demo(all)}})
	for _, host := range []string{DemoDomain, DemoCustomDomain} {
		raw := mint(t, s, host, DemoDomain)
		tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
		if err != nil {
			t.Fatal(err)
		}
		var c tokenClaims
		if err := tok.UnsafeClaimsWithoutVerification(&c); err != nil {
			t.Fatal(err)
		}
		if c.Issuer != "https://"+host+"/" || !c.Audience.Contains("https://"+DemoDomain+"/api/v2/") ||
			c.Subject != DemoClientID+"@clients" || c.Gty != "client-credentials" || c.Azp != DemoClientID {
			t.Errorf("token through %s: claims %+v", host, c)
		}
		if tok.Headers[0].KeyID == "" {
			t.Errorf("token through %s has no kid", host)
		}
	}
}

// TestDiscoveryAndJWKS: each host serves its own OpenID configuration,
// and the JWKS its jwks_uri names verifies the tokens that host issues.
func TestDiscoveryAndJWKS(t *testing.T) {
	s := New(Options{Tenants: []Tenant{Demo(all)}})
	for _, host := range []string{DemoDomain, DemoCustomDomain} {
		r := do(t, s, httptest.NewRequest(http.MethodGet, "https://"+host+"/.well-known/openid-configuration", nil))
		iss := "https://" + host + "/"
		if r.status != 200 || r.body["issuer"] != iss || r.body["token_endpoint"] != iss+"oauth/token" ||
			r.body["device_authorization_endpoint"] != iss+"oauth/device/code" || r.body["jwks_uri"] != iss+".well-known/jwks.json" {
			t.Fatalf("%s discovery: %d %s", host, r.status, r.raw)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, r.body["jwks_uri"].(string), nil))
		var set jose.JSONWebKeySet
		if err := json.Unmarshal(rec.Body.Bytes(), &set); err != nil || rec.Code != 200 {
			t.Fatalf("%s JWKS: %d %v", host, rec.Code, err)
		}
		tok, err := jwt.ParseSigned(mint(t, s, host, DemoDomain), []jose.SignatureAlgorithm{jose.RS256})
		if err != nil {
			t.Fatal(err)
		}
		keys := set.Key(tok.Headers[0].KeyID)
		var c jwt.Claims
		if len(keys) != 1 || keys[0].Algorithm != "RS256" || tok.Claims(keys[0].Key, &c) != nil || c.Issuer != iss {
			t.Errorf("%s: the JWKS %v does not verify the token", host, set)
		}
	}
	for _, path := range []string{"/.well-known/openid-configuration", "/.well-known/jwks.json"} {
		if r := do(t, s, httptest.NewRequest(http.MethodGet, "https://unknown.example.com"+path, nil)); r.status != 404 {
			t.Errorf("%s on an unknown host = %d, want 404", path, r.status)
		}
	}
}

// TestSigningKeyOption: a token verifies in another emulator given the
// same key, and not in one with another.
func TestSigningKeyOption(t *testing.T) {
	a := New(Options{Tenants: []Tenant{Demo(all)}, SigningKey: rsaKey})
	b := New(Options{Tenants: []Tenant{Demo(all)}, SigningKey: rsaKey})
	c := New(Options{Tenants: []Tenant{Demo(all)}})
	tok := mint(t, a, DemoDomain, DemoDomain)
	if r := do(t, b, api(b, DemoDomain, "/api/v2/users", tok)); r.status != 200 {
		t.Errorf("the same key: %d %s", r.status, r.raw)
	}
	if r := do(t, c, api(c, DemoDomain, "/api/v2/users", tok)); r.status != 401 || r.body["message"] != "Invalid signature received for JSON Web Token validation." {
		t.Errorf("another key: %d %s", r.status, r.raw)
	}
}

// TestFaultBodies: injected faults answer with Auth0's envelopes.
func TestFaultBodies(t *testing.T) {
	s := New(Options{Tenants: []Tenant{Demo(all)}})
	f := &oauthtest.Faults{}
	h := f.Wrap(s)
	tok := mint(t, s, DemoDomain, DemoDomain)
	tests := []struct {
		kind   oauthtest.FaultKind
		req    *http.Request
		status int
		field  string
		want   string
	}{
		{oauthtest.FaultTooMany, api(s, DemoDomain, "/api/v2/users", tok), 429, "message", "Global limit has been reached"},
		{oauthtest.FaultUnavailable, api(s, DemoDomain, "/api/v2/users", tok), 503, "error", "Service Unavailable"},
		{oauthtest.FaultTooMany, tokenReq(DemoDomain, creds()), 429, "error", "too_many_requests"},
		{oauthtest.FaultInternal, tokenReq(DemoDomain, creds()), 500, "error", "server_error"},
	}
	for _, tt := range tests {
		if err := f.Set(oauthtest.Fault{Kind: tt.kind}); err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, tt.req)
		var body map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &body)
		if rec.Code != tt.status || body[tt.field] != tt.want {
			t.Errorf("%s on %s: %d %s, want %d with %s %q", tt.kind, tt.req.URL.Path, rec.Code, rec.Body, tt.status, tt.field, tt.want)
		}
		if tt.status == 429 && rec.Header().Get("Retry-After") != "1" {
			t.Errorf("%s on %s: Retry-After %q", tt.kind, tt.req.URL.Path, rec.Header().Get("Retry-After"))
		}
		if tt.status == 429 && tt.field == "message" && rec.Header().Get("X-Ratelimit-Remaining") != "0" {
			t.Errorf("429 on the Management API: headers %v", rec.Header())
		}
	}
}

// TestGrantChangesRaceFree: grants change while tokens are issued.
func TestGrantChangesRaceFree(t *testing.T) {
	s := New(Options{Tenants: []Tenant{Demo(all)}})
	aud := "https://" + DemoDomain + "/api/v2/"
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				if i%2 == 0 {
					_ = s.SetGrant(DemoDomain, DemoClientID, aud, all[:1+i])
				} else {
					do(t, s, tokenReq(DemoDomain, creds()))
				}
			}
		}()
	}
	wg.Wait()
}
