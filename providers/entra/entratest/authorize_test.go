package entratest_test

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tetherdev/tether/providers/entra/entratest"
)

// TestAuthorizationCode: the browser sign-in's code is single use and
// bound to its PKCE verifier, client and redirect URI.
func TestAuthorizationCode(t *testing.T) {
	c := client(t, entratest.Options{Tenants: []entratest.Tenant{demo()}})
	const verifier = "ThisIsntRandomButItNeedsToBe43CharactersLong"
	sum := sha256.Sum256([]byte(verifier))
	base := "https://login.microsoftonline.com/" + entratest.DemoDomain + "/oauth2/v2.0/authorize?"
	redirectURI := "http://localhost:8765/"
	q := url.Values{"client_id": {entratest.GraphCLIClientID}, "response_type": {"code"}, "redirect_uri": {redirectURI},
		"scope": {"https://graph.microsoft.com/Application.ReadWrite.All"}, "state": {"s1"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
	code := func(decision string) url.Values {
		t.Helper()
		resp, err := c.Get(base + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		body := make([]byte, 4096)
		n, _ := resp.Body.Read(body)
		resp.Body.Close()
		m := regexp.MustCompile(`action="([^"]+)"[\s\S]*name="request" value="([^"]+)"`).FindSubmatch(body[:n])
		if m == nil {
			t.Fatalf("no sign-in form: %s", body[:n])
		}
		resp, err = c.PostForm("https://login.microsoftonline.com"+string(m[1]), url.Values{"request": {string(m[2])}, "decision": {decision}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc.String(), redirectURI) || loc.Query().Get("state") != "s1" {
			t.Fatalf("redirect %d %s", resp.StatusCode, loc)
		}
		return loc.Query()
	}
	redeem := func(code, v string) answer {
		return post(t, c, url.Values{"grant_type": {"authorization_code"}, "client_id": {entratest.GraphCLIClientID}, "code": {code},
			"redirect_uri": {redirectURI}, "code_verifier": {v}})
	}
	if got := code("deny"); got.Get("error") != "access_denied" || !strings.HasPrefix(got.Get("error_description"), "AADSTS65004") {
		t.Errorf("denied: %v", got)
	}
	good := code("approve").Get("code")
	if a := redeem(good, "wrong-verifier-wrong-verifier-wrong-verifier"); a.status != 400 || a.aadsts() != "AADSTS501481" {
		t.Errorf("wrong verifier: %v", a)
	}
	if a := redeem(good, verifier); a.status != 400 || a.aadsts() != "AADSTS54005" {
		t.Errorf("a code tried once is spent: %v", a)
	}
	good = code("approve").Get("code")
	if a := redeem(good, verifier); a.status != 200 || a.body["access_token"] == nil {
		t.Errorf("redeem: %v", a)
	}
	q.Set("redirect_uri", "https://evil.example/")
	resp, err := c.Get(base + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a foreign redirect URI: %d", resp.StatusCode)
	}
}
