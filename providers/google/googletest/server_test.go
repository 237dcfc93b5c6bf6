package googletest_test

import (
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers/google/googletest"
)

const users = "https://www.googleapis.com/auth/admin.directory.user.readonly"

var keys = sync.OnceValue(func() [2]*rsa.PrivateKey {
	a, _ := flows.GenerateKey()
	b, _ := flows.GenerateKey()
	return [2]*rsa.PrivateKey{a, b}
})

var now = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

func server(t *testing.T) (*googletest.Server, *httptest.Server) {
	k := keys()[0]
	s := googletest.New(googletest.Options{Domain: googletest.Demo([]string{users}, k.Public(), now.AddDate(0, -1, 0)),
		Now: func() time.Time { return now }})
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts
}

// claims are an assertion's claims, Google's way.
type claims struct {
	jwt.Claims
	Scope string `json:"scope,omitempty"`
}

func sign(t *testing.T, key *rsa.PrivateKey, alg jose.SignatureAlgorithm, kid string, c claims) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	var k any = key
	if alg == jose.HS256 {
		k = []byte("0123456789abcdef0123456789abcdef")
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: k}, opts)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jwt.Signed(signer).Claims(c).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func good(ts *httptest.Server) claims {
	return claims{Claims: jwt.Claims{Issuer: googletest.DemoClientEmail, Subject: googletest.DemoAdmin,
		Audience: jwt.Audience{ts.URL + "/token"}, IssuedAt: jwt.NewNumericDate(now.Add(-10 * time.Second)),
		Expiry: jwt.NewNumericDate(now.Add(time.Hour - 10*time.Second))}, Scope: users}
}

type answer struct {
	status int
	body   map[string]any
}

func post(t *testing.T, u, ctype, body string) answer {
	t.Helper()
	resp, err := http.Post(u, ctype, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a answer
	a.status = resp.StatusCode
	data, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(data, &a.body)
	return a
}

func grant(t *testing.T, ts *httptest.Server, assertion string) answer {
	return post(t, ts.URL+"/token", "application/x-www-form-urlencoded",
		url.Values{"grant_type": {flows.JWTBearerGrantType}, "assertion": {assertion}}.Encode())
}

func TestJWTBearerStrict(t *testing.T) {
	s, ts := server(t)
	k := keys()
	kid := googletest.KeyID(k[0].Public())
	for _, tc := range []struct {
		name     string
		edit     func(*claims)
		key      *rsa.PrivateKey
		alg      jose.SignatureAlgorithm
		kid      string
		status   int
		code     string
		describe string
	}{
		{name: "good", status: 200},
		{name: "no kid, still its key", kid: "-", status: 200},
		{name: "sub as prn only is a user too", edit: func(c *claims) { c.Subject = "" }, status: 200},
		{name: "another key", key: k[1], status: 400, code: "invalid_grant", describe: "Invalid JWT Signature."},
		{name: "unknown kid", kid: strings.Repeat("cd", 20), status: 400, code: "invalid_grant", describe: "Invalid JWT Signature."},
		{name: "HS256", alg: jose.HS256, status: 400, code: "invalid_grant"},
		{name: "PS256", alg: jose.PS256, status: 400, code: "invalid_grant"},
		{name: "unknown issuer", edit: func(c *claims) { c.Issuer = "ghost@x.iam.gserviceaccount.com" }, status: 400, code: "invalid_grant", describe: "Invalid JWT: No valid verifier found for issuer."},
		{name: "wrong audience", edit: func(c *claims) { c.Audience = jwt.Audience{"https://oauth2.googleapis.com/token"} }, status: 400, code: "invalid_grant", describe: "Invalid JWT: Failed audience check."},
		{name: "ten minutes ahead", edit: func(c *claims) {
			c.IssuedAt = jwt.NewNumericDate(now.Add(10 * time.Minute))
			c.Expiry = jwt.NewNumericDate(now.Add(70 * time.Minute))
		}, status: 400, code: "invalid_grant", describe: "reasonable timeframe"},
		{name: "over an hour", edit: func(c *claims) { c.Expiry = jwt.NewNumericDate(now.Add(2 * time.Hour)) }, status: 400, code: "invalid_grant", describe: "short-lived"},
		{name: "expired", edit: func(c *claims) {
			c.IssuedAt = jwt.NewNumericDate(now.Add(-2 * time.Hour))
			c.Expiry = jwt.NewNumericDate(now.Add(-time.Hour - time.Minute))
		}, status: 400, code: "invalid_grant", describe: "reasonable timeframe"},
		{name: "no iat", edit: func(c *claims) { c.IssuedAt = nil }, status: 400, code: "invalid_grant"},
		{name: "not a user", edit: func(c *claims) { c.Subject = "ghost@" + googletest.DemoDomain }, status: 400, code: "invalid_grant", describe: "Invalid email or User ID"},
		{name: "not an email", edit: func(c *claims) { c.Subject = "admin" }, status: 400, code: "invalid_grant", describe: "Not a valid email"},
		{name: "undelegated scope", edit: func(c *claims) { c.Scope = "https://www.googleapis.com/auth/admin.directory.group.readonly" }, status: 401, code: "unauthorized_client"},
		{name: "one undelegated scope refuses all", edit: func(c *claims) { c.Scope = users + " https://www.googleapis.com/auth/admin.directory.group.readonly" }, status: 401, code: "unauthorized_client"},
		{name: "unknown scope", edit: func(c *claims) { c.Scope = "https://www.googleapis.com/auth/admin.directory.audit.readonly" }, status: 400, code: "invalid_scope"},
		{name: "no scope", edit: func(c *claims) { c.Scope = "" }, status: 400, code: "invalid_scope", describe: "Empty or missing scope not allowed."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := good(ts)
			if tc.edit != nil {
				tc.edit(&c)
			}
			key, alg, useKid := k[0], jose.RS256, kid
			if tc.key != nil {
				key = tc.key
			}
			if tc.alg != "" {
				alg = tc.alg
			}
			switch tc.kid {
			case "-":
				useKid = ""
			case "":
			default:
				useKid = tc.kid
			}
			var a answer
			if tc.name == "sub as prn only is a user too" {
				// x/oauth2 sends the subject as prn too, its old name.
				raw := map[string]any{"iss": c.Issuer, "prn": googletest.DemoAdmin, "aud": ts.URL + "/token", "scope": users,
					"iat": now.Unix(), "exp": now.Add(time.Hour - time.Minute).Unix()}
				signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", kid))
				tok, _ := jwt.Signed(signer).Claims(raw).Serialize()
				a = grant(t, ts, tok)
			} else {
				a = grant(t, ts, sign(t, key, alg, useKid, c))
			}
			if a.status != tc.status || (tc.code != "" && a.body["error"] != tc.code) ||
				(tc.describe != "" && !strings.Contains(a.body["error_description"].(string), tc.describe)) {
				t.Fatalf("answer = %d %v, want %d %s %q", a.status, a.body, tc.status, tc.code, tc.describe)
			}
			if tc.status == 200 {
				if _, ok := a.body["scope"]; ok || a.body["token_type"] != "Bearer" || a.body["refresh_token"] != nil {
					t.Errorf("a JWT bearer answer has neither scope nor refresh token: %v", a.body)
				}
			}
		})
	}
	s.SetDisabled(googletest.DemoClientEmail, true)
	if a := grant(t, ts, sign(t, k[0], jose.RS256, kid, good(ts))); a.status != 401 || a.body["error"] != "disabled_client" {
		t.Errorf("disabled account: %d %v", a.status, a.body)
	}
}

func TestTokenEndpointRequest(t *testing.T) {
	_, ts := server(t)
	for _, tc := range []struct {
		ctype, body string
		status      int
		code        string
	}{
		{"application/json", `{"grant_type":"x"}`, 400, "invalid_request"},
		{"application/x-www-form-urlencoded", "grant_type=client_credentials", 400, "unsupported_grant_type"},
		{"application/x-www-form-urlencoded", "", 400, "invalid_request"},
		{"application/x-www-form-urlencoded", "grant_type=" + url.QueryEscape(flows.JWTBearerGrantType), 400, "invalid_request"},
		{"application/x-www-form-urlencoded", "grant_type=a&grant_type=b", 400, "invalid_request"},
		{"application/x-www-form-urlencoded", "grant_type=" + url.QueryEscape(flows.JWTBearerGrantType) + "&assertion=not.a.jwt", 400, "invalid_grant"},
	} {
		if a := post(t, ts.URL+"/token", tc.ctype, tc.body); a.status != tc.status || a.body["error"] != tc.code {
			t.Errorf("POST %s %q = %d %v, want %d %s", tc.ctype, tc.body, a.status, a.body, tc.status, tc.code)
		}
	}
	resp, err := http.Get(ts.URL + "/token")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /token = %d", resp.StatusCode)
	}
}

func get(t *testing.T, u, token string) answer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode}
	data, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(data, &a.body)
	return a
}

func reason(a answer) string {
	e, _ := a.body["error"].(map[string]any)
	errs, _ := e["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	r, _ := errs[0].(map[string]any)["reason"].(string)
	return r
}

func TestAdminSDK(t *testing.T) {
	s, ts := server(t)
	k := keys()[0]
	tok := grant(t, ts, sign(t, k, jose.RS256, googletest.KeyID(k.Public()), good(ts))).body["access_token"].(string)
	u := ts.URL + "/admin/directory/v1/users?customer=my_customer&maxResults=1"
	if a := get(t, u, tok); a.status != 200 || len(a.body["users"].([]any)) != 1 {
		t.Fatalf("users = %d %v", a.status, a.body)
	}
	for _, tc := range []struct {
		url, token string
		status     int
		reason     string
	}{
		{u, "", 401, "authError"},
		{u, "ya29.unknown", 401, "authError"},
		{ts.URL + "/admin/directory/v1/groups?customer=my_customer", tok, 403, "insufficientPermissions"},
		{ts.URL + "/admin/directory/v1/users?maxResults=1", tok, 400, "badRequest"},
		{ts.URL + "/admin/directory/v1/users?customer=my_customer&maxResults=0", tok, 400, "invalid"},
		{ts.URL + "/admin/directory/v1/nothing", tok, 404, ""},
	} {
		if a := get(t, tc.url, tc.token); a.status != tc.status || reason(a) != tc.reason {
			t.Errorf("GET %s = %d %v, want %d %s", tc.url, a.status, a.body, tc.status, tc.reason)
		}
	}
	s.SetAdmin(googletest.DemoAdmin, false)
	if a := get(t, u, tok); a.status != 403 || reason(a) != "forbidden" {
		t.Errorf("non-admin: %d %v", a.status, a.body)
	}
	s.SetAPIDisabled(true)
	if a := get(t, u, tok); a.status != 403 || reason(a) != "accessNotConfigured" || !strings.Contains(a.body["error"].(map[string]any)["message"].(string), googletest.DemoProjectNumber) {
		t.Errorf("API off: %d %v", a.status, a.body)
	}

	// tokeninfo takes the token in the body, and lists its scope.
	a := post(t, ts.URL+"/tokeninfo", "application/x-www-form-urlencoded", "access_token="+tok)
	if a.status != 200 || a.body["scope"] != users || a.body["expires_in"] == nil {
		t.Errorf("tokeninfo = %d %v", a.status, a.body)
	}
	if a := post(t, ts.URL+"/tokeninfo", "application/x-www-form-urlencoded", "access_token=nope"); a.status != 400 || a.body["error_description"] != "Invalid Value" {
		t.Errorf("tokeninfo of a bad token = %d %v", a.status, a.body)
	}
}

func TestHostsServeOnlyTheirPaths(t *testing.T) {
	_, ts := server(t)
	for _, tc := range []struct {
		host, path string
		status     int
	}{
		{"oauth2.googleapis.com", "/admin/directory/v1/users", 404},
		{"admin.googleapis.com", "/token", 404},
		{"admin.googleapis.com", "/admin/directory/v1/users", 401},
		{"www.googleapis.com", "/robot/v1/metadata/x509/" + googletest.DemoClientEmail, 200},
		{"www.googleapis.com", "/robot/v1/metadata/x509/ghost@x.iam.gserviceaccount.com", 404},
	} {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+tc.path, nil)
		req.Host = tc.host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("GET %s%s = %d, want %d", tc.host, tc.path, resp.StatusCode, tc.status)
		}
	}
}
