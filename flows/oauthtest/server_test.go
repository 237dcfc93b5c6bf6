package oauthtest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

var start = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk" // RFC 7636 Appendix B

var rsaKey = func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}()

type rig struct {
	*Server
	clk *Clock
}

func newRig(t *testing.T, opts Options) rig {
	t.Helper()
	clk := NewClock(start)
	opts.Now = clk.Now
	if opts.Clients == nil {
		opts.Clients = []Client{
			{ID: "public", RedirectURIs: []string{"http://127.0.0.1/cb", "https://app.example/cb?x=1"}},
			{ID: "conf", Secret: "s3cret", RedirectURIs: []string{"http://127.0.0.1/cb"}, Scopes: []string{"read", "openid"}},
			{ID: "jwt", PublicKeys: []crypto.PublicKey{rsaKey.Public()}},
			{ID: "codeonly", GrantTypes: []string{"authorization_code"}, RedirectURIs: []string{"http://127.0.0.1/cb"}},
			{ID: "machine", Secret: "m", GrantTypes: []string{"client_credentials"}, RedirectURIs: []string{"http://127.0.0.1/cb"}},
		}
	}
	s := Start(opts)
	t.Cleanup(s.Close)
	return rig{s, clk}
}

var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

type answer struct {
	status int
	header http.Header
	body   map[string]any
}

func (a answer) err() string { s, _ := a.body["error"].(string); return s }

func post(t *testing.T, u string, form url.Values, basic ...string) answer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if len(basic) == 2 {
		req.SetBasicAuth(url.QueryEscape(basic[0]), url.QueryEscape(basic[1]))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header}
	_ = json.Unmarshal(b, &a.body)
	return a
}

// authorize runs /authorize and the consent form; it returns the
// redirect's query.
func (r rig) authorize(t *testing.T, params url.Values, decision string) url.Values {
	t.Helper()
	b := &Browser{Client: noFollow, Decision: decision}
	_ = b.Open(r.URL + "/authorize?" + params.Encode())
	visits, err := b.Wait()
	if err != nil {
		t.Fatal(err)
	}
	loc, err := url.Parse(visits[0].Location)
	if err != nil || visits[0].Status != http.StatusSeeOther {
		t.Fatalf("consent answered %d %q", visits[0].Status, visits[0].Location)
	}
	return loc.Query()
}

func codeParams(client string) url.Values {
	return url.Values{"client_id": {client}, "response_type": {"code"}, "redirect_uri": {"http://127.0.0.1:5555/cb"},
		"state": {"st"}, "scope": {"read"}, "code_challenge": {s256(verifier)}, "code_challenge_method": {"S256"}}
}

func redeem(client, code string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "client_id": {client}, "code": {code},
		"redirect_uri": {"http://127.0.0.1:5555/cb"}, "code_verifier": {verifier}}
}

func TestRedirectMatches(t *testing.T) {
	for _, tc := range []struct {
		reg, req     string
		anyLocalhost bool
		want         bool
	}{
		{"https://app.example/cb", "https://app.example/cb", false, true},
		{"https://app.example/cb", "https://app.example:8443/cb", false, false},
		{"https://app.example/cb", "https://app.example/cb/", false, false},
		{"http://127.0.0.1/cb", "http://127.0.0.1:53682/cb", false, true},
		{"http://127.0.0.1:1717/cb", "http://127.0.0.1:53682/cb", false, true},
		{"http://[::1]/cb", "http://[::1]:53682/cb", false, true},
		{"http://127.0.0.1/cb", "http://127.0.0.1:53682/other", false, false},
		{"http://127.0.0.1/cb", "http://127.0.0.1:53682/cb?x=1", false, false},
		{"http://127.0.0.1/cb", "http://[::1]:53682/cb", false, false},
		{"http://127.0.0.1/cb", "https://127.0.0.1:53682/cb", false, false},
		{"http://localhost/cb", "http://localhost:53682/cb", false, false},
		{"http://localhost/cb", "http://localhost:53682/cb", true, true},
		{"http://localhost", "http://localhost:53682/", true, true},
		{"http://127.0.0.2/cb", "http://127.0.0.2:53682/cb", false, false},
		{"http://app.example/cb", "http://app.example:8080/cb", false, false},
	} {
		if got := redirectMatches(tc.reg, tc.req, tc.anyLocalhost); got != tc.want {
			t.Errorf("redirectMatches(%q, %q, %v) = %v, want %v", tc.reg, tc.req, tc.anyLocalhost, got, tc.want)
		}
	}
}

func TestAuthorizationCodeGrant(t *testing.T) {
	r := newRig(t, Options{})
	q := r.authorize(t, codeParams("public"), "approve")
	if q.Get("state") != "st" || q.Get("iss") != r.URL || q.Get("code") == "" {
		t.Fatalf("redirect query = %v", q)
	}
	a := post(t, r.URL+"/token", redeem("public", q.Get("code")))
	if a.status != 200 || a.body["access_token"] == nil || a.body["refresh_token"] == nil || a.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("token = %d %v", a.status, a.body)
	}
	at := a.body["access_token"].(string)
	if _, ok := r.Lookup(at); !ok {
		t.Fatal("Lookup failed")
	}
	// Replaying the code fails, and revokes what it gave (RFC 6749 §4.1.2).
	if a := post(t, r.URL+"/token", redeem("public", q.Get("code"))); a.status != 400 || a.err() != "invalid_grant" {
		t.Errorf("replay = %d %v", a.status, a.body)
	}
	if _, ok := r.Lookup(at); ok {
		t.Error("the token of a replayed code is still valid")
	}
}

// TestAuthorizeErrors: errors before the redirect URI is trusted show a
// page; after, they are redirected (RFC 6749 §4.1.2.1).
func TestAuthorizeErrors(t *testing.T) {
	r := newRig(t, Options{})
	for _, tc := range []struct {
		name   string
		change func(url.Values)
		page   bool
		code   string
	}{
		{"unknown client", func(v url.Values) { v.Set("client_id", "nobody") }, true, ""},
		{"unregistered redirect", func(v url.Values) { v.Set("redirect_uri", "http://127.0.0.1:5555/other") }, true, ""},
		{"localhost is not a loopback IP literal", func(v url.Values) { v.Set("redirect_uri", "http://localhost:5555/cb") }, true, ""},
		{"no redirect_uri", func(v url.Values) { v.Del("redirect_uri") }, true, ""},
		{"token response type", func(v url.Values) { v.Set("response_type", "token") }, false, "unsupported_response_type"},
		{"no PKCE", func(v url.Values) { v.Del("code_challenge"); v.Del("code_challenge_method") }, false, "invalid_request"},
		{"plain PKCE", func(v url.Values) { v.Set("code_challenge_method", "plain"); v.Set("code_challenge", verifier) }, false, "invalid_request"},
		{"bad challenge", func(v url.Values) { v.Set("code_challenge", "short") }, false, "invalid_request"},
		{"scope not allowed", func(v url.Values) { v.Set("client_id", "conf"); v.Set("scope", "admin") }, false, "invalid_scope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := codeParams("public")
			tc.change(p)
			resp, err := noFollow.Get(r.URL + "/authorize?" + p.Encode())
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if tc.page {
				if resp.StatusCode != 400 || resp.Header.Get("Location") != "" {
					t.Errorf("got %d to %q, want an error page without a redirect", resp.StatusCode, resp.Header.Get("Location"))
				}
				return
			}
			loc, _ := url.Parse(resp.Header.Get("Location"))
			if resp.StatusCode != http.StatusSeeOther || loc.Query().Get("error") != tc.code || loc.Query().Get("state") != "st" {
				t.Errorf("got %d to %q, want a redirect with %s", resp.StatusCode, loc, tc.code)
			}
		})
	}
	// A client not allowed the grant.
	p := codeParams("machine")
	resp, _ := noFollow.Get(r.URL + "/authorize?" + p.Encode())
	resp.Body.Close()
	if loc, _ := url.Parse(resp.Header.Get("Location")); loc.Query().Get("error") != "unauthorized_client" {
		t.Errorf("grant not allowed: redirect %q", loc)
	}
}

func TestAuthorizeDenied(t *testing.T) {
	r := newRig(t, Options{})
	q := r.authorize(t, codeParams("public"), "deny")
	if q.Get("error") != "access_denied" || q.Get("state") != "st" || q.Get("code") != "" {
		t.Errorf("redirect = %v", q)
	}
}

// TestTokenErrors walks RFC 6749 §5.2: each error with its status.
func TestTokenErrors(t *testing.T) {
	r := newRig(t, Options{})
	code := func(client string) string { return r.authorize(t, codeParams(client), "approve").Get("code") }
	withCode := func(client string, change func(url.Values)) url.Values {
		v := redeem(client, code(client))
		change(v)
		return v
	}
	for _, tc := range []struct {
		name   string
		form   url.Values
		basic  []string
		status int
		code   string
	}{
		{"no grant_type", url.Values{"client_id": {"public"}}, nil, 400, "invalid_request"},
		{"no client_id", url.Values{"grant_type": {"client_credentials"}}, nil, 400, "invalid_request"},
		{"two auth methods", url.Values{"grant_type": {"client_credentials"}, "client_secret": {"s3cret"}}, []string{"conf", "s3cret"}, 400, "invalid_request"},
		{"no code", url.Values{"grant_type": {"authorization_code"}, "client_id": {"public"}}, nil, 400, "invalid_request"},
		{"unknown client", url.Values{"grant_type": {"client_credentials"}, "client_id": {"nobody"}, "client_secret": {"x"}}, nil, 401, "invalid_client"},
		{"wrong secret, post", url.Values{"grant_type": {"client_credentials"}, "client_id": {"conf"}, "client_secret": {"wrong"}}, nil, 401, "invalid_client"},
		{"wrong secret, Basic", url.Values{"grant_type": {"client_credentials"}}, []string{"conf", "wrong"}, 401, "invalid_client"},
		{"confidential client without a secret", url.Values{"grant_type": {"client_credentials"}, "client_id": {"conf"}}, nil, 401, "invalid_client"},
		{"public client with a secret", url.Values{"grant_type": {"client_credentials"}, "client_id": {"public"}, "client_secret": {"x"}}, nil, 401, "invalid_client"},
		{"unknown code", redeem("public", "code_nope"), nil, 400, "invalid_grant"},
		{"wrong verifier", withCode("public", func(v url.Values) { v.Set("code_verifier", strings.Repeat("a", 43)) }), nil, 400, "invalid_grant"},
		{"no verifier", withCode("public", func(v url.Values) { v.Del("code_verifier") }), nil, 400, "invalid_grant"},
		{"other redirect_uri", withCode("public", func(v url.Values) { v.Set("redirect_uri", "http://127.0.0.1:6666/cb") }), nil, 400, "invalid_grant"},
		{"another client's code", withCode("public", func(v url.Values) { v.Set("client_id", "codeonly") }), nil, 400, "invalid_grant"},
		{"unknown refresh token", url.Values{"grant_type": {"refresh_token"}, "client_id": {"public"}, "refresh_token": {"rt_nope"}}, nil, 400, "invalid_grant"},
		{"public client credentials", url.Values{"grant_type": {"client_credentials"}, "client_id": {"public"}}, nil, 400, "unauthorized_client"},
		{"grant not allowed", url.Values{"grant_type": {"refresh_token"}, "client_id": {"codeonly"}, "refresh_token": {"x"}}, nil, 400, "unauthorized_client"},
		{"unsupported grant", url.Values{"grant_type": {"password"}, "client_id": {"public"}}, nil, 400, "unsupported_grant_type"},
		{"scope not allowed", url.Values{"grant_type": {"client_credentials"}, "scope": {"admin"}}, []string{"conf", "s3cret"}, 400, "invalid_scope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := post(t, r.URL+"/token", tc.form, tc.basic...)
			if a.status != tc.status || a.err() != tc.code || a.body["error_description"] == "" {
				t.Errorf("= %d %v, want %d %s", a.status, a.body, tc.status, tc.code)
			}
			if tc.status == 401 && (tc.basic != nil) != (a.header.Get("WWW-Authenticate") != "") {
				t.Errorf("WWW-Authenticate = %q with Basic %v", a.header.Get("WWW-Authenticate"), tc.basic != nil)
			}
		})
	}
}

func TestTokenRequestShape(t *testing.T) {
	r := newRig(t, Options{})
	resp, _ := http.Get(r.URL + "/token")
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /token = %d", resp.StatusCode)
	}
	resp, _ = http.Post(r.URL+"/token", "application/json", strings.NewReader(`{"grant_type":"client_credentials"}`))
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("JSON body = %d", resp.StatusCode)
	}
	a := post(t, r.URL+"/token?client_id=conf", url.Values{"grant_type": {"client_credentials"}, "client_secret": {"s3cret"}})
	if a.err() != "invalid_request" {
		t.Errorf("query parameters = %v", a.body)
	}
	req, _ := http.NewRequest(http.MethodPost, r.URL+"/token", strings.NewReader("grant_type=client_credentials&grant_type=client_credentials&client_id=conf&client_secret=s3cret"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, _ = http.DefaultClient.Do(req)
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("repeated parameter = %d", resp.StatusCode)
	}
}

func TestCodeExpires(t *testing.T) {
	r := newRig(t, Options{CodeLifetime: 30 * time.Second})
	c := r.authorize(t, codeParams("public"), "approve").Get("code")
	r.clk.Advance(31 * time.Second)
	if a := post(t, r.URL+"/token", redeem("public", c)); a.err() != "invalid_grant" {
		t.Errorf("expired code = %v", a.body)
	}
}

func TestRefreshRotationAndRevocation(t *testing.T) {
	r := newRig(t, Options{RotateRefreshTokens: true})
	a := post(t, r.URL+"/token", redeem("public", r.authorize(t, codeParams("public"), "approve").Get("code")))
	rt1 := a.body["refresh_token"].(string)
	refresh := func(rt string, scope ...string) answer {
		v := url.Values{"grant_type": {"refresh_token"}, "client_id": {"public"}, "refresh_token": {rt}}
		if len(scope) > 0 {
			v.Set("scope", scope[0])
		}
		return post(t, r.URL+"/token", v)
	}
	if a := refresh(rt1, "read write"); a.err() != "invalid_scope" {
		t.Errorf("wider scope = %v", a.body)
	}
	a = refresh(rt1)
	rt2, _ := a.body["refresh_token"].(string)
	if a.status != 200 || rt2 == "" || rt2 == rt1 {
		t.Fatalf("refresh = %v", a.body)
	}
	if a := refresh(rt1); a.err() != "invalid_grant" {
		t.Errorf("rotated-out token = %v", a.body)
	}
	at := refresh(rt2).body["access_token"].(string)
	r.RevokeAll("public")
	if _, ok := r.Lookup(at); ok {
		t.Error("RevokeAll left an access token")
	}
}

func TestRevocationEndpoint(t *testing.T) {
	r := newRig(t, Options{})
	a := post(t, r.URL+"/token", redeem("public", r.authorize(t, codeParams("public"), "approve").Get("code")))
	rt, at := a.body["refresh_token"].(string), a.body["access_token"].(string)
	if a := post(t, r.URL+"/revoke", url.Values{"client_id": {"public"}, "token": {rt}}); a.status != 200 {
		t.Errorf("revoke = %d", a.status)
	}
	if _, ok := r.Lookup(at); ok {
		t.Error("revoking the refresh token left its access token (RFC 7009 §2.1)")
	}
	if a := post(t, r.URL+"/token", url.Values{"grant_type": {"refresh_token"}, "client_id": {"public"}, "refresh_token": {rt}}); a.err() != "invalid_grant" {
		t.Errorf("revoked refresh = %v", a.body)
	}
}

func assertion(t *testing.T, mutate func(*jwt.Claims), key any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := jwt.Claims{Issuer: "jwt", Subject: "jwt", Audience: jwt.Audience{"AUD"}, ID: rand.Text(),
		IssuedAt: jwt.NewNumericDate(start), Expiry: jwt.NewNumericDate(start.Add(2 * time.Minute))}
	mutate(&c)
	s, err := jwt.Signed(signer).Claims(c).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPrivateKeyJWT(t *testing.T) {
	r := newRig(t, Options{})
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	tokenURL := r.URL + "/token"
	aud := func(c *jwt.Claims) { c.Audience = jwt.Audience{tokenURL} }
	replayed := assertion(t, aud, rsaKey)
	for _, tc := range []struct {
		name   string
		jwt    string
		typ    string
		status int
	}{
		{"token endpoint audience", assertion(t, aud, rsaKey), AssertionType, 200},
		{"issuer audience", assertion(t, func(c *jwt.Claims) { c.Audience = jwt.Audience{r.URL} }, rsaKey), AssertionType, 200},
		{"first use", replayed, AssertionType, 200},
		{"replayed jti", replayed, AssertionType, 401},
		{"wrong audience", assertion(t, func(c *jwt.Claims) { c.Audience = jwt.Audience{"https://other.example/token"} }, rsaKey), AssertionType, 401},
		{"expired", assertion(t, func(c *jwt.Claims) { aud(c); c.Expiry = jwt.NewNumericDate(start.Add(-time.Minute)) }, rsaKey), AssertionType, 401},
		{"no exp", assertion(t, func(c *jwt.Claims) { aud(c); c.Expiry = nil }, rsaKey), AssertionType, 401},
		{"exp too far", assertion(t, func(c *jwt.Claims) { aud(c); c.Expiry = jwt.NewNumericDate(start.Add(2 * time.Hour)) }, rsaKey), AssertionType, 401},
		{"no jti", assertion(t, func(c *jwt.Claims) { aud(c); c.ID = "" }, rsaKey), AssertionType, 401},
		{"iss is not the client", assertion(t, func(c *jwt.Claims) { aud(c); c.Issuer = "someone" }, rsaKey), AssertionType, 401},
		{"unregistered key", assertion(t, aud, other), AssertionType, 401},
		{"not a JWT", "not.a.jwt", AssertionType, 401},
		{"wrong assertion type", assertion(t, aud, rsaKey), "urn:other", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := post(t, tokenURL, url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {tc.typ}, "client_assertion": {tc.jwt}})
			if a.status != tc.status {
				t.Errorf("= %d %v, want %d", a.status, a.body, tc.status)
			}
			if tc.status == 401 && a.err() != "invalid_client" {
				t.Errorf("error = %v", a.body)
			}
		})
	}
}

// TestDeviceGrant walks RFC 8628 §3.5: authorization_pending, slow_down
// (and the interval it adds), access_denied, expired_token, and a code
// used once.
func TestDeviceGrant(t *testing.T) {
	r := newRig(t, Options{Interval: 5 * time.Second, DeviceCodeLifetime: time.Minute})
	start := func() (string, string) {
		a := post(t, r.URL+"/device_authorization", url.Values{"client_id": {"public"}, "scope": {"read"}})
		if a.status != 200 || a.body["verification_uri_complete"] == nil || a.body["interval"] != 5.0 || a.body["expires_in"] != 60.0 {
			t.Fatalf("device authorization = %d %v", a.status, a.body)
		}
		return a.body["device_code"].(string), a.body["user_code"].(string)
	}
	poll := func(dc string) answer {
		return post(t, r.URL+"/token", url.Values{"grant_type": {DeviceGrantType}, "client_id": {"public"}, "device_code": {dc}})
	}
	dc, uc := start()
	if a := poll(dc); a.status != 400 || a.err() != "slow_down" {
		t.Errorf("immediate poll = %v, want slow_down", a.body)
	}
	r.clk.Advance(9 * time.Second) // the interval is now 10 s
	if a := poll(dc); a.err() != "slow_down" {
		t.Errorf("poll after 9 s = %v, want slow_down (interval grew to 10 s)", a.body)
	}
	r.clk.Advance(15 * time.Second)
	if a := poll(dc); a.status != 400 || a.err() != "authorization_pending" {
		t.Errorf("poll = %v, want authorization_pending", a.body)
	}
	if err := r.ApproveDevice(strings.ToLower(strings.ReplaceAll(uc, "-", ""))); err != nil {
		t.Fatal(err)
	}
	r.clk.Advance(15 * time.Second)
	if a := poll(dc); a.status != 200 || a.body["access_token"] == nil {
		t.Errorf("poll after approval = %v", a.body)
	}
	r.clk.Advance(15 * time.Second)
	if a := poll(dc); a.err() != "invalid_grant" {
		t.Errorf("second redemption = %v", a.body)
	}

	dc, uc = start()
	_ = r.DenyDevice(uc)
	r.clk.Advance(6 * time.Second)
	if a := poll(dc); a.err() != "access_denied" {
		t.Errorf("denied = %v", a.body)
	}

	dc, _ = start()
	r.clk.Advance(time.Minute)
	if a := poll(dc); a.status != 400 || a.err() != "expired_token" {
		t.Errorf("expired = %v", a.body)
	}
	if a := poll("dc_nope"); a.err() != "invalid_grant" {
		t.Errorf("unknown device code = %v", a.body)
	}
}

func TestDeviceAuthorizationErrors(t *testing.T) {
	r := newRig(t, Options{})
	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		code   string
	}{
		{"no client", url.Values{}, 400, "invalid_request"},
		{"unknown client", url.Values{"client_id": {"nobody"}}, 401, "invalid_client"},
		{"wrong secret", url.Values{"client_id": {"conf"}, "client_secret": {"wrong"}}, 401, "invalid_client"},
		{"grant not allowed", url.Values{"client_id": {"codeonly"}}, 400, "unauthorized_client"},
		{"scope not allowed", url.Values{"client_id": {"conf"}, "client_secret": {"s3cret"}, "scope": {"admin"}}, 400, "invalid_scope"},
	} {
		if a := post(t, r.URL+"/device_authorization", tc.form); a.status != tc.status || a.err() != tc.code {
			t.Errorf("%s: %d %v, want %d %s", tc.name, a.status, a.body, tc.status, tc.code)
		}
	}
}

func TestVerificationPage(t *testing.T) {
	r := newRig(t, Options{GoogleDevice: true})
	a := post(t, r.URL+"/device_authorization", url.Values{"client_id": {"public"}})
	if a.body["verification_url"] == nil || a.body["verification_uri"] != nil || a.body["verification_uri_complete"] != nil {
		t.Fatalf("Google-style answer = %v", a.body)
	}
	uc := a.body["user_code"].(string)
	b := &Browser{}
	_ = b.Open(a.body["verification_url"].(string) + "?user_code=" + url.QueryEscape(uc))
	visits, err := b.Wait()
	if err != nil || !strings.Contains(visits[0].Body, "Device connected") {
		t.Fatalf("verification = %v %+v", err, visits)
	}
	// The code was used: a second approval fails.
	b = &Browser{}
	_ = b.Open(r.URL + "/device?user_code=" + url.QueryEscape(uc))
	if visits, _ := b.Wait(); visits[0].Status != 400 {
		t.Errorf("second approval = %d", visits[0].Status)
	}
}

func TestMetadata(t *testing.T) {
	r := newRig(t, Options{NoOpenIDConfiguration: true})
	resp, _ := http.Get(r.URL + "/.well-known/openid-configuration")
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("openid-configuration = %d, want 404", resp.StatusCode)
	}
	resp, _ = http.Get(r.URL + "/.well-known/oauth-authorization-server")
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if m["issuer"] != r.URL || m["token_endpoint"] != r.URL+"/token" {
		t.Errorf("metadata = %v", m)
	}
}

func TestAdminConsentEndpoint(t *testing.T) {
	r := newRig(t, Options{Clients: []Client{{ID: "app", RedirectURIs: []string{"http://localhost"}}}})
	params := url.Values{"client_id": {"app"}, "redirect_uri": {"http://localhost:4321/"}, "state": {"st"}, "scope": {"https://graph.microsoft.com/.default"}}
	b := &Browser{Client: noFollow}
	_ = b.Open(r.URL + "/organizations/v2.0/adminconsent?" + params.Encode())
	visits, err := b.Wait()
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := url.Parse(visits[0].Location)
	q := loc.Query()
	if q.Get("admin_consent") != "True" || q.Get("tenant") != DefaultTenantID || q.Get("state") != "st" || q.Get("scope") == "" {
		t.Errorf("redirect = %v", q)
	}
	// Without a scope, v2 redirects an error.
	params.Del("scope")
	resp, _ := noFollow.Get(r.URL + "/organizations/v2.0/adminconsent?" + params.Encode())
	resp.Body.Close()
	if loc, _ := url.Parse(resp.Header.Get("Location")); !strings.HasPrefix(loc.Query().Get("error_description"), "AADSTS900144") {
		t.Errorf("no scope: %q", loc)
	}
	// An unregistered redirect: a page, no redirect.
	params.Set("redirect_uri", "http://evil.example/")
	resp, _ = noFollow.Get(r.URL + "/organizations/adminconsent?" + params.Encode())
	resp.Body.Close()
	if resp.StatusCode != 400 || resp.Header.Get("Location") != "" {
		t.Errorf("unregistered redirect: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}
