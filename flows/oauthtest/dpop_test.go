package oauthtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
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

var ecKey = func() *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}()

func thumbprint(t *testing.T, k crypto.PublicKey) string {
	t.Helper()
	tp, err := (&jose.JSONWebKey{Key: k}).Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(tp)
}

// proof signs DPoP proof claims with key, embedding its public JWK, after
// mutate changes the claims (a map, so that a test can remove one).
func proof(t *testing.T, key crypto.Signer, typ, method, htu string, mutate func(map[string]any)) string {
	t.Helper()
	opts := (&jose.SignerOptions{EmbedJWK: true}).WithType(jose.ContentType(typ))
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	c := map[string]any{"jti": rand.Text(), "htm": method, "htu": htu, "iat": start.Unix()}
	if mutate != nil {
		mutate(c)
	}
	s, err := jwt.Signed(signer).Claims(c).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
}

func (a reply) err() string { s, _ := a.body["error"].(string); return s }

// send makes a request with the given headers, and a form body when form
// is not nil.
func send(t *testing.T, method, u string, form url.Values, headers map[string][]string) reply {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, vs := range headers {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := reply{status: resp.StatusCode, header: resp.Header}
	_ = json.Unmarshal(b, &a.body)
	return a
}

func dpopRig(t *testing.T, nonce bool) rig {
	return newRig(t, Options{DPoPNonce: nonce, Clients: []Client{
		{ID: "machine", Secret: "m", GrantTypes: []string{"client_credentials"}},
		{ID: "bound", Secret: "b", GrantTypes: []string{"client_credentials"}, DPoP: true},
	}})
}

var machine = url.Values{"grant_type": {"client_credentials"}, "client_id": {"machine"}, "client_secret": {"m"}}

// TestDPoPTokenRequests: a valid proof binds the token (RFC 9449 §5);
// each malformed one is refused with invalid_dpop_proof (§4.3).
func TestDPoPTokenRequests(t *testing.T) {
	r := dpopRig(t, false)
	tokenURL := r.URL + "/token"
	ok := func(mutate func(map[string]any)) string { return proof(t, ecKey, "dpop+jwt", "POST", tokenURL, mutate) }
	replayed := ok(nil)
	for _, tc := range []struct {
		name   string
		dpop   []string
		status int
		code   string
	}{
		{"no proof: a bearer token", nil, 200, ""},
		{"a proof", []string{ok(nil)}, 200, ""},
		{"htu with a query, ignored", []string{ok(func(c map[string]any) { c["htu"] = tokenURL + "?x=1#f" })}, 200, ""},
		{"htu in upper case", []string{ok(func(c map[string]any) { c["htu"] = strings.ToUpper(r.URL[:7]) + r.URL[7:] + "/token" })}, 200, ""},
		{"first use", []string{replayed}, 200, ""},
		{"replayed jti", []string{replayed}, 400, "invalid_dpop_proof"},
		{"two proofs", []string{ok(nil), ok(nil)}, 400, "invalid_dpop_proof"},
		{"typ JWT", []string{proof(t, ecKey, "JWT", "POST", tokenURL, nil)}, 400, "invalid_dpop_proof"},
		{"wrong method", []string{proof(t, ecKey, "dpop+jwt", "GET", tokenURL, nil)}, 400, "invalid_dpop_proof"},
		{"another URL", []string{proof(t, ecKey, "dpop+jwt", "POST", r.URL+"/userinfo", nil)}, 400, "invalid_dpop_proof"},
		{"no jti", []string{ok(func(c map[string]any) { delete(c, "jti") })}, 400, "invalid_dpop_proof"},
		{"no iat", []string{ok(func(c map[string]any) { delete(c, "iat") })}, 400, "invalid_dpop_proof"},
		{"iat too old", []string{ok(func(c map[string]any) { c["iat"] = start.Add(-10 * time.Minute).Unix() })}, 400, "invalid_dpop_proof"},
		{"iat in the future", []string{ok(func(c map[string]any) { c["iat"] = start.Add(time.Minute).Unix() })}, 400, "invalid_dpop_proof"},
		{"not a JWT", []string{"not.a.jwt"}, 400, "invalid_dpop_proof"},
	} {
		a := send(t, "POST", tokenURL, machine, map[string][]string{"DPoP": tc.dpop})
		if a.status != tc.status || a.err() != tc.code {
			t.Errorf("%s: %d %v, want %d %s", tc.name, a.status, a.body, tc.status, tc.code)
			continue
		}
		if tc.status != 200 {
			continue
		}
		g, _ := r.Lookup(a.body["access_token"].(string))
		wantType, wantJKT := "Bearer", ""
		if tc.dpop != nil {
			wantType, wantJKT = "DPoP", thumbprint(t, ecKey.Public())
		}
		if a.body["token_type"] != wantType || g.JKT != wantJKT {
			t.Errorf("%s: token_type %v, bound to %q; want %s, %q", tc.name, a.body["token_type"], g.JKT, wantType, wantJKT)
		}
	}

	// A client that requires DPoP refuses a token request without it.
	bound := url.Values{"grant_type": {"client_credentials"}, "client_id": {"bound"}, "client_secret": {"b"}}
	if a := send(t, "POST", tokenURL, bound, nil); a.status != 400 || a.err() != "invalid_dpop_proof" {
		t.Errorf("a DPoP client without a proof: %d %v", a.status, a.body)
	}
	if a := send(t, "POST", tokenURL, bound, map[string][]string{"DPoP": {ok(nil)}}); a.status != 200 || a.body["token_type"] != "DPoP" {
		t.Errorf("a DPoP client with a proof: %d %v", a.status, a.body)
	}
}

// TestDPoPNonce: with nonces on, a proof without the server's nonce is
// answered use_dpop_nonce with the nonce to use (RFC 9449 §8); the
// previous nonce stays good for one rotation.
func TestDPoPNonce(t *testing.T) {
	r := dpopRig(t, true)
	tokenURL := r.URL + "/token"
	a := send(t, "POST", tokenURL, machine, map[string][]string{"DPoP": {proof(t, ecKey, "dpop+jwt", "POST", tokenURL, nil)}})
	nonce := a.header.Get("DPoP-Nonce")
	if a.status != 400 || a.err() != "use_dpop_nonce" || nonce == "" || nonce != r.DPoPNonce() {
		t.Fatalf("no nonce: %d %v, DPoP-Nonce %q", a.status, a.body, nonce)
	}
	withNonce := func(n string) func(map[string]any) { return func(c map[string]any) { c["nonce"] = n } }
	if a := send(t, "POST", tokenURL, machine, map[string][]string{"DPoP": {proof(t, ecKey, "dpop+jwt", "POST", tokenURL, withNonce(nonce))}}); a.status != 200 {
		t.Errorf("with the nonce: %d %v", a.status, a.body)
	}
	r.RotateDPoPNonce()
	if a := send(t, "POST", tokenURL, machine, map[string][]string{"DPoP": {proof(t, ecKey, "dpop+jwt", "POST", tokenURL, withNonce(nonce))}}); a.status != 200 {
		t.Errorf("with the previous nonce: %d %v", a.status, a.body)
	}
	r.RotateDPoPNonce()
	a = send(t, "POST", tokenURL, machine, map[string][]string{"DPoP": {proof(t, ecKey, "dpop+jwt", "POST", tokenURL, withNonce(nonce))}})
	if a.status != 400 || a.err() != "use_dpop_nonce" || a.header.Get("DPoP-Nonce") != r.DPoPNonce() {
		t.Errorf("with a stale nonce: %d %v", a.status, a.body)
	}
}

// TestAuthorizeResource: a bound token is good only with the DPoP scheme
// and a fresh proof by its key, for it (RFC 9449 §7).
func TestAuthorizeResource(t *testing.T) {
	r := dpopRig(t, false)
	tokenURL, info := r.URL+"/token", r.URL+"/userinfo"
	a := send(t, "POST", tokenURL, machine, map[string][]string{"DPoP": {proof(t, ecKey, "dpop+jwt", "POST", tokenURL, nil)}})
	bound, _ := a.body["access_token"].(string)
	bearer, _ := send(t, "POST", tokenURL, machine, nil).body["access_token"].(string)
	ath := func(tok string) func(map[string]any) { return func(c map[string]any) { c["ath"] = s256(tok) } }
	good := func() string { return proof(t, ecKey, "dpop+jwt", "GET", info, ath(bound)) }
	replayed := good()
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for _, tc := range []struct {
		name   string
		auth   string
		dpop   []string
		status int
		code   string
	}{
		{"a bound token with its proof", "DPoP " + bound, []string{good()}, 200, ""},
		{"a bearer token", "Bearer " + bearer, nil, 200, ""},
		{"first use", "DPoP " + bound, []string{replayed}, 200, ""},
		{"a replayed proof", "DPoP " + bound, []string{replayed}, 401, "invalid_dpop_proof"},
		{"a bound token as Bearer", "Bearer " + bound, nil, 401, "invalid_token"},
		{"a bearer token as DPoP", "DPoP " + bearer, []string{proof(t, ecKey, "dpop+jwt", "GET", info, ath(bearer))}, 401, "invalid_token"},
		{"no proof", "DPoP " + bound, nil, 401, "invalid_dpop_proof"},
		{"no ath", "DPoP " + bound, []string{proof(t, ecKey, "dpop+jwt", "GET", info, nil)}, 401, "invalid_dpop_proof"},
		{"ath of another token", "DPoP " + bound, []string{proof(t, ecKey, "dpop+jwt", "GET", info, ath(bearer))}, 401, "invalid_dpop_proof"},
		{"another key", "DPoP " + bound, []string{proof(t, other, "dpop+jwt", "GET", info, ath(bound))}, 401, "invalid_dpop_proof"},
		{"the token endpoint's URL", "DPoP " + bound, []string{proof(t, ecKey, "dpop+jwt", "GET", tokenURL, ath(bound))}, 401, "invalid_dpop_proof"},
		{"an unknown token", "DPoP at_nope", []string{good()}, 401, "invalid_token"},
		{"no token", "", nil, 401, "invalid_request"},
	} {
		a := send(t, "GET", info, nil, map[string][]string{"Authorization": {tc.auth}, "DPoP": tc.dpop})
		if a.status != tc.status || a.err() != tc.code {
			t.Errorf("%s: %d %v, want %d %s", tc.name, a.status, a.body, tc.status, tc.code)
		}
		if ch := a.header.Get("WWW-Authenticate"); tc.status == 401 && !strings.Contains(ch, `error="`+tc.code+`"`) {
			t.Errorf("%s: WWW-Authenticate %q names no %s", tc.name, ch, tc.code)
		}
	}
}

// TestAuthorizeResourceNonce: with nonces on, the resource demands one
// with 401 and WWW-Authenticate: DPoP error="use_dpop_nonce" (RFC 9449 §9).
func TestAuthorizeResourceNonce(t *testing.T) {
	r := dpopRig(t, true)
	tokenURL, info := r.URL+"/token", r.URL+"/userinfo"
	n := r.DPoPNonce()
	tok := send(t, "POST", tokenURL, machine, map[string][]string{"DPoP": {proof(t, ecKey, "dpop+jwt", "POST", tokenURL, func(c map[string]any) { c["nonce"] = n })}}).body["access_token"].(string)
	r.RotateDPoPNonce()
	r.RotateDPoPNonce()
	a := send(t, "GET", info, nil, map[string][]string{"Authorization": {"DPoP " + tok},
		"DPoP": {proof(t, ecKey, "dpop+jwt", "GET", info, func(c map[string]any) { c["ath"], c["nonce"] = s256(tok), n })}})
	if a.status != 401 || a.header.Get("DPoP-Nonce") != r.DPoPNonce() ||
		!strings.Contains(a.header.Get("WWW-Authenticate"), `DPoP algs=`) || !strings.Contains(a.header.Get("WWW-Authenticate"), `error="use_dpop_nonce"`) {
		t.Fatalf("a stale nonce: %d %v %v", a.status, a.header, a.body)
	}
	a = send(t, "GET", info, nil, map[string][]string{"Authorization": {"DPoP " + tok},
		"DPoP": {proof(t, ecKey, "dpop+jwt", "GET", info, func(c map[string]any) { c["ath"], c["nonce"] = s256(tok), r.DPoPNonce() })}})
	if a.status != 200 || a.body["client_id"] != "machine" {
		t.Errorf("with the new nonce: %d %v", a.status, a.body)
	}
}
