package entratest_test

import (
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers/entra/entratest"
	"github.com/tetherdev/tether/providers/sandbox"
)

var testKey = sync.OnceValues(func() (*x509.Certificate, any) {
	key, _ := flows.GenerateKey()
	pemCert, _ := flows.SelfSignedCertificate(key, "test", time.Now(), time.Hour)
	cert, _ := flows.ParseCertificatePEM(pemCert)
	return cert, key
})

const tokenURL = "https://login.microsoftonline.com/" + entratest.DemoDomain + "/oauth2/v2.0/token"

func client(t *testing.T, opts entratest.Options) *http.Client {
	t.Helper()
	cat, _ := catalog.Default()
	sb, err := sandbox.Start(cat, sandbox.Options{Emulators: []sandbox.Entry{{Provider: "entra", New: entratest.EmulatorWith(opts)}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	c := sb.HTTPClient()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

func demo() entratest.Tenant {
	cert, _ := testKey()
	return entratest.Demo([]string{"User.Read.All"}, []string{"User.Read.All"}, time.Now(), cert)
}

type answer struct {
	status int
	body   map[string]any
}

func (a answer) aadsts() string {
	d, _ := a.body["error_description"].(string)
	code, _, _ := strings.Cut(d, ":")
	return code
}

func post(t *testing.T, c *http.Client, form url.Values, basic ...string) answer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if len(basic) == 2 {
		req.SetBasicAuth(basic[0], basic[1])
	}
	return do(t, c, req)
}

func do(t *testing.T, c *http.Client, req *http.Request) answer {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return answer{resp.StatusCode, m}
}

func secretForm(scope string) url.Values {
	return url.Values{"grant_type": {"client_credentials"}, "client_id": {entratest.DemoClientID},
		"client_secret": {entratest.DemoClientSecret}, "scope": {scope}}
}

func assertion(t *testing.T, mutate func(h map[jose.HeaderKey]any, c *jwt.Claims)) string {
	t.Helper()
	cert, key := testKey()
	s256 := sha256.Sum256(cert.Raw)
	h := map[jose.HeaderKey]any{"x5t#S256": base64.RawURLEncoding.EncodeToString(s256[:])}
	now := time.Now()
	c := jwt.Claims{Issuer: entratest.DemoClientID, Subject: entratest.DemoClientID, Audience: jwt.Audience{tokenURL},
		ID: rand.Text(), NotBefore: jwt.NewNumericDate(now), IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(5 * time.Minute))}
	if mutate != nil {
		mutate(h, &c)
	}
	opts := (&jose.SignerOptions{}).WithType("JWT")
	for k, v := range h {
		opts = opts.WithHeader(k, v)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.PS256, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(signer).Claims(c).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func assertionForm(a string) url.Values {
	return url.Values{"grant_type": {"client_credentials"}, "client_id": {entratest.DemoClientID}, "scope": {"https://graph.microsoft.com/.default"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {a}}
}

// TestTokenEndpoint: what Entra accepts it accepts, and what it refuses
// it refuses with the AADSTS code and status of the contract.
func TestTokenEndpoint(t *testing.T) {
	c := client(t, entratest.Options{Tenants: []entratest.Tenant{demo()}})
	sha1x5t := func(h map[jose.HeaderKey]any, _ *jwt.Claims) {
		cert, _ := testKey()
		s := sha1.Sum(cert.Raw)
		delete(h, "x5t#S256")
		h["x5t"] = base64.RawURLEncoding.EncodeToString(s[:])
	}
	stdx5t := func(h map[jose.HeaderKey]any, _ *jwt.Claims) {
		cert, _ := testKey()
		s := sha256.Sum256(cert.Raw)
		h["x5t#S256"] = base64.StdEncoding.EncodeToString(s[:])
	}
	replayed := assertion(t, nil)
	if a := post(t, c, assertionForm(replayed)); a.status != 200 {
		t.Fatalf("first use of an assertion: %+v", a)
	}
	for _, tt := range []struct {
		name   string
		form   url.Values
		basic  []string
		status int
		code   string
	}{
		{"secret in the body", secretForm("https://graph.microsoft.com/.default"), nil, 200, ""},
		{"MSAL's OIDC scopes beside .default", secretForm("https://graph.microsoft.com/.default openid offline_access profile"), nil, 200, ""},
		{"Graph's app id as the resource", secretForm(entratest.GraphAppID + "/.default"), nil, 200, ""},
		{"secret by Basic", url.Values{"grant_type": {"client_credentials"}, "scope": {"https://graph.microsoft.com/.default"}}, []string{entratest.DemoClientID, entratest.DemoClientSecret}, 200, ""},
		{"wrong secret", func() url.Values {
			f := secretForm("https://graph.microsoft.com/.default")
			f.Set("client_secret", "nope")
			return f
		}(), nil, 401, "AADSTS7000215"},
		{"no credential", func() url.Values {
			f := secretForm("https://graph.microsoft.com/.default")
			f.Del("client_secret")
			return f
		}(), nil, 401, "AADSTS7000218"},
		{"no scope", secretForm(""), nil, 400, "AADSTS900144"},
		{"a delegated scope", secretForm("https://graph.microsoft.com/User.Read"), nil, 400, "AADSTS1002012"},
		{"two resources", secretForm("https://graph.microsoft.com/.default https://management.azure.com/.default"), nil, 400, "AADSTS1002012"},
		{"another cloud's Graph", secretForm("https://graph.microsoft.us/.default"), nil, 400, "AADSTS500011"},
		{"unknown app", func() url.Values {
			f := secretForm("https://graph.microsoft.com/.default")
			f.Set("client_id", "11111111-2222-4333-8444-555555555555")
			return f
		}(), nil, 400, "AADSTS700016"},
		{"certificate by x5t#S256", assertionForm(assertion(t, nil)), nil, 200, ""},
		{"certificate by standard base64 x5t#S256 (MSAL Go)", assertionForm(assertion(t, stdx5t)), nil, 200, ""},
		{"certificate by SHA-1 x5t", assertionForm(assertion(t, sha1x5t)), nil, 200, ""},
		{"unregistered certificate", assertionForm(assertion(t, func(h map[jose.HeaderKey]any, _ *jwt.Claims) { h["x5t#S256"] = "AAAA" })), nil, 401, "AADSTS700027"},
		{"no thumbprint", assertionForm(assertion(t, func(h map[jose.HeaderKey]any, _ *jwt.Claims) { delete(h, "x5t#S256") })), nil, 401, "AADSTS700027"},
		{"wrong audience", assertionForm(assertion(t, func(_ map[jose.HeaderKey]any, c *jwt.Claims) {
			c.Audience = jwt.Audience{"https://login.microsoftonline.com/"}
		})), nil, 401, "AADSTS700021"},
		{"wrong issuer", assertionForm(assertion(t, func(_ map[jose.HeaderKey]any, c *jwt.Claims) { c.Issuer = "someone" })), nil, 401, "AADSTS700023"},
		{"expired assertion", assertionForm(assertion(t, func(_ map[jose.HeaderKey]any, c *jwt.Claims) {
			c.Expiry = jwt.NewNumericDate(time.Now().Add(-time.Hour))
		})), nil, 401, "AADSTS700024"},
		{"replayed assertion", assertionForm(replayed), nil, 401, "AADSTS7000274"},
		{"secret and assertion", func() url.Values {
			f := assertionForm(assertion(t, nil))
			f.Set("client_secret", entratest.DemoClientSecret)
			return f
		}(), nil, 400, "AADSTS9002313"},
		{"unsupported grant", url.Values{"grant_type": {"password"}}, nil, 400, "AADSTS70003"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := post(t, c, tt.form, tt.basic...)
			if a.status != tt.status || (tt.code != "" && a.aadsts() != tt.code) {
				t.Fatalf("answer %d %v; want %d %s", a.status, a.body, tt.status, tt.code)
			}
			if tt.code != "" {
				codes, _ := a.body["error_codes"].([]any)
				if len(codes) != 1 || a.body["trace_id"] == nil || a.body["correlation_id"] == nil || !strings.Contains(a.body["error_description"].(string), "\r\nTrace ID: ") {
					t.Errorf("the error body is not Entra's: %v", a.body)
				}
			}
			if tt.status == 200 && (a.body["token_type"] != "Bearer" || a.body["expires_in"] == nil || a.body["refresh_token"] != nil) {
				t.Errorf("token answer %v", a.body)
			}
		})
	}
}

// TestTokenClaims: an app-only token is a v1.0 Graph token with the
// assigned roles, and none when nothing is assigned.
func TestTokenClaims(t *testing.T) {
	tn := demo()
	tn.Apps[0].Assigned = nil
	c := client(t, entratest.Options{Tenants: []entratest.Tenant{tn, func() entratest.Tenant {
		o := demo()
		o.ID, o.Domains, o.Cloud = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", []string{"gov.onmicrosoft.us"}, "usgov"
		return o
	}()}})
	a := post(t, c, secretForm("https://graph.microsoft.com/.default"))
	var claims map[string]any
	tok, _ := jwt.ParseSigned(a.body["access_token"].(string), []jose.SignatureAlgorithm{jose.RS256})
	_ = tok.UnsafeClaimsWithoutVerification(&claims)
	if claims["aud"] != "https://graph.microsoft.com" || claims["tid"] != entratest.DemoTenantID || claims["appid"] != entratest.DemoClientID ||
		claims["iss"] != "https://sts.windows.net/"+entratest.DemoTenantID+"/" || claims["ver"] != "1.0" || claims["idtyp"] != "app" {
		t.Errorf("claims %v", claims)
	}
	if _, ok := claims["roles"]; ok {
		t.Errorf("a token with nothing assigned has roles: %v", claims["roles"])
	}
	// The US Government tenant is reached through its own cloud only.
	req, _ := http.NewRequest(http.MethodPost, "https://login.microsoftonline.com/gov.onmicrosoft.us/oauth2/v2.0/token",
		strings.NewReader(secretForm("https://graph.microsoft.us/.default").Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if a := do(t, c, req); a.status != 400 || a.aadsts() != "AADSTS90002" {
		t.Errorf("a US Government tenant on the global cloud: %v", a)
	}
	req, _ = http.NewRequest(http.MethodPost, "https://login.microsoftonline.us/gov.onmicrosoft.us/oauth2/v2.0/token",
		strings.NewReader(secretForm("https://graph.microsoft.us/.default").Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if a := do(t, c, req); a.status != 200 {
		t.Errorf("the US Government tenant on its cloud: %v", a)
	}
}

// TestGraphApplications: the applications list needs a token with a
// role that reads applications, for its own Graph host, and answers in
// Graph's envelope.
func TestGraphApplications(t *testing.T) {
	tn := demo()
	tn.Apps[0].Assigned = append(tn.Apps[0].Assigned, entratest.Assignment{Role: "Directory.Read.All"})
	other := demo()
	other.ID, other.Domains = "bbbbbbbb-bbbb-4ccc-8ddd-eeeeeeeeeeee", []string{"other.onmicrosoft.com"}
	other.Apps[0].Assigned = nil
	c := client(t, entratest.Options{Tenants: []entratest.Tenant{tn, other}})
	tok := post(t, c, secretForm("https://graph.microsoft.com/.default")).body["access_token"].(string)
	get := func(u, bearer string) answer {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		return do(t, c, req)
	}
	list := "https://graph.microsoft.com/v1.0/applications?$filter=" + url.QueryEscape("appId eq '"+entratest.DemoClientID+"'") + "&$select=appId,passwordCredentials"
	a := get(list, tok)
	v, _ := a.body["value"].([]any)
	if a.status != 200 || len(v) != 1 {
		t.Fatalf("list %v", a)
	}
	app := v[0].(map[string]any)
	pcs := app["passwordCredentials"].([]any)
	if len(app) != 2 || len(pcs) != 1 || pcs[0].(map[string]any)["secretText"] != nil || pcs[0].(map[string]any)["hint"] != entratest.DemoClientSecret[:3] {
		t.Errorf("selected application %v", app)
	}
	graphCode := func(a answer) string {
		e, _ := a.body["error"].(map[string]any)
		code, _ := e["code"].(string)
		return code
	}
	for _, tt := range []struct {
		name, url, token string
		status           int
		code             string
	}{
		{"no token", list, "", 401, "InvalidAuthenticationToken"},
		{"forged token", list, tok[:len(tok)-4] + "AAAA", 401, "InvalidAuthenticationToken"},
		{"another cloud's Graph", strings.Replace(list, "graph.microsoft.com", "graph.microsoft.us", 1), tok, 401, "InvalidAuthenticationToken"},
		{"bad filter", "https://graph.microsoft.com/v1.0/applications?$filter=" + url.QueryEscape("displayName eq 'x'"), tok, 400, "Request_UnsupportedQuery"},
		{"bad select", "https://graph.microsoft.com/v1.0/applications?$select=secretText", tok, 400, "BadRequest"},
		{"unknown segment", "https://graph.microsoft.com/v1.0/nothing", tok, 400, "BadRequest"},
	} {
		if a := get(tt.url, tt.token); a.status != tt.status || graphCode(a) != tt.code {
			t.Errorf("%s: %d %v; want %d %s", tt.name, a.status, a.body, tt.status, tt.code)
		}
	}
	// An app with no role that reads applications is refused.
	req, _ := http.NewRequest(http.MethodPost, "https://login.microsoftonline.com/other.onmicrosoft.com/oauth2/v2.0/token",
		strings.NewReader(secretForm("https://graph.microsoft.com/.default").Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	bare := do(t, c, req).body["access_token"].(string)
	if a := get(list, bare); a.status != 403 || graphCode(a) != "Authorization_RequestDenied" {
		t.Errorf("no role: %v", a)
	}
}

// TestConsentLag: roles reach tokens only ConsentLag after they are
// assigned.
func TestConsentLag(t *testing.T) {
	now := time.Now()
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	tn := demo()
	tn.Apps[0].Assigned = nil
	emu, err := entratest.EmulatorWith(entratest.Options{Tenants: []entratest.Tenant{tn}, Now: clock, ConsentLag: time.Minute})(sandbox.Config{})
	if err != nil {
		t.Fatal(err)
	}
	e := emu.(*entratest.Emulator)
	if err := e.SetRoles(entratest.DemoTenantID, entratest.DemoClientID, []string{"User.Read.All"}); err != nil {
		t.Fatal(err)
	}
	roles := func() any {
		rec := &recorder{header: http.Header{}}
		req, _ := http.NewRequest(http.MethodPost, tokenURL, strings.NewReader(secretForm("https://graph.microsoft.com/.default").Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		e.ServeHTTP(rec, req)
		var body map[string]any
		_ = json.Unmarshal(rec.body, &body)
		tok, err := jwt.ParseSigned(body["access_token"].(string), []jose.SignatureAlgorithm{jose.RS256})
		if err != nil {
			t.Fatalf("%s", rec.body)
		}
		var c map[string]any
		_ = tok.UnsafeClaimsWithoutVerification(&c)
		return c["roles"]
	}
	if r := roles(); r != nil {
		t.Errorf("roles at once: %v", r)
	}
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	if r := roles(); r == nil {
		t.Errorf("no roles after the lag")
	}
}

type recorder struct {
	header http.Header
	status int
	body   []byte
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(s int)           { r.status = s }
func (r *recorder) Write(b []byte) (int, error) { r.body = append(r.body, b...); return len(b), nil }

func TestRestoreRefusesBadState(t *testing.T) {
	cat, _ := catalog.Default()
	cp, _ := cat.Provider("entra")
	emu, err := entratest.NewEmulator(sandbox.Config{Provider: cp})
	if err != nil {
		t.Fatal(err)
	}
	e := emu.(sandbox.Stateful)
	for _, bad := range []string{`{}`, `{"version":3,"granted":[]}`, `{"version":2,"granted":[],"apps":[{"app_id":"nope","object_id":"x","display_name":"x","required":[],"assigned":[],"secrets":[]}]}`, `{"version":1,"granted":["Mail.Send.Everything"]}`, `{"version":1,"granted":[],"x":1}`, `{"version":1,"granted":[]} {}`, `nope`} {
		if err := e.Restore([]byte(bad)); err == nil {
			t.Errorf("Restore(%s) accepted", bad)
		}
	}
	good, _ := e.State()
	if err := e.Restore(good); err != nil {
		t.Errorf("Restore(State()) = %v", err)
	}
}
