package flows

import (
	"crypto"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/tetherdev/tether/flows/oauthtest"
)

const (
	serviceAccount = "wizard@my-project.iam.gserviceaccount.com"
	consumerKey    = "3MVG9.connected.app.consumer.key"
	directoryScope = "https://www.googleapis.com/auth/admin.directory.user.readonly"
)

// bearerServer is an emulator with a Google-like service account (kid
// "key-1") and a Salesforce-like connected app, both with testKey.
func bearerServer(t *testing.T) (*oauthtest.Server, *oauthtest.Clock) {
	t.Helper()
	key := testKey(t)
	return startServer(t, oauthtest.Options{
		Clients: append(testClients(), oauthtest.Client{ID: "tether-bearer-client", Secret: secretValue, GrantTypes: []string{oauthtest.JWTBearerGrantType}}),
		BearerIssuers: []oauthtest.BearerIssuer{
			{ID: serviceAccount, Keys: map[string]crypto.PublicKey{"key-1": key.Public()},
				Subjects: []string{"admin@example.com"}, Scopes: []string{directoryScope}},
			{ID: consumerKey, Keys: map[string]crypto.PublicKey{"": key.Public()}, Subjects: []string{"admin@acme.com"}},
		},
	})
}

func TestJWTBearerTokenGoogle(t *testing.T) {
	srv, clk := bearerServer(t)
	// Google's service account: no client, the scopes in the assertion.
	c := Client{Endpoints: Endpoints{TokenURL: srv.URL + "/token"}}
	tok, err := c.JWTBearerToken(bounded(t), BearerAssertion{Key: testKey(t), KeyID: "key-1", Issuer: serviceAccount,
		Subject: "admin@example.com", Scopes: []string{directoryScope}, Now: clk.Now})
	if err != nil {
		t.Fatalf("JWTBearerToken() = %v", err)
	}
	g, ok := srv.Lookup(tok.AccessToken)
	if !ok || g.Subject != "admin@example.com" || !slices.Equal(g.Scopes, []string{directoryScope}) || tok.RefreshToken != "" {
		t.Errorf("the token stands for %+v (%v), refresh %q; want admin@example.com with the directory scope", g, ok, tok.RefreshToken)
	}
}

func TestJWTBearerTokenSalesforce(t *testing.T) {
	srv, clk := bearerServer(t)
	// Salesforce: the connected app's consumer key is the client id and
	// the iss; the audience is the login host.
	c := Client{Endpoints: Endpoints{TokenURL: srv.URL + "/token"}, ClientID: consumerKey}
	tok, err := c.JWTBearerToken(bounded(t), BearerAssertion{Key: testKey(t), Subject: "admin@acme.com", Audience: srv.URL, Now: clk.Now})
	if err != nil {
		t.Fatalf("JWTBearerToken() = %v", err)
	}
	if g, ok := srv.Lookup(tok.AccessToken); !ok || g.Subject != "admin@acme.com" || g.ClientID != consumerKey {
		t.Errorf("the token stands for %+v (%v)", g, ok)
	}
}

// TestJWTBearerTokenConfidentialClient: a client with a secret
// authenticates, as for every grant.
func TestJWTBearerTokenConfidentialClient(t *testing.T) {
	srv, clk := bearerServer(t)
	c := Client{Endpoints: endpointsOf(srv), ClientID: "tether-bearer-client", ClientSecret: secretValue}
	a := BearerAssertion{Key: testKey(t), Issuer: consumerKey, Subject: "admin@acme.com", Now: clk.Now}
	tok, err := c.JWTBearerToken(bounded(t), a)
	if err != nil {
		t.Fatalf("JWTBearerToken() = %v", err)
	}
	if g, _ := srv.Lookup(tok.AccessToken); g.ClientID != "tether-bearer-client" {
		t.Errorf("the token is for %q, want the authenticated client", g.ClientID)
	}
	c.ClientSecret = "wrong-secret"
	var te *TokenError
	if _, err := c.JWTBearerToken(bounded(t), a); !errors.As(err, &te) || te.Status != 401 || te.Code != "invalid_client" {
		t.Errorf("JWTBearerToken() with a wrong secret = %v, want 401 invalid_client", err)
	}
}

func TestJWTBearerTokenErrors(t *testing.T) {
	srv, clk := bearerServer(t)
	other, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	good := BearerAssertion{Key: testKey(t), KeyID: "key-1", Issuer: serviceAccount, Subject: "admin@example.com",
		Scopes: []string{directoryScope}, Now: clk.Now}
	for _, tc := range []struct {
		name   string
		change func(*BearerAssertion)
		status int
		code   string
	}{
		{"a scope not delegated", func(a *BearerAssertion) {
			a.Scopes = append(a.Scopes, "https://www.googleapis.com/auth/admin.directory.group")
		}, 401, "unauthorized_client"},
		{"a user it may not act as", func(a *BearerAssertion) { a.Subject = "ceo@example.com" }, 400, "invalid_grant"},
		{"a rotated key", func(a *BearerAssertion) { a.Key = other }, 400, "invalid_grant"},
		{"an unknown service account", func(a *BearerAssertion) { a.Issuer = "gone@my-project.iam.gserviceaccount.com" }, 400, "invalid_grant"},
		{"another audience", func(a *BearerAssertion) { a.Audience = "https://oauth2.googleapis.com/token" }, 400, "invalid_grant"},
		{"a clock an hour fast", func(a *BearerAssertion) { a.Now = func() time.Time { return clk.Now().Add(time.Hour) } }, 400, "invalid_grant"},
	} {
		a := good
		tc.change(&a)
		_, err := Client{Endpoints: endpointsOf(srv)}.JWTBearerToken(bounded(t), a)
		var te *TokenError
		if !errors.As(err, &te) || te.Status != tc.status || te.Code != tc.code {
			t.Errorf("%s: JWTBearerToken() = %v, want %d %s", tc.name, err, tc.status, tc.code)
		}
	}

	// Refused before any request.
	for _, tc := range []struct {
		name   string
		c      Client
		change func(*BearerAssertion)
		want   string
	}{
		{"no issuer", Client{Endpoints: endpointsOf(srv)}, func(a *BearerAssertion) { a.Issuer = "" }, "needs an issuer"},
		{"too long", Client{Endpoints: endpointsOf(srv)}, func(a *BearerAssertion) { a.Lifetime = 2 * time.Hour }, "1h0m0s at most"},
		{"no key", Client{Endpoints: endpointsOf(srv)}, func(a *BearerAssertion) { a.Key = nil }, "no private key"},
		{"plain http", Client{Endpoints: Endpoints{TokenURL: "http://oauth2.example.com/token"}}, func(*BearerAssertion) {}, "plain http"},
	} {
		a := good
		tc.change(&a)
		if _, err := tc.c.JWTBearerToken(bounded(t), a); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: JWTBearerToken() = %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestBearerAssertionClaims: what Sign puts in the assertion.
func TestBearerAssertionClaims(t *testing.T) {
	key := testKey(t)
	s, err := BearerAssertion{Key: key, KeyID: "key-1", Issuer: serviceAccount, Subject: "admin@example.com",
		Scopes: []string{"a", "b"}, Lifetime: time.Hour, Now: func() time.Time { return epoch }}.Sign("https://oauth2.example.com/token")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.ParseSigned(s, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	var c bearerClaims
	if err := tok.Claims(key.Public(), &c); err != nil {
		t.Fatal(err)
	}
	switch {
	case tok.Headers[0].KeyID != "key-1", tok.Headers[0].Algorithm != "RS256":
		t.Errorf("header = %+v, want RS256 with kid key-1", tok.Headers[0])
	case c.Issuer != serviceAccount || c.Subject != "admin@example.com" || !slices.Equal(c.Audience, jwt.Audience{"https://oauth2.example.com/token"}):
		t.Errorf("iss, sub, aud = %q, %q, %q", c.Issuer, c.Subject, c.Audience)
	case c.Scope != "a b":
		t.Errorf("scope = %q, want the scopes space-separated", c.Scope)
	case !c.IssuedAt.Time().Equal(epoch.Add(-bearerBackdate)) || c.Expiry.Time().Sub(c.IssuedAt.Time()) != time.Hour:
		t.Errorf("iat, exp = %v, %v; want iat 10 s back and an hour's life", c.IssuedAt.Time(), c.Expiry.Time())
	case c.ID == "":
		t.Error("no jti")
	}
}
