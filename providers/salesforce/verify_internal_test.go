package salesforce

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

func TestObserve(t *testing.T) {
	limits := []byte(`{"DailyApiRequests":{"Max":15000,"Remaining":14000}}`)
	access := func(v string) []byte {
		return []byte(`{"totalSize":1,"done":true,"records":[{"attributes":{"type":"UserPermissionAccess"},"PermissionsApiEnabled":` + v + `}]}`)
	}
	tests := []struct {
		name   string
		g      grant
		a      providers.Answer
		status providers.Status
		cause  cause
	}{
		{"limits prove it", grants, providers.Answer{Status: 200, Body: limits}, providers.Granted, causeNone},
		{"scope lacking wins over a 200", lacks, providers.Answer{Status: 200, Body: limits}, providers.Missing, causeScope},
		{"no scope list, limits prove it", unsaid, providers.Answer{Status: 200, Body: limits}, providers.Granted, causeNone},
		{"own permissions prove it", grants, providers.Answer{Status: 200, Body: access("true")}, providers.Granted, causeNone},
		{"own permissions lack it", grants, providers.Answer{Status: 200, Body: access("false")}, providers.Missing, causeUserAPI},
		{"an unknown 200 is no verdict", grants, providers.Answer{Status: 200, Body: []byte(`{"x":1}`)}, providers.Error, causeNone},
		{"session not for REST", unsaid, providers.Answer{Status: 401, Code: "INVALID_SESSION_ID", Message: "This session is not valid for use with the REST API"}, providers.Missing, causeScope},
		{"expired session", grants, providers.Answer{Status: 401, Code: "INVALID_SESSION_ID", Message: "Session expired or invalid"}, providers.Error, causeNone},
		{"user API disabled", grants, providers.Answer{Status: 403, Code: "API_CURRENTLY_DISABLED", Message: "API is disabled for this User"}, providers.Missing, causeUserAPI},
		{"org API disabled", grants, providers.Answer{Status: 403, Code: "API_DISABLED_FOR_ORG", Message: "The REST API is not enabled for this Organization."}, providers.Missing, causeOrgAPI},
		{"request limit", grants, providers.Answer{Status: 403, Code: "REQUEST_LIMIT_EXCEEDED", Message: "TotalRequests Limit exceeded."}, providers.Error, causeNone},
		{"network failure", grants, providers.Answer{Err: errors.New("reset")}, providers.Error, causeNone},
		{"not run", grants, providers.Answer{Skipped: "no versions"}, providers.Error, causeNone},
		{"server error", grants, providers.Answer{Status: 500}, providers.Error, causeNone},
		{"a 200 that failed to parse upstream", grants, providers.Answer{Status: 200, Body: limits, Err: errors.New("not JSON")}, providers.Error, causeNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, c := observe(tt.g, tt.a)
			if o.Status != tt.status || c != tt.cause || o.Identifier != "api" || o.Evidence == "" {
				t.Errorf("observe() = %+v, cause %d; want %s, cause %d", o, c, tt.status, tt.cause)
			}
		})
	}
}

func TestObserveAdvice(t *testing.T) {
	o, _ := observe(grants, providers.Answer{Status: 403, Code: "REQUEST_LIMIT_EXCEEDED"})
	if !strings.Contains(o.Advice, "daily API requests") {
		t.Errorf("advice = %q", o.Advice)
	}
}

func TestFixFor(t *testing.T) {
	s := map[string]string{InputUsername: "it@acme.com"}
	tests := []struct {
		c      cause
		method string
		want   string
	}{
		{causeScope, MethodJWTBearer, "Selected OAuth Scopes"},
		{causeUserAPI, MethodJWTBearer, "API Enabled (System Permissions) for it@acme.com"},
		{causeOrgAPI, MethodJWTBearer, "edition has no API access"},
		{causeNotPermit, MethodJWTBearer, "pre-authorized"},
		{causeScope, "web", "sign in again: tether setup salesforce --method web"},
	}
	for _, tt := range tests {
		if got := fixFor(tt.c, tt.method, s); !strings.Contains(got, tt.want) {
			t.Errorf("fixFor(%d, %s) = %q, want %q in it", tt.c, tt.method, got, tt.want)
		}
	}
}

func TestDecodeError(t *testing.T) {
	tests := []struct{ body, code, msg string }{
		{`[{"message":"API is disabled for this User","errorCode":"API_CURRENTLY_DISABLED"}]`, "API_CURRENTLY_DISABLED", "API is disabled for this User"},
		{`{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}`, "INVALID_SESSION_ID", "Session expired or invalid"},
		{`[]`, "", ""},
		{`<html>`, "", ""},
	}
	for _, tt := range tests {
		if c, m := decodeError(400, []byte(tt.body)); c != tt.code || m != tt.msg {
			t.Errorf("decodeError(%s) = %q, %q", tt.body, c, m)
		}
	}
}

func TestLatestVersion(t *testing.T) {
	tests := []struct {
		body, want string
		ok         bool
	}{
		{`[{"version":"61.0"},{"version":"65.0"},{"version":"64.0"}]`, "65.0", true},
		{`[{"version":"9.0"},{"version":"100.0"}]`, "100.0", true},
		{`[{"version":"../x"}]`, "", false},
		{`[]`, "", false},
		{`{}`, "", false},
	}
	for _, tt := range tests {
		v, err := latestVersion([]byte(tt.body))
		if v != tt.want || (err == nil) != tt.ok {
			t.Errorf("latestVersion(%s) = %q, %v", tt.body, v, err)
		}
	}
}

func TestLoginHost(t *testing.T) {
	tests := []struct {
		in, want string
		sandbox  bool
		ok       bool
	}{
		{"login.salesforce.com", "login.salesforce.com", false, true},
		{"production", "login.salesforce.com", false, true},
		{"sandbox", "test.salesforce.com", true, true},
		{"https://Acme.my.salesforce.com/", "acme.my.salesforce.com", false, true},
		{"acme--dev.sandbox.my.salesforce.com", "acme--dev.sandbox.my.salesforce.com", true, true},
		{"127.0.0.1:8443", "127.0.0.1:8443", false, true},
		{"evil.example.com", "", false, false},
		{"login.salesforce.com.evil.com", "", false, false},
		{"user@login.salesforce.com", "", false, false},
		{"", "", false, false},
	}
	for _, tt := range tests {
		h, err := LoginHost(tt.in)
		if (err == nil) != tt.ok || (tt.ok && (h.String() != tt.want || h.IsSandbox() != tt.sandbox)) {
			t.Errorf("LoginHost(%q) = %q sandbox %v, %v", tt.in, h.String(), h.IsSandbox(), err)
		}
	}
	for host, aud := range map[string]string{"login.salesforce.com": "https://login.salesforce.com", "acme.my.salesforce.com": "https://login.salesforce.com",
		"test.salesforce.com": "https://test.salesforce.com", "acme--uat.sandbox.my.salesforce.com": "https://test.salesforce.com"} {
		if h, _ := LoginHost(host); h.audience() != aud {
			t.Errorf("audience of %s = %s, want %s", host, h.audience(), aud)
		}
	}
}

func TestInstanceURL(t *testing.T) {
	tests := []struct {
		raw, login string
		ok         bool
	}{
		{"https://acme.my.salesforce.com", "login.salesforce.com", true},
		{"https://eu6.salesforce.com/", "login.salesforce.com", true},
		{"http://acme.my.salesforce.com", "login.salesforce.com", false},
		{"https://evil.example.com", "login.salesforce.com", false},
		{"https://acme.my.salesforce.com/path", "login.salesforce.com", false},
		{"https://u:p@acme.my.salesforce.com", "login.salesforce.com", false},
		{"https://127.0.0.1:9000", "login.salesforce.com", false},
		{"https://127.0.0.1:9000", "127.0.0.1:9000", true},
		{"", "login.salesforce.com", false},
	}
	for _, tt := range tests {
		if _, err := InstanceURL(tt.raw, tt.login); (err == nil) != tt.ok {
			t.Errorf("InstanceURL(%q, %q) = %v", tt.raw, tt.login, err)
		}
	}
}

func TestParseSession(t *testing.T) {
	good := map[string]any{"instance_url": "https://acme.my.salesforce.com", "scope": "api id",
		"id": "https://login.salesforce.com/id/00D000000000001AAA/005000000000001AAA"}
	tok := (&oauth2.Token{AccessToken: "00D000000000001!x"}).WithExtra(good)
	s, err := parseSession(tok, "login.salesforce.com")
	if err != nil || s.orgID != "00D000000000001AAA" || s.userID != "005000000000001AAA" || grantOf(s) != grants {
		t.Fatalf("parseSession() = %+v, %v", s, err)
	}
	for name, change := range map[string]map[string]any{
		"no instance":  {"instance_url": ""},
		"foreign host": {"instance_url": "https://evil.example.com"},
		"bad id":       {"id": "https://login.salesforce.com/id/x/y"},
		"no id":        {"id": nil},
	} {
		extra := map[string]any{}
		for k, v := range good {
			extra[k] = v
		}
		for k, v := range change {
			extra[k] = v
		}
		if _, err := parseSession((&oauth2.Token{AccessToken: "a"}).WithExtra(extra), "login.salesforce.com"); err == nil {
			t.Errorf("%s: parseSession accepted %v", name, extra)
		}
	}
	noScope := map[string]any{"instance_url": good["instance_url"], "id": good["id"]}
	if s, err := parseSession((&oauth2.Token{AccessToken: "a"}).WithExtra(noScope), "login.salesforce.com"); err != nil || grantOf(s) != unsaid {
		t.Errorf("without scope: %+v, %v", s, err)
	}
}

func TestSignInErrors(t *testing.T) {
	h, _ := LoginHost("login.salesforce.com")
	settings := map[string]string{InputUsername: "it@acme.com"}
	tests := []struct {
		code, desc string
		status     int
		want       string
	}{
		{"invalid_client_id", "client identifier invalid", 400, "check the consumer key"},
		{"invalid_grant", "user hasn't approved this consumer", 400, "pre-authorized"},
		{"invalid_app_access", "user is not admin approved to access this app", 400, "pre-authorized"},
		{"invalid_grant", "audience is invalid", 400, "audience must be"},
		{"invalid_grant", "invalid assertion", 400, "upload the certificate"},
		{"invalid_grant", "ip restricted", 400, "IP Relaxation"},
		{"invalid_grant", "authentication failure", 400, "check the username it@acme.com"},
		{"unsupported_grant_type", "grant type not supported", 400, "Flow Enablement"},
		{"", "", http.StatusTooManyRequests, "wait a minute"},
	}
	for _, tt := range tests {
		err := signInError(h, settings, &flows.TokenError{Status: tt.status, Code: tt.code, Description: tt.desc})
		var se *providers.SignInError
		if !errors.As(err, &se) || !strings.Contains(se.Fix, tt.want) {
			t.Errorf("signInError(%s %s) = %v, want fix %q", tt.code, tt.desc, err, tt.want)
		}
	}
	plain := errors.New("no route")
	if err := signInError(h, settings, plain); err != plain {
		t.Errorf("a non-token error was rewrapped: %v", err)
	}
}

func TestValidators(t *testing.T) {
	if validClientID("3MVG9rZjd7MXFdLhq5R1XhHa8OP2e8yXgqQ6TzcLZzPAuX.Jv6rr5vO3bu1yJiQe1rW") != nil {
		t.Error("a consumer key was refused")
	}
	for _, bad := range []string{"short", "3MVG9 with spaces in it 000000000", strings.Repeat("a", 300)} {
		if validClientID(bad) == nil {
			t.Errorf("validClientID(%q) accepted it", bad)
		}
	}
	if validUsername("it@acme.com") != nil || validUsername("it@acme.com.uat") != nil {
		t.Error("a username was refused")
	}
	for _, bad := range []string{"it", "it@acme", "a b@acme.com", "@acme.com"} {
		if validUsername(bad) == nil {
			t.Errorf("validUsername(%q) accepted it", bad)
		}
	}
	if _, err := Audience("http://login.salesforce.com"); err == nil {
		t.Error("an http audience was accepted")
	}
	if a, err := Audience("https://login.salesforce.com/"); err != nil || a != "https://login.salesforce.com" {
		t.Errorf("Audience() = %q, %v", a, err)
	}
}
