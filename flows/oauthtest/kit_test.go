package oauthtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

func TestAssertionCheck(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := start
	keys := []crypto.PublicKey{rsaKey.Public(), ec.Public()}
	sign := func(key any, alg jose.SignatureAlgorithm, mutate func(*jwt.Claims)) string {
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, nil)
		if err != nil {
			t.Fatal(err)
		}
		c := jwt.Claims{Issuer: "app", Subject: "app", Audience: jwt.Audience{"https://as.test/token"}, ID: rand.Text(),
			IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(2 * time.Minute))}
		mutate(&c)
		s, err := jwt.Signed(signer).Claims(c).Serialize()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	keep := func(*jwt.Claims) {}
	replayed := sign(ec, jose.ES256, keep)
	hmacKey := []byte("0123456789abcdef0123456789abcdef")
	tests := []struct {
		name      string
		assertion string
		check     func(*AssertionCheck)
		want      error
	}{
		{"RS256", sign(rsaKey, jose.RS256, keep), nil, nil},
		{"ES256", replayed, nil, nil},
		{"replayed", replayed, nil, ErrAssertionReplayed},
		{"not a JWT", "a.b.c", nil, ErrAssertionMalformed},
		{"HS256 is not accepted", sign(hmacKey, jose.HS256, keep), nil, ErrAssertionMalformed},
		{"algorithm not allowed", sign(rsaKey, jose.RS512, keep), func(c *AssertionCheck) { c.Algorithms = []jose.SignatureAlgorithm{jose.RS256} }, ErrAssertionMalformed},
		{"unregistered key", sign(other, jose.ES256, keep), nil, ErrAssertionSignature},
		{"iss is not the client", sign(ec, jose.ES256, func(c *jwt.Claims) { c.Issuer = "other" }), nil, ErrAssertionSubject},
		{"sub is not the client", sign(ec, jose.ES256, func(c *jwt.Claims) { c.Subject = "other" }), nil, ErrAssertionSubject},
		{"no exp", sign(ec, jose.ES256, func(c *jwt.Claims) { c.Expiry = nil }), nil, ErrAssertionExpired},
		{"expired", sign(ec, jose.ES256, func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(now.Add(-time.Minute)) }), nil, ErrAssertionExpired},
		{"expired within the leeway", sign(ec, jose.ES256, func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(now.Add(-10 * time.Second)) }), nil, nil},
		{"not yet valid", sign(ec, jose.ES256, func(c *jwt.Claims) { c.NotBefore = jwt.NewNumericDate(now.Add(time.Minute)) }), nil, ErrAssertionNotYetValid},
		{"issued in the future", sign(ec, jose.ES256, func(c *jwt.Claims) { c.IssuedAt = jwt.NewNumericDate(now.Add(time.Minute)) }), nil, ErrAssertionNotYetValid},
		{"lives too long", sign(ec, jose.ES256, func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(now.Add(11 * time.Minute)) }), nil, ErrAssertionLifetime},
		{"wrong audience", sign(ec, jose.ES256, func(c *jwt.Claims) { c.Audience = jwt.Audience{"https://as.test/"} }), nil, ErrAssertionAudience},
		{"one of several audiences", sign(ec, jose.ES256, func(c *jwt.Claims) { c.Audience = jwt.Audience{"x", "https://as.test/token"} }), nil, nil},
		{"no jti", sign(ec, jose.ES256, func(c *jwt.Claims) { c.ID = "" }), nil, ErrAssertionNoJTI},
		{"no jti where it is optional", sign(ec, jose.ES256, func(c *jwt.Claims) { c.ID = "" }), func(c *AssertionCheck) { c.OptionalJTI = true }, nil},
	}
	replay := &ReplayCache{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := AssertionCheck{Audiences: []string{"https://as.test/token"}, Now: now, Leeway: 30 * time.Second,
				MaxLifetime: 10 * time.Minute, Replay: replay}
			if tt.check != nil {
				tt.check(&c)
			}
			claims, err := c.Verify(tt.assertion, "app", keys)
			if tt.want == nil && (err != nil || claims.Subject != "app") {
				t.Errorf("Verify = %v, %v; want the claims", claims, err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := (AssertionCheck{Now: now}).Verify(replayed, "app", keys); err == nil {
		t.Error("Verify without a replay cache succeeded")
	}
}

func TestReplayCacheForgetsExpired(t *testing.T) {
	var c ReplayCache
	exp := start.Add(time.Minute)
	if !c.Use("app", "j1", exp, start) || c.Use("app", "j1", exp, start.Add(30*time.Second)) {
		t.Fatal("a jti was accepted twice within its lifetime")
	}
	if !c.Use("other", "j1", exp, start) {
		t.Error("the same jti of another issuer was refused")
	}
	if !c.Use("app", "j1", start.Add(3*time.Minute), start.Add(2*time.Minute)) {
		t.Error("a jti was refused after its assertion expired")
	}
}

func TestAssertionSubject(t *testing.T) {
	if _, err := AssertionSubject("nope"); !errors.Is(err, ErrAssertionMalformed) {
		t.Errorf("AssertionSubject(nope) = %v", err)
	}
	a := assertion(t, func(c *jwt.Claims) { c.Subject = "svc" }, rsaKey)
	if sub, err := AssertionSubject(a); sub != "svc" || err != nil {
		t.Errorf("AssertionSubject = %q, %v; want svc", sub, err)
	}
}

// TestTokenSignerJWKS: tokens verify with the keys the JWKS endpoint
// serves, found by their kid, as a relying party would verify them.
func TestTokenSignerJWKS(t *testing.T) {
	ec384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	for _, tc := range []struct {
		key crypto.Signer
		alg string
	}{{rsaKey, "RS256"}, {ec384, "ES384"}, {ed, "EdDSA"}} {
		s, err := NewTokenSigner(tc.key, "")
		if err != nil || s.Algorithm() != tc.alg || s.KeyID() == "" {
			t.Fatalf("NewTokenSigner(%T) = %v, %v", tc.key, s, err)
		}
		tok, err := s.Mint(jwt.Claims{Issuer: "https://as.test/", Subject: "app@clients"})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(s.JWKSHandler())
		resp, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		var set jose.JSONWebKeySet
		err = json.NewDecoder(resp.Body).Decode(&set)
		resp.Body.Close()
		srv.Close()
		if err != nil || resp.Header.Get("Content-Type") != "application/json; charset=utf-8" {
			t.Fatalf("JWKS: %v %v", err, resp.Header)
		}
		parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(tc.alg)})
		if err != nil {
			t.Fatal(err)
		}
		keys := set.Key(parsed.Headers[0].KeyID)
		var c jwt.Claims
		if len(keys) != 1 || keys[0].Use != "sig" || parsed.Claims(keys[0].Key, &c) != nil || c.Subject != "app@clients" {
			t.Errorf("%s: the served JWKS %v does not verify the token (kid %q)", tc.alg, set, parsed.Headers[0].KeyID)
		}
		var back jwt.Claims
		if err := s.Parse(tok, &back); err != nil || back.Issuer != "https://as.test/" {
			t.Errorf("%s: Parse = %v, %v", tc.alg, back, err)
		}
	}
}

func TestTokenSignerRefuses(t *testing.T) {
	a, _ := NewTokenSigner(rsaKey, "a")
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	b, _ := NewTokenSigner(other, "a")  // same kid, other key
	c, _ := NewTokenSigner(rsaKey, "c") // same key, other kid
	tok, _ := b.Mint(jwt.Claims{Subject: "x"})
	tokC, _ := c.Mint(jwt.Claims{Subject: "x"})
	var dest jwt.Claims
	for _, tc := range []struct {
		name, raw string
		want      error
	}{
		{"garbage", "abc", ErrTokenMalformed},
		{"another algorithm", tok, ErrTokenMalformed},
		{"another kid", tokC, ErrTokenSignature},
	} {
		if err := a.Parse(tc.raw, &dest); !errors.Is(err, tc.want) {
			t.Errorf("Parse(%s) = %v, want %v", tc.name, err, tc.want)
		}
	}
	rsaOther, _ := NewTokenSigner(rsaKey, "a")
	forged, _ := rsaOther.Mint(jwt.Claims{Subject: "x"})
	forged = forged[:len(forged)-4] + "AAAA"
	if err := a.Parse(forged, &dest); !errors.Is(err, ErrTokenSignature) {
		t.Errorf("Parse(bad signature) = %v, want ErrTokenSignature", err)
	}
	if _, err := NewTokenSigner(nil, ""); err == nil {
		t.Error("NewTokenSigner(nil) succeeded")
	}
}

func TestDiscoveryHandler(t *testing.T) {
	h := DiscoveryHandler(func(r *http.Request, base string) map[string]any {
		switch RequestHost(r) {
		case "acme.test":
			return map[string]any{"issuer": base + "/", "token_endpoint": base + "/oauth/token"}
		case "broken.test":
			return map[string]any{"token_endpoint": base + "/token"}
		}
		return nil
	})
	for _, tc := range []struct {
		method, url string
		status      int
		issuer      string
	}{
		{"GET", "https://acme.test/.well-known/openid-configuration", 200, "https://acme.test/"},
		{"GET", "http://ACME.test:8080/.well-known/openid-configuration", 200, "http://ACME.test:8080/"},
		{"GET", "https://nobody.test/.well-known/openid-configuration", 404, ""},
		{"GET", "https://broken.test/.well-known/openid-configuration", 500, ""},
		{"POST", "https://acme.test/.well-known/openid-configuration", 405, ""},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.url, nil))
		var doc map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &doc)
		if rec.Code != tc.status || (tc.issuer != "" && doc["issuer"] != tc.issuer) {
			t.Errorf("%s %s = %d %v, want %d issuer %q", tc.method, tc.url, rec.Code, doc, tc.status, tc.issuer)
		}
	}
}

func TestRateLimiter(t *testing.T) {
	clk := NewClock(time.Unix(1_800_000_000, 0))
	okta := RateLimitHeaders{"X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset"}
	l := NewRateLimiter(2, 10*time.Second, okta, clk.Now)
	for i, tc := range []struct {
		advance    time.Duration
		key        string
		ok         bool
		remaining  string
		reset      string
		retryAfter string
	}{
		{0, "acme", true, "1", "1800000010", ""},
		{0, "other", true, "1", "1800000010", ""},
		{3 * time.Second, "acme", true, "0", "1800000010", ""},
		{1500 * time.Millisecond, "acme", false, "0", "1800000010", "6"},
		{5500 * time.Millisecond, "acme", true, "1", "1800000020", ""},
	} {
		clk.Advance(tc.advance)
		rec := httptest.NewRecorder()
		ok := l.Take(rec, tc.key)
		h := rec.Header()
		if ok != tc.ok || h.Get("X-Rate-Limit-Limit") != "2" || h.Get("X-Rate-Limit-Remaining") != tc.remaining ||
			h.Get("X-Rate-Limit-Reset") != tc.reset || h.Get("Retry-After") != tc.retryAfter {
			t.Errorf("request %d: Take = %v, headers %v; want %v remaining %s reset %s Retry-After %q",
				i, ok, h, tc.ok, tc.remaining, tc.reset, tc.retryAfter)
		}
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want int
	}{{0, 1}, {-time.Second, 1}, {time.Millisecond, 1}, {time.Second, 1}, {1001 * time.Millisecond, 2}, {10 * time.Second, 10}} {
		if got := RetryAfterSeconds(tc.d); got != tc.want {
			t.Errorf("RetryAfterSeconds(%v) = %d, want %d", tc.d, got, tc.want)
		}
	}
}

func TestTenantFor(t *testing.T) {
	type tenant struct {
		name  string
		hosts []string
	}
	tenants := []tenant{{"acme", []string{"acme.us.auth0.com", "login.acme.com"}}, {"other", []string{"other.eu.auth0.com"}}}
	hosts := func(t tenant) []string { return t.hosts }
	for _, tc := range []struct {
		host, want string
	}{
		{"acme.us.auth0.com", "acme"}, {"LOGIN.ACME.COM:443", "acme"}, {"other.eu.auth0.com", "other"},
		{"127.0.0.1:8443", "acme"}, {"[::1]:8443", "acme"}, {"localhost", "acme"}, {"192.0.2.7:8443", "acme"},
		{"evil.test", ""}, {"acme.us.auth0.com.evil.test", ""}, {"localhost.evil.test", ""}, {"", ""},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Host = tc.host
		got, ok := TenantFor(r, tenants, hosts)
		if got.name != tc.want || ok != (tc.want != "") {
			t.Errorf("TenantFor(%q) = %q, %v; want %q", tc.host, got.name, ok, tc.want)
		}
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	if _, ok := TenantFor(r, []tenant(nil), hosts); ok {
		t.Error("TenantFor found a tenant among none")
	}
}

func TestWriteJSON(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteJSON(rec, 201, map[string]int{"a": 1})
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != 201 || string(body) != "{\"a\":1}\n" || rec.Header().Get("Content-Length") != "8" ||
		rec.Header().Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("WriteJSON = %d %v %q", rec.Code, rec.Header(), body)
	}
	rec = httptest.NewRecorder()
	rec.Header().Set("Content-Type", "application/json")
	WriteJSON(rec, 200, []int{})
	if rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("WriteJSON replaced the handler's Content-Type: %v", rec.Header())
	}
	rec = httptest.NewRecorder()
	WriteJSON(rec, 200, func() {})
	if rec.Code != 500 {
		t.Errorf("WriteJSON(a func) = %d, want 500", rec.Code)
	}
}
