package google

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

func testAccount() account {
	return account{key: &ServiceAccountKey{ClientEmail: "tether@acme-project.iam.gserviceaccount.com", ClientID: "104455667788990011223",
		PrivateKeyID: strings.Repeat("a1", 20), ProjectID: "acme-project"}, admin: "admin@acme.com"}
}

// TestObserve is the specification of observe.
func TestObserve(t *testing.T) {
	tok := &oauth2.Token{AccessToken: "ya29.test"}
	undelegated := &flows.TokenError{Status: 401, Code: "unauthorized_client", Description: "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested."}
	ok := providers.Answer{Request: "GET /admin/directory/v1/users", Status: 200, Body: []byte(`{}`)}
	for _, tc := range []struct {
		name     string
		m        minted
		a        providers.Answer
		want     providers.Status
		evidence string
		advice   string
	}{
		{"undelegated is missing whatever the read says", minted{err: undelegated}, ok, providers.Missing, "401 unauthorized_client", ""},
		{"a network failure of the token is no verdict", minted{err: &flows.NetworkError{Host: "oauth2.googleapis.com", Reason: "refused"}}, providers.Answer{}, providers.Error, "POST /token", "network"},
		{"no token at all is no verdict", minted{}, providers.Answer{}, providers.Error, "no token was requested", ""},
		{"invalid_grant is no verdict, with its sentence", minted{err: &flows.TokenError{Status: 400, Code: "invalid_grant", Description: "Invalid email or User ID"}}, providers.Answer{}, providers.Error, "invalid_grant", "is not a user of the Workspace domain"},
		{"a 200 read proves it", minted{tok: tok}, ok, providers.Granted, "→ 200", ""},
		{"a read that could not run leaves the token", minted{tok: tok}, providers.Answer{Skipped: "no groups; tokeninfo lists it"}, providers.Granted, "only evidence", ""},
		{"insufficient scope disproves it", minted{tok: tok}, providers.Answer{Status: 403, Code: reasonScope}, providers.Missing, "403 insufficientPermissions", ""},
		{"forbidden is the admin's role", minted{tok: tok}, providers.Answer{Status: 403, Code: reasonForbidden}, providers.Error, "403 forbidden", "role problem, not a missing scope"},
		{"accessNotConfigured is the API", minted{tok: tok}, providers.Answer{Status: 403, Code: reasonDisabled}, providers.Error, "accessNotConfigured", "Admin SDK API is not enabled in project acme-project"},
		{"401 on the read is no verdict", minted{tok: tok}, providers.Answer{Status: 401, Code: "authError"}, providers.Error, "401", ""},
		{"a read that failed is no verdict", minted{tok: tok}, providers.Answer{Err: errors.New("not JSON")}, providers.Error, "not JSON", ""},
		{"a 500 after retries is no verdict", minted{tok: tok}, providers.Answer{Status: 500}, providers.Error, "500", ""},
		{"a skipped read that also failed is no verdict", minted{tok: tok}, providers.Answer{Skipped: "x", Err: errors.New("tokeninfo did not confirm")}, providers.Error, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.m.scope = scopeUsers
			o := observe(testAccount(), tc.m, tc.a, time.Unix(0, 0))
			if o.Status != tc.want || !strings.Contains(o.Evidence, tc.evidence) || !strings.Contains(o.Advice, tc.advice) {
				t.Errorf("observe() = %+v, want %s with evidence %q and advice %q", o, tc.want, tc.evidence, tc.advice)
			}
			if o.Identifier != scopeUsers {
				t.Errorf("identifier = %q", o.Identifier)
			}
		})
	}
}

// TestExplain: every token endpoint refusal of §2.3 has its own sentence
// and fix.
func TestExplain(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		status      int
		code, desc  string
		reason, fix string
	}{
		{401, "unauthorized_client", "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.", "does not authorise client id 104455667788990011223", "Domain-wide delegation"},
		{401, "unauthorized_client", "Unauthorized client or scope in request.", "does not authorise client id", "Domain-wide delegation"},
		{400, "invalid_grant", "Invalid email or User ID", "admin@acme.com is not a user of the Workspace domain", "admin_email=admin@acme.com"},
		{400, "invalid_grant", "Not a valid email", "does not take admin@acme.com as a user's address", "primary address"},
		{400, "invalid_request", "Invalid impersonation prn email address.", "does not take admin@acme.com as a user's address", "primary address"},
		{400, "invalid_grant", "The account has been deleted", "has been deleted", "another admin"},
		{403, "access_denied", "Account restricted", "suspended or restricted", "restore the account"},
		{400, "invalid_grant", "Invalid JWT Signature.", "no longer accepts key", "Keys tab"},
		{400, "invalid_grant", "Invalid JWT: No valid verifier found for issuer.", "the service account was deleted", "create a service account"},
		{400, "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.", "clock reads 2026-12-02T10:00:00Z", "set-ntp"},
		{401, "disabled_client", "The OAuth client was disabled.", "is disabled", "enable it under IAM"},
		{401, "deleted_client", "The OAuth client was deleted.", "has been deleted", "undelete"},
		{403, "access_denied", "Requested client not authorized.", "organization policy", "App access control"},
		{400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.", "does not know a scope", "defect"},
		{429, "rate_limit_exceeded", "", "rate-limiting", "wait a minute"},
		{503, "internal_failure", "Backend Error", "server error", "appsstatus"},
	} {
		reason, fix := explain(testAccount(), &flows.TokenError{Status: tc.status, Code: tc.code, Description: tc.desc}, now)
		if !strings.Contains(reason, tc.reason) || !strings.Contains(fix, tc.fix) {
			t.Errorf("explain(%d %s %q) = %q; %q, want %q; %q", tc.status, tc.code, tc.desc, reason, fix, tc.reason, tc.fix)
		}
		if !strings.Contains(reason, tc.code) {
			t.Errorf("explain(%s) = %q does not quote what Google said", tc.code, reason)
		}
	}
	if reason, fix := explain(testAccount(), &flows.TokenError{Status: 400, Code: "weird"}, now); !strings.Contains(reason, "refused") || fix != "" {
		t.Errorf("explain(unknown) = %q, %q", reason, fix)
	}
}

func TestDecodeError(t *testing.T) {
	for _, tc := range []struct{ body, code, msg string }{
		{`{"error":{"code":403,"message":"Request had insufficient authentication scopes.","errors":[{"message":"Insufficient Permission","domain":"global","reason":"insufficientPermissions"}],"status":"PERMISSION_DENIED"}}`, reasonScope, "Request had insufficient authentication scopes."},
		{`{"error":{"errors":[{"domain":"global","reason":"forbidden","message":"Not Authorized to access this resource/api"}],"code":403,"message":"Not Authorized to access this resource/api"}}`, reasonForbidden, "Not Authorized to access this resource/api"},
		{`{"error":{"code":403,"message":"off","status":"PERMISSION_DENIED","details":[{"reason":"SERVICE_DISABLED"}]}}`, "SERVICE_DISABLED", "off"},
		{`{"error":"invalid_token","error_description":"Invalid Value"}`, "invalid_token", "Invalid Value"},
		{`{"error_description":"Invalid Value"}`, "", ""},
		{`<html>`, "", ""},
		{`{"error":7}`, "", ""},
	} {
		if code, msg := decodeError(0, []byte(tc.body)); code != tc.code || msg != tc.msg {
			t.Errorf("decodeError(%s) = %q, %q, want %q, %q", tc.body, code, msg, tc.code, tc.msg)
		}
	}
}

func TestDelegationLink(t *testing.T) {
	got := DelegationLink("104455667788990011223", []string{scopeUsers, scopeAudit}, "admin@acme.com")
	want := "https://admin.google.com/ac/owl/domainwidedelegation?authuser=admin%40acme.com&clientIdToAdd=104455667788990011223&clientScopeToAdd=" +
		"https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fadmin.directory.user.readonly%2Chttps%3A%2F%2Fwww.googleapis.com%2Fauth%2Fadmin.reports.audit.readonly" +
		"&dn=acme.com&overwriteClientId=true"
	if got != want {
		t.Errorf("DelegationLink() =\n%s\nwant\n%s", got, want)
	}
	if got := DelegationLink("", nil, ""); got != "https://admin.google.com/ac/owl/domainwidedelegation" {
		t.Errorf("DelegationLink() with nothing known = %s", got)
	}
}

func TestBlocksAll(t *testing.T) {
	for _, tc := range []struct {
		a    providers.Answer
		want bool
	}{
		{providers.Answer{Status: 403, Code: reasonForbidden}, true},
		{providers.Answer{Status: 403, Code: reasonDisabled}, true},
		{providers.Answer{Status: 401}, true},
		{providers.Answer{Status: 403, Code: reasonScope}, false},
		{providers.Answer{Status: 200}, false},
		{providers.Answer{Skipped: "no token"}, false},
		{providers.Answer{Status: http.StatusForbidden, Code: reasonForbidden, Err: errors.New("x")}, false},
	} {
		if got := blocksAll(tc.a); got != tc.want {
			t.Errorf("blocksAll(%+v) = %v", tc.a, got)
		}
	}
}
