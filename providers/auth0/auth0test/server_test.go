package auth0test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/tetherdev/tether/flows/oauthtest"
)

var all = []string{"read:users", "read:logs", "read:logs_users", "read:guardian_factors"}

type resp struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func do(t *testing.T, s *Server, req *http.Request) resp {
	t.Helper()
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	raw, _ := io.ReadAll(rec.Body)
	r := resp{status: rec.Code, header: rec.Header(), raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

func tokenReq(host string, form url.Values) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "https://"+host+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

func creds(extra ...string) url.Values {
	v := url.Values{"grant_type": {"client_credentials"}, "client_id": {DemoClientID}, "client_secret": {DemoClientSecret},
		"audience": {"https://" + DemoDomain + "/api/v2/"}}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			v.Del(extra[i])
		} else {
			v.Set(extra[i], extra[i+1])
		}
	}
	return v
}

func TestTokenEndpoint(t *testing.T) {
	noGrant := Demo(all)
	noGrant.Clients[0].Grants = nil
	tests := []struct {
		name   string
		tenant Tenant
		form   url.Values
		status int
		code   string
		desc   string
	}{
		{"ok", Demo(all), creds(), 200, "", ""},
		{"wrong secret", Demo(all), creds("client_secret", "nope"), 401, "access_denied", "Unauthorized"},
		{"unknown client", Demo(all), creds("client_id", "nobody"), 401, "access_denied", "Unauthorized"},
		{"no grant", noGrant, creds(), 403, "access_denied", `Client is not authorized to access "https://tether-demo.us.auth0.com/api/v2/". You need to create a "client-grant"`},
		{"custom-domain audience", Demo(all), creds("audience", "https://"+DemoCustomDomain+"/api/v2/"), 403, "access_denied", "Service not found"},
		{"no audience", Demo(all), creds("audience", ""), 403, "access_denied", "No audience"},
		{"scope not granted", Demo([]string{"read:users"}), creds("scope", "read:users read:logs"), 403, "access_denied", "Client has not been granted scopes: read:logs"},
		{"unsupported grant", Demo(all), creds("grant_type", "password"), 400, "unsupported_grant_type", "password"},
		{"missing client_id", Demo(all), creds("client_id", ""), 400, "invalid_request", "client_id"},
		{"bad assertion type", Demo(all), creds("client_secret", "", "client_assertion", "x.y.z", "client_assertion_type", "bearer"), 400, "invalid_request", "client_assertion_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(Options{Tenants: []Tenant{tt.tenant}})
			r := do(t, s, tokenReq(DemoDomain, tt.form))
			if r.status != tt.status {
				t.Fatalf("status = %d (%s), want %d", r.status, r.raw, tt.status)
			}
			if tt.status == 200 {
				if r.body["token_type"] != "Bearer" || r.body["expires_in"] != float64(86400) || r.body["scope"] != strings.Join(all, " ") {
					t.Errorf("body = %s", r.raw)
				}
				return
			}
			if r.body["error"] != tt.code || !strings.Contains(r.body["error_description"].(string), tt.desc) {
				t.Errorf("body = %s, want error %q with %q", r.raw, tt.code, tt.desc)
			}
		})
	}
}

func TestTokenAcceptsJSON(t *testing.T) {
	s := New(Options{Tenants: []Tenant{Demo(all)}})
	body, _ := json.Marshal(map[string]string{"grant_type": "client_credentials", "client_id": DemoClientID,
		"client_secret": DemoClientSecret, "audience": "https://" + DemoDomain + "/api/v2/"})
	req := httptest.NewRequest(http.MethodPost, "https://"+DemoDomain+"/oauth/token", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	if r := do(t, s, req); r.status != 200 {
		t.Errorf("JSON token request = %d %s", r.status, r.raw)
	}
}

// rsaKey signs the tests' assertions: RSA key generation is slow.
var rsaKey = func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}()

func assertion(t *testing.T, key crypto.Signer, aud, iss, jti string, exp time.Time) string {
	t.Helper()
	alg := jose.RS256
	if _, ok := key.(*ecdsa.PrivateKey); ok {
		alg = jose.ES256
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jwt.Signed(signer).Claims(jwt.Claims{Issuer: iss, Subject: iss, Audience: jwt.Audience{aud},
		ID: jti, IssuedAt: jwt.NewNumericDate(time.Now()), Expiry: jwt.NewNumericDate(exp)}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPrivateKeyJWTContract(t *testing.T) {
	key := rsaKey
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	s := New(Options{Tenants: []Tenant{Demo(all, key.Public(), ec.Public())}})
	aud := "https://" + DemoDomain + "/"
	exp := time.Now().Add(2 * time.Minute)
	form := func(a string) url.Values {
		return creds("client_secret", "", "client_assertion", a, "client_assertion_type", oauthtest.AssertionType)
	}
	good := assertion(t, key, aud, DemoClientID, "jti-1", exp)
	tests := []struct {
		name   string
		jwt    string
		status int
		desc   string
	}{
		{"valid", good, 200, ""},
		{"replayed jti", good, 401, "jti has already been used"},
		{"other key", assertion(t, other, aud, DemoClientID, "jti-2", exp), 401, "signature verification failed"},
		{"audience is the token URL", assertion(t, key, aud+"oauth/token", DemoClientID, "jti-3", exp), 401, "audience must be"},
		{"expired", assertion(t, key, aud, DemoClientID, "jti-4", time.Now().Add(-time.Minute)), 401, "expired"},
		{"issuer not the client", assertion(t, key, aud, "someone", "jti-5", exp), 401, "iss and sub"},
		{"too long-lived", assertion(t, key, aud, DemoClientID, "jti-6", time.Now().Add(time.Hour)), 401, "too far"},
		{"garbage", "not-a-jwt", 401, "malformed"},
		{"ES256 is not an algorithm Auth0 takes", assertion(t, ec, aud, DemoClientID, "jti-7", exp), 401, "RS256, RS384 or PS256"},
		{"no jti", assertion(t, key, aud, DemoClientID, "", exp), 401, "jti is required"},
	}
	for _, tt := range tests {
		r := do(t, s, tokenReq(DemoDomain, form(tt.jwt)))
		if r.status != tt.status {
			t.Errorf("%s: status %d (%s), want %d", tt.name, r.status, r.raw, tt.status)
			continue
		}
		if tt.desc != "" && (r.body["error"] != "invalid_client" || !strings.Contains(r.body["error_description"].(string), tt.desc)) {
			t.Errorf("%s: body %s, want invalid_client with %q", tt.name, r.raw, tt.desc)
		}
	}
}

// mint gets a token through host for the Management API of domain.
func mint(t *testing.T, s *Server, host, domain string) string {
	t.Helper()
	r := do(t, s, tokenReq(host, creds("audience", "https://"+domain+"/api/v2/")))
	if r.status != 200 {
		t.Fatalf("token: %d %s", r.status, r.raw)
	}
	return r.body["access_token"].(string)
}

func api(s *Server, host, path, token string) *http.Request {
	req := httptest.NewRequest(http.MethodGet, "https://"+host+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

func TestManagementAPIContract(t *testing.T) {
	other := Demo(all)
	other.Domain = "other.eu.auth0.com"
	other.CustomDomains = nil
	other.Clients[0].Grants = map[string][]string{other.Audience(): all}
	s := New(Options{Tenants: []Tenant{Demo([]string{"read:users", "read:guardian_factors"}), other}})
	tok := mint(t, s, DemoDomain, DemoDomain)
	otherTok := mint(t, s, other.Domain, other.Domain)
	customTok := mint(t, s, DemoCustomDomain, DemoDomain)
	tests := []struct {
		name    string
		host    string
		path    string
		token   string
		status  int
		message string
		code    string
	}{
		{"users", DemoDomain, "/api/v2/users?per_page=1", tok, 200, "", ""},
		{"users via the custom domain, with its token", DemoCustomDomain, "/api/v2/users?per_page=1", customTok, 200, "", ""},
		{"the canonical domain's token at the custom domain", DemoCustomDomain, "/api/v2/users", tok, 401, "Invalid token", ""},
		{"the custom domain's token at the canonical domain", DemoDomain, "/api/v2/users", customTok, 401, "Invalid token", ""},
		{"logs without scope", DemoDomain, "/api/v2/logs?per_page=1", tok, 403, "Insufficient scope, expected any of: read:logs,read:logs_users", "insufficient_scope"},
		{"a user's logs without scope", DemoDomain, "/api/v2/users/auth0%7C65f0c0ffee0000000000a001/logs", tok, 403, "expected any of: read:logs,read:logs_users", "insufficient_scope"},
		{"guardian", DemoDomain, "/api/v2/guardian/factors", tok, 200, "", ""},
		{"unknown user", DemoDomain, "/api/v2/users/auth0%7Cnobody", tok, 404, "The user does not exist.", "inexistent_user"},
		{"no token", DemoDomain, "/api/v2/users", "", 401, "Missing authentication", ""},
		{"garbage token", DemoDomain, "/api/v2/users", "abc", 401, "Invalid token", ""},
		{"another tenant's token", DemoDomain, "/api/v2/users", otherTok, 401, "Bad audience: https://other.eu.auth0.com/api/v2/", ""},
		{"bad per_page", DemoDomain, "/api/v2/users?per_page=500", tok, 400, "per_page", "invalid_query_string"},
		{"unknown endpoint", DemoDomain, "/api/v2/nothing", tok, 404, "Not Found", ""},
	}
	for _, tt := range tests {
		r := do(t, s, api(s, tt.host, tt.path, tt.token))
		if r.status != tt.status {
			t.Errorf("%s: status %d (%s), want %d", tt.name, r.status, r.raw, tt.status)
			continue
		}
		for _, h := range []string{"X-Ratelimit-Limit", "X-Ratelimit-Remaining", "X-Ratelimit-Reset"} {
			if r.header.Get(h) == "" {
				t.Errorf("%s: no %s header", tt.name, h)
			}
		}
		if tt.status == 200 {
			continue
		}
		if r.body["statusCode"] != float64(tt.status) || r.body["error"] != http.StatusText(tt.status) || !strings.Contains(r.body["message"].(string), tt.message) {
			t.Errorf("%s: body %s, want message %q", tt.name, r.raw, tt.message)
		}
		if code, _ := r.body["errorCode"].(string); code != tt.code {
			t.Errorf("%s: errorCode %q, want %q", tt.name, code, tt.code)
		}
	}
}

func TestExpiredToken(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	s := New(Options{Tenants: []Tenant{Demo(all)}, Now: clock})
	tok := mint(t, s, DemoDomain, DemoDomain)
	now = now.Add(25 * time.Hour)
	r := do(t, s, api(s, DemoDomain, "/api/v2/users", tok))
	if r.status != 401 || !strings.Contains(r.raw, "Expired token") {
		t.Errorf("expired token: %d %s", r.status, r.raw)
	}
}

func TestRateLimit(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s := New(Options{Tenants: []Tenant{Demo(all)}, RateLimit: 2, RateWindow: 10 * time.Second, Now: func() time.Time { return now }})
	tok := mint(t, s, DemoDomain, DemoDomain)
	for i, want := range []int{200, 200, 429} {
		r := do(t, s, api(s, DemoDomain, "/api/v2/users", tok))
		if r.status != want {
			t.Fatalf("request %d: %d, want %d", i, r.status, want)
		}
		if want == 429 {
			if r.body["message"] != "Global limit has been reached" || r.body["errorCode"] != "too_many_requests" ||
				r.header.Get("Retry-After") != "10" || r.header.Get("X-Ratelimit-Remaining") != "0" ||
				r.header.Get("X-Ratelimit-Reset") != "1800000010" {
				t.Errorf("429: headers %v body %s", r.header, r.raw)
			}
		}
	}
	now = now.Add(10 * time.Second)
	if r := do(t, s, api(s, DemoDomain, "/api/v2/users", tok)); r.status != 200 {
		t.Errorf("after the window: %d", r.status)
	}
}
