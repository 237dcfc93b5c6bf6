package salesforcetest

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

func demoServer(t *testing.T) (*Server, *rsa.PrivateKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	org, err := Demo([]string{"api", "refresh_token"}, key)
	if err != nil {
		t.Fatal(err)
	}
	return New(Options{Orgs: []Org{org}}), key
}

func do(s *Server, method, target string, body url.Values, header http.Header) *httptest.ResponseRecorder {
	var r *http.Request
	if body != nil {
		r = httptest.NewRequest(method, target, strings.NewReader(body.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	for k, v := range header {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

func assertion(t *testing.T, key *rsa.PrivateKey, c map[string]any) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jwt.Signed(sig).Claims(c).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestJWTBearerContract: each way a JWT bearer request is wrong gets
// Salesforce's answer; a good one a token response without expires_in.
func TestJWTBearerContract(t *testing.T) {
	s, key := demoServer(t)
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	exp := time.Now().Add(3 * time.Minute).Unix()
	good := map[string]any{"iss": DemoConsumerKey, "sub": DemoUsername, "aud": "https://login.salesforce.com", "exp": exp}
	with := func(k string, v any) map[string]any {
		c := map[string]any{}
		for a, b := range good {
			c[a] = b
		}
		c[k] = v
		return c
	}
	tests := []struct {
		name   string
		key    *rsa.PrivateKey
		claims map[string]any
		code   string
		desc   string
	}{
		{"unknown app", key, with("iss", "3MVG9nope"), "invalid_client_id", "client identifier invalid"},
		{"other key", other, good, "invalid_grant", "invalid assertion"},
		{"sandbox audience", key, with("aud", "https://test.salesforce.com"), "invalid_grant", "audience is invalid"},
		{"expired", key, with("exp", time.Now().Add(-time.Hour).Unix()), "invalid_grant", "expired authorization code"},
		{"unknown user", key, with("sub", "nobody@x.example"), "invalid_grant", "authentication failure"},
		// sfdx-core signs exp in milliseconds: tolerated.
		{"exp in milliseconds", key, with("exp", time.Now().UnixMilli()+300), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := do(s, "POST", "https://login.salesforce.com/services/oauth2/token", url.Values{
				"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion(t, tt.key, tt.claims)}}, nil)
			var body map[string]string
			_ = json.Unmarshal(w.Body.Bytes(), &body)
			if tt.code == "" {
				if w.Code != 200 || body["instance_url"] != "https://"+DemoMyDomain || body["expires_in"] != "" || body["refresh_token"] != "" ||
					!strings.HasSuffix(body["id"], "/id/"+DemoOrgID+"/"+DemoUserID) || body["scope"] != "api" {
					t.Errorf("granted answer %d %v", w.Code, body)
				}
				return
			}
			if w.Code != 400 || body["error"] != tt.code || body["error_description"] != tt.desc {
				t.Errorf("answer %d %v, want 400 %s %q", w.Code, body, tt.code, tt.desc)
			}
		})
	}
}

func restCall(s *Server, token, path string) (int, []map[string]string) {
	w := do(s, "GET", "https://"+DemoMyDomain+path, nil, http.Header{"Authorization": {"Bearer " + token}})
	var errs []map[string]string
	_ = json.Unmarshal(w.Body.Bytes(), &errs)
	return w.Code, errs
}

// TestRESTErrors: REST errors are JSON arrays, with the codes of §3.5.
func TestRESTErrors(t *testing.T) {
	s, _ := demoServer(t)
	s.mu.Lock()
	s.sessions["good"] = session{orgID: DemoOrgID, userID: DemoUserID, scopes: []string{"api"}, host: DemoMyDomain}
	s.sessions["noapi"] = session{orgID: DemoOrgID, userID: DemoUserID, scopes: []string{"id"}, host: DemoMyDomain}
	s.sessions["elsewhere"] = session{orgID: DemoOrgID, userID: DemoUserID, scopes: []string{"api"}, host: "other.my.salesforce.com"}
	s.mu.Unlock()
	tests := []struct {
		token, path string
		status      int
		code        string
	}{
		{"good", "/services/data/v65.0/limits", 200, ""},
		{"nope", "/services/data/v65.0/limits", 401, "INVALID_SESSION_ID"},
		{"elsewhere", "/services/data/v65.0/limits", 401, "INVALID_SESSION_ID"},
		{"noapi", "/services/data/v65.0/limits", 401, "INVALID_SESSION_ID"},
		{"good", "/services/data/v12.0/limits", 404, "NOT_FOUND"},
		{"good", "/services/data/v65.0/query?q=SELECT+Id+FROM+Account", 400, "MALFORMED_QUERY"},
		{"noapi", "/services/oauth2/userinfo", 200, ""},
	}
	for _, tt := range tests {
		status, errs := restCall(s, tt.token, tt.path)
		if status != tt.status || (tt.code != "" && (len(errs) != 1 || errs[0]["errorCode"] != tt.code)) {
			t.Errorf("%s %s = %d %v, want %d %s", tt.token, tt.path, status, errs, tt.status, tt.code)
		}
	}
	s.SetUser(DemoOrgID, DemoUserID, func(u *User) { u.APIEnabled = false })
	if status, errs := restCall(s, "good", "/services/data/v65.0/limits"); status != 403 || errs[0]["errorCode"] != "API_CURRENTLY_DISABLED" {
		t.Errorf("API disabled user: %d %v", status, errs)
	}
}

// TestWebServerFlowContract: the callback must match exactly, PKCE is
// required and checked, and a code is single-use.
func TestWebServerFlowContract(t *testing.T) {
	s, _ := demoServer(t)
	verifier := strings.Repeat("a", 43)
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	authorize := func(redirect, challenge string) *httptest.ResponseRecorder {
		q := url.Values{"response_type": {"code"}, "client_id": {DemoConsumerKey}, "redirect_uri": {redirect},
			"scope": {"api refresh_token"}, "state": {"st"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
		return do(s, "GET", "https://login.salesforce.com/services/oauth2/authorize?"+q.Encode(), nil, nil)
	}
	if w := authorize("http://localhost:1718/OauthRedirect", challenge); w.Code != 400 || !strings.Contains(w.Body.String(), "redirect_uri_mismatch") {
		t.Errorf("another port: %d %s", w.Code, w.Body)
	}
	if w := authorize(DemoCallbackURL, ""); w.Code != 302 || !strings.Contains(w.Header().Get("Location"), "missing+required+code+challenge") {
		t.Errorf("no PKCE: %d %s", w.Code, w.Header().Get("Location"))
	}
	w := authorize(DemoCallbackURL, challenge)
	req := regexpFind(t, w.Body.String(), `name="request" value="([^"]+)"`)
	w = do(s, "POST", "https://login.salesforce.com/services/oauth2/authorize/decision", url.Values{"request": {req}, "decision": {"approve"}}, nil)
	loc, _ := url.Parse(w.Header().Get("Location"))
	code := loc.Query().Get("code")
	if w.Code != 302 || code == "" || loc.Query().Get("state") != "st" {
		t.Fatalf("decision: %d %s", w.Code, loc)
	}
	redeem := func(v string) map[string]string {
		w := do(s, "POST", "https://login.salesforce.com/services/oauth2/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"client_id": {DemoConsumerKey}, "redirect_uri": {DemoCallbackURL}, "code_verifier": {v}}, nil)
		var body map[string]string
		_ = json.Unmarshal(w.Body.Bytes(), &body)
		return body
	}
	if b := redeem(strings.Repeat("~", 43)); b["error_description"] != "invalid code verifier" {
		t.Errorf("a ~ verifier: %v", b)
	}
	// The failed attempt spent the code, as a single-use code is.
	if b := redeem(verifier); b["error"] != "invalid_grant" {
		t.Errorf("a spent code: %v", b)
	}
}

// TestDeviceRequestAcceptsMultipart: the device code request comes as
// multipart/form-data from the Salesforce CLI, and urlencoded elsewhere.
func TestDeviceRequestAcceptsMultipart(t *testing.T) {
	s, _ := demoServer(t)
	s.orgs[0].Apps[0].DeviceFlow = true
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("client_id", DemoConsumerKey)
	_ = mw.WriteField("response_type", "device_code")
	_ = mw.WriteField("scope", "refresh_token web api")
	_ = mw.Close()
	r := httptest.NewRequest("POST", "https://login.salesforce.com/services/oauth2/token", &buf)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	var body map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &body)
	if w.Code != 200 || body["user_code"] == nil || body["device_code"] == nil || body["expires_in"] != nil {
		t.Fatalf("multipart device request: %d %v", w.Code, body)
	}
	if code, _ := body["user_code"].(string); !regexp.MustCompile(`^[A-Z]{8}$`).MatchString(code) {
		t.Errorf("user_code %q: Salesforce's are eight letters, no separator", code)
	}
	poll := do(s, "POST", "https://login.salesforce.com/services/oauth2/token", url.Values{"grant_type": {"device"}, "client_id": {DemoConsumerKey}, "code": {body["device_code"].(string)}}, nil)
	if poll.Code != 400 || !strings.Contains(poll.Body.String(), "slow_down") && !strings.Contains(poll.Body.String(), "authorization_pending") {
		t.Errorf("poll: %d %s", poll.Code, poll.Body)
	}
}

// TestRestoreRefusesBadState: a saved state is validated like input.
func TestRestoreRefusesBadState(t *testing.T) {
	s, _ := demoServer(t)
	e := &Emulator{Server: s}
	for _, bad := range []string{`{`, `{"version":2,"granted":[]}`, `{"version":1,"granted":["api x"]}`,
		`{"version":1,"granted":[],"refresh_tokens":{"nothex":{}}}`,
		`{"version":1,"granted":[],"refresh_tokens":{"` + strings.Repeat("a", 64) + `":{"org_id":"00Dnope","app":"x"}}}`,
		`{"version":1,"granted":[],"extra":1}`} {
		if err := e.Restore([]byte(bad)); err == nil {
			t.Errorf("Restore(%s) accepted it", bad)
		}
	}
}

func regexpFind(t *testing.T, s, pattern string) string {
	t.Helper()
	m := regexpMust(pattern).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("%s not in %s", pattern, s)
	}
	return m[1]
}

var regexpMust = regexp.MustCompile
