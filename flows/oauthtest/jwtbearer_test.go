package oauthtest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"net/url"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

const serviceAccount = "wizard@my-project.iam.gserviceaccount.com"

type bearerJWT struct {
	jwt.Claims
	Scope string `json:"scope,omitempty"`
}

// grantJWT signs a bearer assertion with key (kid in the header unless
// empty), after mutate changes the good claims.
func grantJWT(t *testing.T, key any, alg jose.SignatureAlgorithm, kid string, aud string, mutate func(*bearerJWT)) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	c := bearerJWT{Claims: jwt.Claims{Issuer: serviceAccount, Subject: "admin@example.com", Audience: jwt.Audience{aud},
		IssuedAt: jwt.NewNumericDate(start), Expiry: jwt.NewNumericDate(start.Add(time.Hour)), ID: rand.Text()},
		Scope: "https://www.googleapis.com/auth/admin.directory.user.readonly"}
	if mutate != nil {
		mutate(&c)
	}
	s, err := jwt.Signed(signer).Claims(c).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestJWTBearerGrant(t *testing.T) {
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	r := newRig(t, Options{
		Clients: []Client{
			{ID: "conf", Secret: "s3cret", GrantTypes: []string{JWTBearerGrantType}},
			{ID: "cc", Secret: "s3cret", GrantTypes: []string{"client_credentials"}},
		},
		BearerIssuers: []BearerIssuer{{
			ID: serviceAccount, Keys: map[string]crypto.PublicKey{"key-1": rsaKey.Public()},
			Subjects: []string{"admin@example.com"},
			Scopes:   []string{"https://www.googleapis.com/auth/admin.directory.user.readonly", "https://www.googleapis.com/auth/admin.reports.audit.readonly"},
		}},
	})
	tokenURL := r.URL + "/token"
	good := func(mutate func(*bearerJWT)) string {
		return grantJWT(t, rsaKey, jose.RS256, "key-1", tokenURL, mutate)
	}
	replayed := good(nil)
	form := func(assertion string) url.Values {
		return url.Values{"grant_type": {JWTBearerGrantType}, "assertion": {assertion}}
	}
	with := func(v url.Values, k, val string) url.Values { v.Set(k, val); return v }
	for _, tc := range []struct {
		name   string
		form   url.Values
		basic  []string
		status int
		code   string
		desc   string
	}{
		{"Google's request", form(good(nil)), nil, 200, "", ""},
		{"no kid: every key is tried", form(grantJWT(t, rsaKey, jose.RS256, "", tokenURL, nil)), nil, 200, "", ""},
		{"the issuer as audience, as Salesforce sends it", form(grantJWT(t, rsaKey, jose.RS256, "key-1", r.URL, nil)), nil, 200, "", ""},
		{"no sub: the service account itself", form(good(func(c *bearerJWT) { c.Subject = "" })), nil, 200, "", ""},
		{"scopes in the parameter", with(form(good(func(c *bearerJWT) { c.Scope = "" })), "scope", "https://www.googleapis.com/auth/admin.reports.audit.readonly"), nil, 200, "", ""},
		{"first use", form(replayed), nil, 200, "", ""},
		{"replayed jti", form(replayed), nil, 400, "invalid_grant", ""},
		{"with an authenticated client", form(good(nil)), []string{"conf", "s3cret"}, 200, "", ""},
		{"with a wrong client secret", form(good(nil)), []string{"conf", "nope"}, 401, "invalid_client", ""},
		{"a client not allowed the grant", form(good(nil)), []string{"cc", "s3cret"}, 400, "unauthorized_client", ""},
		{"no assertion", url.Values{"grant_type": {JWTBearerGrantType}}, nil, 400, "invalid_request", ""},
		{"not a JWT", form("not.a.jwt"), nil, 400, "invalid_grant", ""},
		{"HS256", form(grantJWT(t, []byte("0123456789abcdef0123456789abcdef"), jose.HS256, "key-1", tokenURL, nil)), nil, 400, "invalid_grant", ""},
		{"unknown issuer", form(good(func(c *bearerJWT) { c.Issuer = "someone@else.iam.gserviceaccount.com" })), nil, 400, "invalid_grant", descNoVerifier},
		{"unknown kid", form(grantJWT(t, rsaKey, jose.RS256, "key-2", tokenURL, nil)), nil, 400, "invalid_grant", descBadSignature},
		{"another key", form(grantJWT(t, other, jose.RS256, "key-1", tokenURL, nil)), nil, 400, "invalid_grant", descBadSignature},
		{"wrong audience", form(grantJWT(t, rsaKey, jose.RS256, "key-1", "https://oauth2.googleapis.com/token", nil)), nil, 400, "invalid_grant", "audience is invalid"},
		{"expired", form(good(func(c *bearerJWT) {
			c.IssuedAt, c.Expiry = jwt.NewNumericDate(start.Add(-2*time.Hour)), jwt.NewNumericDate(start.Add(-time.Hour))
		})), nil, 400, "invalid_grant", descTimeframe},
		{"iat in the future", form(good(func(c *bearerJWT) {
			c.IssuedAt, c.Expiry = jwt.NewNumericDate(start.Add(time.Minute)), jwt.NewNumericDate(start.Add(time.Hour))
		})), nil, 400, "invalid_grant", descTimeframe},
		{"iat within the skew", form(good(func(c *bearerJWT) { c.IssuedAt = jwt.NewNumericDate(start.Add(20 * time.Second)) })), nil, 200, "", ""},
		{"longer than an hour", form(good(func(c *bearerJWT) { c.Expiry = jwt.NewNumericDate(start.Add(time.Hour + time.Second)) })), nil, 400, "invalid_grant", descTimeframe},
		{"no iat", form(good(func(c *bearerJWT) { c.IssuedAt = nil })), nil, 400, "invalid_grant", descTimeframe},
		{"no exp", form(good(func(c *bearerJWT) { c.Expiry = nil })), nil, 400, "invalid_grant", descTimeframe},
		{"nbf in the future", form(good(func(c *bearerJWT) { c.NotBefore = jwt.NewNumericDate(start.Add(time.Minute)) })), nil, 400, "invalid_grant", descTimeframe},
		{"a user it may not act as", form(good(func(c *bearerJWT) { c.Subject = "ceo@example.com" })), nil, 400, "invalid_grant", descBadUser},
		{"a scope not delegated", form(good(func(c *bearerJWT) {
			c.Scope += " https://www.googleapis.com/auth/admin.directory.group"
		})), nil, 401, "unauthorized_client", descUnauthorized},
	} {
		a := post(t, tokenURL, tc.form, tc.basic...)
		desc, _ := a.body["error_description"].(string)
		if a.status != tc.status || a.err() != tc.code || tc.desc != "" && desc != tc.desc {
			t.Errorf("%s: %d %v, want %d %s %q", tc.name, a.status, a.body, tc.status, tc.code, tc.desc)
			continue
		}
		if tc.status != 200 {
			continue
		}
		if a.body["refresh_token"] != nil || a.body["scope"] != nil || a.body["token_type"] != "Bearer" {
			t.Errorf("%s: the token response %v has a refresh token or a scope, as Google's has not", tc.name, a.body)
		}
		g, ok := r.Lookup(a.body["access_token"].(string))
		if !ok || g.Subject == "" {
			t.Errorf("%s: grant %+v, %v", tc.name, g, ok)
		}
	}
}
