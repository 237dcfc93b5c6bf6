package flows

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/tetherdev/tether/flows/oauthtest"
)

const dpopClientID = "tether-dpop"

// dpopServer is an emulator whose dpopClientID must bind its tokens, in
// front of which every token request is counted.
func dpopServer(t *testing.T, nonce bool) (*oauthtest.Server, *oauthtest.Clock, string, *atomic.Int32) {
	t.Helper()
	srv, clk := startServer(t, oauthtest.Options{DPoPNonce: nonce, Clients: append(testClients(),
		oauthtest.Client{ID: dpopClientID, Secret: secretValue, DPoP: true})})
	var tokenRequests atomic.Int32
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			tokenRequests.Add(1)
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	return srv, clk, front.URL, &tokenRequests
}

func dpopClient(t *testing.T, base string, clk *oauthtest.Clock) (Client, *DPoP) {
	t.Helper()
	d, err := GenerateDPoP(clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	return Client{Endpoints: Endpoints{TokenURL: base + "/token"}, ClientID: dpopClientID, ClientSecret: secretValue, DPoP: d}, d
}

func TestDPoPBindsTheToken(t *testing.T) {
	srv, clk, base, requests := dpopServer(t, false)
	c, d := dpopClient(t, base, clk)
	tok, err := c.ClientCredentialsToken(bounded(t))
	if err != nil {
		t.Fatalf("ClientCredentialsToken() = %v", err)
	}
	if g, ok := srv.Lookup(tok.AccessToken); !ok || tok.TokenType != "DPoP" || g.JKT != d.Thumbprint() {
		t.Errorf("token_type %q bound to %q, want DPoP bound to %q", tok.TokenType, g.JKT, d.Thumbprint())
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("%d token requests, want 1", n)
	}

	// Without its DPoP, the client is refused.
	c.DPoP = nil
	var te *TokenError
	if _, err := c.ClientCredentialsToken(bounded(t)); !errors.As(err, &te) || te.Code != "invalid_dpop_proof" {
		t.Errorf("ClientCredentialsToken() without DPoP = %v, want invalid_dpop_proof", err)
	}
}

// TestDPoPNonceRetry: a server that demands a nonce gets it on the one
// retry (RFC 9449 §8), and the next request carries it from the start.
func TestDPoPNonceRetry(t *testing.T) {
	srv, clk, base, requests := dpopServer(t, true)
	c, d := dpopClient(t, base, clk)
	tok, err := c.ClientCredentialsToken(bounded(t))
	if err != nil {
		t.Fatalf("ClientCredentialsToken() = %v", err)
	}
	if n := requests.Load(); n != 2 {
		t.Errorf("%d token requests, want 2 (the nonce demand and the retry)", n)
	}
	if g, _ := srv.Lookup(tok.AccessToken); g.JKT != d.Thumbprint() {
		t.Errorf("the token is bound to %q, want %q", g.JKT, d.Thumbprint())
	}
	if _, err := c.ClientCredentialsToken(bounded(t)); err != nil || requests.Load() != 3 {
		t.Errorf("a second token: %v after %d requests, want one more request", err, requests.Load())
	}
	// Two rotations make the nonce stale: again one retry, not more.
	srv.RotateDPoPNonce()
	srv.RotateDPoPNonce()
	if _, err := c.ClientCredentialsToken(bounded(t)); err != nil || requests.Load() != 5 {
		t.Errorf("after rotations: %v after %d requests, want two more", err, requests.Load())
	}
}

// TestDPoPResourceRequests: Authorizer presents the bound token with a
// fresh proof, and Observe asks for the retry a nonce demand needs, once.
func TestDPoPResourceRequests(t *testing.T) {
	srv, clk, base, _ := dpopServer(t, true)
	c, d := dpopClient(t, base, clk)
	tok, err := c.ClientCredentialsToken(bounded(t))
	if err != nil {
		t.Fatal(err)
	}
	authorize := d.Authorizer(tok.AccessToken)
	get := func() *http.Response {
		t.Helper()
		req, _ := http.NewRequestWithContext(bounded(t), http.MethodGet, base+"/userinfo?fields=all", nil)
		if err := authorize(req); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := get(); resp.StatusCode != 200 || d.Observe(resp) {
		t.Fatalf("GET /userinfo = %d, want 200 and no retry (the nonce is the token endpoint's, on the same origin)", resp.StatusCode)
	}

	srv.RotateDPoPNonce()
	srv.RotateDPoPNonce()
	resp := get()
	if resp.StatusCode != 401 || !d.Observe(resp) {
		t.Fatalf("with a stale nonce: %d, want 401 and a retry", resp.StatusCode)
	}
	if resp := get(); resp.StatusCode != 200 || d.Observe(resp) {
		t.Errorf("the retry = %d, want 200", resp.StatusCode)
	}

	// A demand for the nonce the request already carried is not retried.
	resp = get()
	resp.StatusCode = 401
	resp.Header = http.Header{"Www-Authenticate": {`DPoP error="use_dpop_nonce"`}, "Dpop-Nonce": {srv.DPoPNonce()}}
	if d.Observe(resp) {
		t.Error("Observe asked to retry with the nonce the request already had")
	}
	if d.Observe(&http.Response{StatusCode: 401}) {
		t.Error("Observe asked to retry an answer without its request")
	}
}

// TestDPoPRefresh: a public client's refresh token is bound to its DPoP
// key; the refresh works with that key and no other.
func TestDPoPRefresh(t *testing.T) {
	srv, clk := startServer(t, oauthtest.Options{})
	c := clientOf(srv, clk)
	d, err := GenerateDPoP(clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	c.DPoP = d
	store, k := fileStore(t), Key{Provider: "p", Name: "dpop"}
	tok := signedIn(t, srv, c, store, k)
	if tok.TokenType != "DPoP" {
		t.Fatalf("token_type = %q, want DPoP", tok.TokenType)
	}
	tok.Expiry = clk.Now().Add(-time.Minute)
	fresh, err := c.TokenSource(bounded(t), store, k, tok).Token()
	if err != nil || fresh.TokenType != "DPoP" {
		t.Fatalf("refresh with the key = %v, %v", fresh, err)
	}

	other, _ := GenerateDPoP(clk.Now)
	c.DPoP = other
	fresh.Expiry = clk.Now().Add(-time.Minute)
	if _, err := c.TokenSource(bounded(t), store, k, fresh).Token(); !errors.Is(err, ErrSignInAgain) {
		t.Errorf("refresh with another key = %v, want ErrSignInAgain (invalid_grant)", err)
	}
}

// TestDPoPProof: what a proof holds (RFC 9449 §4.2).
func TestDPoPProof(t *testing.T) {
	d, err := GenerateDPoP(func() time.Time { return epoch })
	if err != nil {
		t.Fatal(err)
	}
	s, err := d.Proof("GET", "https://API.Example.com/api/v1/users?limit=1#top", "at-123")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.ParseSigned(s, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	h := tok.Headers[0]
	if h.ExtraHeaders["typ"] != DPoPProofType || h.JSONWebKey == nil || !h.JSONWebKey.IsPublic() || h.KeyID != "" {
		t.Fatalf("header = %+v, want typ dpop+jwt and a public jwk", h)
	}
	var c proofClaims
	if err := tok.Claims(h.JSONWebKey.Key, &c); err != nil {
		t.Fatal(err)
	}
	want := proofClaims{ID: c.ID, Method: "GET", URI: "https://api.example.com/api/v1/users", IssuedAt: epoch.Unix(), ATH: AccessTokenHash("at-123")}
	if c != want || c.ID == "" {
		t.Errorf("claims = %+v, want %+v", c, want)
	}
	if tp, _ := Thumbprint(h.JSONWebKey.Key); tp != d.Thumbprint() {
		t.Errorf("the jwk's thumbprint %q is not the DPoP's %q", tp, d.Thumbprint())
	}
	if again, _ := d.Proof("GET", "https://api.example.com/", ""); again == s {
		t.Error("two proofs are the same")
	}
	if _, err := d.Proof("GET", "/relative", ""); err == nil {
		t.Error("Proof() of a relative URL succeeded")
	}
	if got := AccessTokenHash("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"); got != "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" {
		t.Errorf("AccessTokenHash() = %q", got) // the RFC 7636 Appendix B digest
	}
}

func TestNewDPoP(t *testing.T) {
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	for _, tc := range []struct {
		name string
		key  crypto.Signer
		alg  string // "" for a refusal
	}{
		{"RSA 2048", testKey(t), "RS256"},
		{"P-384", p384, "ES384"},
		{"RSA 1024", small, ""},
		{"no key", nil, ""},
	} {
		d, err := NewDPoP(tc.key, nil)
		if (err == nil) != (tc.alg != "") || err == nil && d.alg != tc.alg {
			t.Errorf("%s: NewDPoP() = %v, %v; want alg %q", tc.name, d, err, tc.alg)
		}
	}
}

// TestDPoPTransportStaysOnItsEndpoint: the proof and Basic credentials
// are never sent to another URL, and redirects are not followed.
func TestDPoPTransportStaysOnItsEndpoint(t *testing.T) {
	var leaked atomic.Bool
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" || r.Header.Get("DPoP") != "" {
			leaked.Store(true)
		}
	}))
	t.Cleanup(elsewhere.Close)
	redirector := httptest.NewServer(http.RedirectHandler(elsewhere.URL+"/token", http.StatusTemporaryRedirect))
	t.Cleanup(redirector.Close)
	d, _ := GenerateDPoP(nil)
	c := Client{Endpoints: Endpoints{TokenURL: redirector.URL + "/token"}, ClientID: "c", ClientSecret: secretValue, DPoP: d}
	_, err := c.ClientCredentialsToken(bounded(t))
	if err == nil {
		t.Fatal("ClientCredentialsToken() via a redirect succeeded")
	}
	var te *TokenError
	if !errors.As(err, &te) || te.Status != http.StatusTemporaryRedirect || leaked.Load() {
		t.Errorf("ClientCredentialsToken() via a redirect = %v (leaked: %v), want the 307 as an error", err, leaked.Load())
	}
	if strings.Contains(err.Error(), secretValue) {
		t.Errorf("the error shows the secret: %v", err)
	}
}

func encodeClaims(t *testing.T, c proofClaims) string {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
