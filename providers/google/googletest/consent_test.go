package googletest_test

import (
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tetherdev/tether/providers/google/googletest"
)

const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r5wW1gFWFOEjXk0123456789"

func challenge() string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func authQuery(edit func(url.Values)) url.Values {
	q := url.Values{"client_id": {googletest.DemoOAuthClientID}, "redirect_uri": {"http://127.0.0.1:53682/"}, "response_type": {"code"},
		"scope": {users}, "code_challenge": {challenge()}, "code_challenge_method": {"S256"}, "state": {"s1"}, "access_type": {"offline"}}
	if edit != nil {
		edit(q)
	}
	return q
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// consent loads the consent screen and continues with every box ticked,
// returning the redirect's query.
func consent(t *testing.T, base string, q url.Values) url.Values {
	t.Helper()
	resp, err := http.Get(base + "/o/oauth2/v2/auth?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("consent screen = %d %s", resp.StatusCode, body)
	}
	form := url.Values{}
	for _, m := range regexp.MustCompile(`name="([^"]+)" value="([^"]*)"`).FindAllStringSubmatch(string(body), -1) {
		form.Set(m[1], m[2])
	}
	form.Set("decision", "approve")
	resp, err = noRedirect.PostForm(base+"/signin/oauth/consent", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	return loc.Query()
}

func exchange(t *testing.T, base string, edit func(url.Values)) answer {
	t.Helper()
	p := url.Values{"grant_type": {"authorization_code"}, "client_id": {googletest.DemoOAuthClientID},
		"client_secret": {googletest.DemoOAuthClientSecret}, "redirect_uri": {"http://127.0.0.1:53682/"}, "code_verifier": {verifier}}
	edit(p)
	return post(t, base+"/token", "application/x-www-form-urlencoded", p.Encode())
}

func TestAuthorizeRefusals(t *testing.T) {
	_, ts := server(t)
	for _, tc := range []struct {
		name string
		edit func(url.Values)
		want string
	}{
		{"unknown client", func(q url.Values) { q.Set("client_id", "1-x.apps.googleusercontent.com") }, "invalid_client"},
		{"non-loopback redirect", func(q url.Values) { q.Set("redirect_uri", "http://evil.example/cb") }, "redirect_uri_mismatch"},
		{"https redirect", func(q url.Values) { q.Set("redirect_uri", "https://127.0.0.1:5000/") }, "redirect_uri_mismatch"},
		{"token response type", func(q url.Values) { q.Set("response_type", "token") }, "unsupported_response_type"},
		{"no scope", func(q url.Values) { q.Del("scope") }, "invalid_request"},
		{"unknown scope", func(q url.Values) { q.Set("scope", "https://www.googleapis.com/auth/admin.directory.audit.readonly") }, "invalid_scope"},
		{"bad challenge method", func(q url.Values) { q.Set("code_challenge_method", "S512") }, "invalid_request"},
		{"short challenge", func(q url.Values) { q.Set("code_challenge", "abc") }, "invalid_request"},
	} {
		resp, err := http.Get(ts.URL + "/o/oauth2/v2/auth?" + authQuery(tc.edit).Encode())
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode < 400 || !strings.Contains(string(body), tc.want) {
			t.Errorf("%s: %d %s, want an error page naming %s", tc.name, resp.StatusCode, body, tc.want)
		}
	}
}

func TestCodeExchange(t *testing.T) {
	s, ts := server(t)
	cb := consent(t, ts.URL, authQuery(nil))
	if cb.Get("state") != "s1" || cb.Get("scope") != users || cb.Get("code") == "" {
		t.Fatalf("redirect = %v", cb)
	}
	code := cb.Get("code")
	for _, tc := range []struct {
		name   string
		edit   func(url.Values)
		status int
		error  string
	}{
		{"wrong verifier", func(p url.Values) { p.Set("code", code); p.Set("code_verifier", strings.Repeat("a", 43)) }, 400, "invalid_grant"},
	} {
		if a := exchange(t, ts.URL, tc.edit); a.status != tc.status || a.body["error"] != tc.error {
			t.Errorf("%s: %d %v", tc.name, a.status, a.body)
		}
	}
	// A code is spent even by a failed exchange.
	if a := exchange(t, ts.URL, func(p url.Values) { p.Set("code", code) }); a.status != 400 || a.body["error_description"] != "Bad Request" {
		t.Errorf("a spent code: %d %v", a.status, a.body)
	}
	for _, tc := range []struct {
		name   string
		edit   func(url.Values)
		status int
		error  string
	}{
		{"wrong secret", func(p url.Values) { p.Set("client_secret", "GOCSPX-nope") }, 401, "invalid_client"},
		{"other redirect", func(p url.Values) { p.Set("redirect_uri", "http://127.0.0.1:1/") }, 400, "invalid_grant"},
		{"no verifier", func(p url.Values) { p.Del("code_verifier") }, 400, "invalid_grant"},
		{"good", func(url.Values) {}, 200, ""},
	} {
		c := consent(t, ts.URL, authQuery(nil)).Get("code")
		a := exchange(t, ts.URL, func(p url.Values) { p.Set("code", c); tc.edit(p) })
		if a.status != tc.status || (tc.error != "" && a.body["error"] != tc.error) {
			t.Errorf("%s: %d %v", tc.name, a.status, a.body)
		}
		if tc.status == 200 && (a.body["scope"] != users || a.body["refresh_token"] == nil) {
			t.Errorf("the exchange answer = %v, want the granted scope and a refresh token", a.body)
		}
	}
	// Unticked scopes are left out of the redirect and the token.
	s.SetUnticked([]string{users})
	cb = consent(t, ts.URL, authQuery(func(q url.Values) {
		q.Set("scope", users+" https://www.googleapis.com/auth/admin.directory.group.readonly")
	}))
	if cb.Get("scope") != "https://www.googleapis.com/auth/admin.directory.group.readonly" {
		t.Errorf("with users unticked, the redirect grants %q", cb.Get("scope"))
	}
}
