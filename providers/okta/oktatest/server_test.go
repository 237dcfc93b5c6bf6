package oktatest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers/okta/oktatest"
)

const appToken = "00TestSswsToken00000000000000000000000001"

// start serves an org whose admin has token appToken and whose app is
// registered with key (both hold Read-Only Administrator and the custom
// role).
func start(t *testing.T, opts oktatest.Options, mutate ...func(*oktatest.Org)) (*httptest.Server, *oktatest.Server, *flows.Assertion) {
	t.Helper()
	key, err := flows.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	o := oktatest.Demo([]string{"READ_ONLY_ADMIN"}, []string{"okta.users.lifecycle.suspend"}, key.Public())
	o.Tokens[0].Value = appToken
	for _, m := range mutate {
		m(&o)
	}
	opts.Orgs = []oktatest.Org{o}
	emu := oktatest.New(opts)
	srv := httptest.NewTLSServer(emu)
	t.Cleanup(srv.Close)
	return srv, emu, &flows.Assertion{Key: key}
}

func get(t *testing.T, srv *httptest.Server, path, auth string) (*http.Response, map[string]any, []any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	return do(t, srv, req)
}

func do(t *testing.T, srv *httptest.Server, req *http.Request) (*http.Response, map[string]any, []any) {
	t.Helper()
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var obj map[string]any
	var arr []any
	if json.Unmarshal(data, &obj) != nil {
		_ = json.Unmarshal(data, &arr)
	}
	return resp, obj, arr
}

func TestSSWSAuthentication(t *testing.T) {
	srv, _, _ := start(t, oktatest.Options{})
	tests := []struct {
		auth   string
		status int
		code   string
	}{
		{"", 403, "E0000005"},
		{"SSWS", 403, "E0000005"},
		{"Basic " + appToken, 403, "E0000005"},
		{"SSWS " + appToken + " x", 403, "E0000005"},
		{"SSWS 00" + strings.Repeat("x", 40), 401, "E0000011"},
		{"SSWS " + appToken, 200, ""},
	}
	for _, tt := range tests {
		resp, obj, _ := get(t, srv, "/api/v1/users/me", tt.auth)
		if resp.StatusCode != tt.status || tt.code != "" && (obj["errorCode"] != tt.code || obj["errorLink"] != tt.code || obj["errorSummary"] == "") {
			t.Errorf("%q: %d %v, want %d %s", tt.auth, resp.StatusCode, obj, tt.status, tt.code)
		}
		for _, h := range []string{"X-Okta-Request-Id", "Date", "X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset"} {
			if resp.Header.Get(h) == "" && (tt.status == 200 || !strings.HasPrefix(h, "X-Rate")) {
				t.Errorf("%q: no %s header", tt.auth, h)
			}
		}
	}
	if _, obj, _ := get(t, srv, "/api/v1/users/me", "SSWS "+appToken); obj["id"] != oktatest.DemoAdminID {
		t.Errorf("users/me = %v, want the token's owner", obj)
	}
}

var nextLink = regexp.MustCompile(`<([^>]+)>; rel="next"`)

func TestPaginationAndValidation(t *testing.T) {
	srv, _, _ := start(t, oktatest.Options{})
	var ids []string
	path := "/api/v1/users?limit=1"
	for range 10 {
		resp, _, page := get(t, srv, path, "SSWS "+appToken)
		if resp.StatusCode != 200 || len(page) != 1 || !strings.Contains(strings.Join(resp.Header.Values("Link"), ","), `rel="self"`) {
			t.Fatalf("%s: %d, %v, links %q", path, resp.StatusCode, page, resp.Header.Values("Link"))
		}
		ids = append(ids, page[0].(map[string]any)["id"].(string))
		m := nextLink.FindStringSubmatch(strings.Join(resp.Header.Values("Link"), ","))
		if m == nil {
			break
		}
		u, _ := url.Parse(m[1])
		path = u.RequestURI()
	}
	if len(ids) != 4 || strings.Contains(strings.Join(ids, ","), "alanturing") {
		t.Errorf("paged users %v: want the 4 not deprovisioned", ids)
	}
	if resp, obj, _ := get(t, srv, "/api/v1/policies", "SSWS "+appToken); resp.StatusCode != 400 || obj["errorCode"] != "E0000001" {
		t.Errorf("policies without type: %d %v", resp.StatusCode, obj)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/users/"+oktatest.DemoAdminID+"/lifecycle/suspend", nil)
	req.Header.Set("Authorization", "SSWS "+appToken)
	if resp, obj, _ := do(t, srv, req); resp.StatusCode != 405 || obj["errorCode"] != "E0000022" {
		t.Errorf("a write: %d %v, want 405 E0000022", resp.StatusCode, obj)
	}
}

func TestRolesAndPermissions(t *testing.T) {
	srv, emu, _ := start(t, oktatest.Options{})
	me := "/api/v1/users/" + oktatest.DemoAdminID + "/roles"
	if resp, _, roles := get(t, srv, me, "SSWS "+appToken); resp.StatusCode != 200 || len(roles) != 2 {
		t.Fatalf("own roles: %d %v", resp.StatusCode, roles)
	}
	if resp, obj, _ := get(t, srv, "/api/v1/iam/roles/"+oktatest.DemoRoleID+"/permissions", "SSWS "+appToken); resp.StatusCode != 200 || len(obj["permissions"].([]any)) != 1 {
		t.Errorf("permissions: %d %v", resp.StatusCode, obj)
	}
	// Without a standard reader role, only its own assignments are visible.
	_ = emu.Update(oktatest.DemoDomain, func(o *oktatest.Org) { o.Assignments[oktatest.DemoAdminID] = o.Assignments[oktatest.DemoAdminID][1:] })
	if resp, obj, _ := get(t, srv, "/api/v1/users/"+oktatest.DemoSuperID+"/roles", "SSWS "+appToken); resp.StatusCode != 403 || obj["errorCode"] != "E0000006" {
		t.Errorf("another's roles: %d %v, want 403 E0000006", resp.StatusCode, obj)
	}
	if resp, _, _ := get(t, srv, "/api/v1/iam/resource-sets/"+oktatest.DemoResourceSetID+"/resources", "SSWS "+appToken); resp.StatusCode != 200 {
		t.Errorf("own resource set: %d", resp.StatusCode)
	}
	if resp, obj, _ := get(t, srv, "/api/v1/logs?limit=1", "SSWS "+appToken); resp.StatusCode != 403 || obj["errorCode"] != "E0000006" {
		t.Errorf("a custom role reads the System Log: %d %v", resp.StatusCode, obj)
	}
}

func TestRateLimitHasNoRetryAfter(t *testing.T) {
	srv, _, _ := start(t, oktatest.Options{RateLimit: 1})
	get(t, srv, "/api/v1/groups", "SSWS "+appToken)
	resp, obj, _ := get(t, srv, "/api/v1/groups", "SSWS "+appToken)
	if resp.StatusCode != 429 || obj["errorCode"] != "E0000047" || resp.Header.Get("Retry-After") != "" ||
		resp.Header.Get("X-Rate-Limit-Remaining") != "0" || resp.Header.Get("X-Rate-Limit-Reset") == "" {
		t.Errorf("429: %d %v %v", resp.StatusCode, obj, resp.Header)
	}
}

// client is the demo app's flows client against srv.
func client(srv *httptest.Server, a *flows.Assertion, scopes ...string) flows.Client {
	return flows.Client{Endpoints: flows.Endpoints{TokenURL: srv.URL + "/oauth2/v1/token"}, ClientID: oktatest.DemoClientID,
		Scopes: scopes, Assertion: a, HTTPClient: srv.Client()}
}

func tokenErr(err error) *flows.TokenError {
	var te *flows.TokenError
	errors.As(err, &te)
	return te
}

func TestTokenEndpoint(t *testing.T) {
	srv, _, a := start(t, oktatest.Options{})
	ctx := context.Background()
	tests := []struct {
		name   string
		c      func() flows.Client
		status int
		code   string
		desc   string
	}{
		{"granted", func() flows.Client { return client(srv, a, "okta.users.read") }, 200, "", ""},
		{"scope not granted", func() flows.Client { return client(srv, a, "okta.users.read", "okta.clients.manage") }, 400, "invalid_scope", "exceeds the scope granted"},
		{"no scope", func() flows.Client { return client(srv, a) }, 400, "invalid_scope", "No scopes were requested."},
		{"audience of the org, not the endpoint", func() flows.Client {
			b := *a
			b.Audience = srv.URL
			return client(srv, &b, "okta.users.read")
		}, 401, "invalid_client", "must be the endpoint invoked"},
		{"expired assertion", func() flows.Client {
			b := *a
			b.Now = func() time.Time { return time.Now().Add(-2 * time.Hour) }
			return client(srv, &b, "okta.users.read")
		}, 401, "invalid_client", "expired"},
		{"client secret", func() flows.Client {
			c := client(srv, nil, "okta.users.read")
			c.ClientSecret = "not-allowed-secret"
			return c
		}, 401, "invalid_client", "must use the private_key_jwt"},
		{"another key", func() flows.Client {
			k, _ := flows.GenerateKey()
			return client(srv, &flows.Assertion{Key: k}, "okta.users.read")
		}, 401, "invalid_client", "signature is invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := tt.c().ClientCredentialsToken(ctx)
			if tt.status == 200 {
				if err != nil || tok.TokenType != "Bearer" || tok.Extra("scope") != "okta.users.read" {
					t.Fatalf("token = %+v, %v", tok, err)
				}
				return
			}
			te := tokenErr(err)
			if te == nil || te.Status != tt.status || te.Code != tt.code || !strings.Contains(te.Description, tt.desc) {
				t.Errorf("ClientCredentialsToken() = %v, want %d %s %q", err, tt.status, tt.code, tt.desc)
			}
		})
	}
}

func TestReplayedAssertion(t *testing.T) {
	srv, _, a := start(t, oktatest.Options{})
	// The assertion's aud defaults to the endpoint only inside a Client:
	// sign one for it, and send it twice.
	b := *a
	b.Audience = srv.URL + "/oauth2/v1/token"
	assertion, err := b.Sign(oktatest.DemoClientID)
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"okta.users.read"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion}}
	var codes []int
	var last map[string]any
	for range 2 {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/oauth2/v1/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, obj, _ := do(t, srv, req)
		codes, last = append(codes, resp.StatusCode), obj
	}
	if codes[0] != 200 || codes[1] != 401 || last["error_description"] != "The client_assertion token has already been used." {
		t.Errorf("replay: %v %v", codes, last)
	}
}

func TestScopesAndRolesBothDecide(t *testing.T) {
	srv, emu, a := start(t, oktatest.Options{})
	tok, err := client(srv, a, "okta.users.read").ClientCredentialsToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	resp, obj, _ := get(t, srv, "/api/v1/groups", "Bearer "+tok.AccessToken)
	if resp.StatusCode != 403 || obj["errorCode"] != "E0000006" || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="insufficient_scope"`) {
		t.Errorf("a scope not in the token: %d %v %q", resp.StatusCode, obj, resp.Header.Get("WWW-Authenticate"))
	}
	if resp, _, _ := get(t, srv, "/api/v1/users", "Bearer "+tok.AccessToken); resp.StatusCode != 200 {
		t.Errorf("users with the scope and a role: %d", resp.StatusCode)
	}
	_ = emu.Update(oktatest.DemoDomain, func(o *oktatest.Org) { delete(o.Assignments, oktatest.DemoClientID) })
	resp, obj, _ = get(t, srv, "/api/v1/users", "Bearer "+tok.AccessToken)
	if resp.StatusCode != 403 || obj["errorCode"] != "E0000006" || resp.Header.Get("WWW-Authenticate") != "" {
		t.Errorf("the scope without a role: %d %v", resp.StatusCode, obj)
	}
	if resp, obj, _ := get(t, srv, "/api/v1/users", "Bearer not-a-token"); resp.StatusCode != 401 || obj["errorCode"] != "E0000011" {
		t.Errorf("unknown bearer: %d %v", resp.StatusCode, obj)
	}
}

func TestDPoP(t *testing.T) {
	srv, _, a := start(t, oktatest.Options{DPoPNonce: true}, func(o *oktatest.Org) { o.ServiceApps[0].DPoP = true })
	ctx := context.Background()
	_, err := client(srv, a, "okta.users.read").ClientCredentialsToken(ctx)
	if te := tokenErr(err); te == nil || te.Status != 400 || te.Code != "invalid_dpop_proof" || te.Description != "The DPoP proof JWT header is missing." {
		t.Fatalf("without a proof: %v", err)
	}
	d, err := flows.GenerateDPoP(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := client(srv, a, "okta.users.read")
	c.DPoP = d
	tok, err := c.ClientCredentialsToken(ctx) // the nonce handshake happens inside
	if err != nil || tok.TokenType != "DPoP" {
		t.Fatalf("with a proof: %+v, %v", tok, err)
	}
	if resp, obj, _ := get(t, srv, "/api/v1/users", "Bearer "+tok.AccessToken); resp.StatusCode != 400 || !strings.Contains(obj["error_description"].(string), "must use the DPoP authentication scheme") {
		t.Errorf("a bound token as Bearer: %d %v", resp.StatusCode, obj)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/users", nil)
	if err := d.Authorizer(tok.AccessToken)(req); err != nil {
		t.Fatal(err)
	}
	if resp, _, _ := do(t, srv, req); resp.StatusCode != 200 {
		t.Errorf("a bound token with its proof: %d", resp.StatusCode)
	}
	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/api/v1/users", nil)
	other, _ := flows.GenerateDPoP(nil)
	_ = other.Authorizer(tok.AccessToken)(req)
	if resp, obj, _ := do(t, srv, req); resp.StatusCode != 400 || obj["error"] != "invalid_dpop_proof" {
		t.Errorf("a proof by another key: %d %v", resp.StatusCode, obj)
	}
}

// TestWritesNeedASuperAdministrator: the writes create makes are refused
// to anyone else, and validated.
func TestWritesNeedASuperAdministrator(t *testing.T) {
	const super = "00TestSuperToken000000000000000000000000001"
	srv, _, _ := start(t, oktatest.Options{}, func(o *oktatest.Org) {
		o.Tokens = append(o.Tokens, oktatest.APIToken{ID: "00T1super0000000001", Value: super, UserID: oktatest.DemoSuperID})
	})
	post := func(token, path, body string) (*http.Response, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "SSWS "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, obj, _ := do(t, srv, req)
		return resp, obj
	}
	role := `{"label":"r","description":"d","permissions":["okta.users.lifecycle.suspend"]}`
	if resp, obj := post(appToken, "/api/v1/iam/roles", role); resp.StatusCode != 403 || obj["errorCode"] != "E0000006" {
		t.Errorf("a read-only admin creates a role: %d %v", resp.StatusCode, obj)
	}
	if resp, _ := post(super, "/api/v1/iam/roles", role); resp.StatusCode != 200 {
		t.Errorf("a super admin creates a role: %d", resp.StatusCode)
	}
	if resp, obj := post(super, "/api/v1/iam/roles", role); resp.StatusCode != 400 || obj["errorCode"] != "E0000001" {
		t.Errorf("the same label again: %d %v", resp.StatusCode, obj)
	}
	if resp, obj := post(super, "/api/v1/apps", `{"name":"oidc_client","label":"x","signOnMode":"OPENID_CONNECT"}`); resp.StatusCode != 400 || obj["errorCode"] != "E0000001" {
		t.Errorf("an app that is no service app: %d %v", resp.StatusCode, obj)
	}
	if resp, obj := post(super, "/api/v1/apps/"+oktatest.DemoClientID+"/grants", `{"scopeId":"okta.users.read","issuer":"https://evil.example"}`); resp.StatusCode != 400 {
		t.Errorf("a grant for another issuer: %d %v", resp.StatusCode, obj)
	}
	req, _ := http.NewRequest(http.MethodDelete, srv.URL+"/api/v1/api-tokens/current", nil)
	req.Header.Set("Authorization", "SSWS "+super)
	if resp, _, _ := do(t, srv, req); resp.StatusCode != 204 {
		t.Errorf("revoke: %d", resp.StatusCode)
	}
	if resp, _, _ := get(t, srv, "/api/v1/users/me", "SSWS "+super); resp.StatusCode != 401 {
		t.Errorf("the revoked token still works: %d", resp.StatusCode)
	}
}

// TestKeyLifecycleAndRolePermissions: a key added to an app has an id by
// which it is deactivated and then deleted (an active key cannot be),
// and a custom role can be given a permission; all by a Super
// Administrator only.
func TestKeyLifecycleAndRolePermissions(t *testing.T) {
	const super = "00TestSuperToken000000000000000000000000001"
	srv, emu, _ := start(t, oktatest.Options{}, func(o *oktatest.Org) {
		o.Tokens = append(o.Tokens, oktatest.APIToken{ID: "00T1super0000000001", Value: super, UserID: oktatest.DemoSuperID})
	})
	send := func(token, method, path, body string) (*http.Response, map[string]any) {
		var r io.Reader
		if body != "" {
			r = strings.NewReader(body)
		}
		req, _ := http.NewRequest(method, srv.URL+path, r)
		req.Header.Set("Authorization", "SSWS "+token)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, obj, _ := do(t, srv, req)
		return resp, obj
	}
	key, err := flows.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	jwk, err := json.Marshal(jose.JSONWebKey{Key: key.Public(), Use: "sig", Algorithm: "RS256", KeyID: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	apps := "/api/v1/apps/" + oktatest.DemoClientID + "/credentials/jwks"
	resp, obj := send(super, http.MethodPost, apps, string(jwk))
	id, _ := obj["id"].(string)
	if resp.StatusCode != 201 || id != oktatest.KeyID(key.Public()) || obj["status"] != "ACTIVE" {
		t.Fatalf("add key: %d %v", resp.StatusCode, obj)
	}
	if resp, obj := send(super, http.MethodDelete, apps+"/"+id, ""); resp.StatusCode != 400 || obj["errorCode"] != "E0000001" {
		t.Errorf("delete an active key: %d %v", resp.StatusCode, obj)
	}
	if resp, obj := send(appToken, http.MethodPost, apps+"/"+id+"/lifecycle/deactivate", ""); resp.StatusCode != 403 || obj["errorCode"] != "E0000006" {
		t.Errorf("a read-only admin deactivates a key: %d %v", resp.StatusCode, obj)
	}
	if resp, obj := send(super, http.MethodPost, apps+"/"+id+"/lifecycle/deactivate", ""); resp.StatusCode != 200 || obj["status"] != "INACTIVE" {
		t.Errorf("deactivate: %d %v", resp.StatusCode, obj)
	}
	if resp, _ := send(super, http.MethodPost, apps+"/pksnosuchkey000000000/lifecycle/deactivate", ""); resp.StatusCode != 404 {
		t.Errorf("deactivate an unknown key: %d", resp.StatusCode)
	}
	if resp, _ := send(super, http.MethodDelete, apps+"/"+id, ""); resp.StatusCode != 204 {
		t.Errorf("delete the inactive key: %d", resp.StatusCode)
	}
	if resp, _ := send(super, http.MethodDelete, apps+"/"+id, ""); resp.StatusCode != 404 {
		t.Errorf("delete it again: %d", resp.StatusCode)
	}
	o, _ := emu.Org(oktatest.DemoDomain)
	if len(o.ServiceApps[0].PublicKeys) != 1 || len(o.ServiceApps[0].Inactive) != 0 {
		t.Errorf("keys after: %d active, %d inactive; want the demo key alone", len(o.ServiceApps[0].PublicKeys), len(o.ServiceApps[0].Inactive))
	}

	perm := "/api/v1/iam/roles/" + oktatest.DemoRoleID + "/permissions/okta.users.lifecycle.unlock"
	if resp, _ := send(appToken, http.MethodPost, perm, ""); resp.StatusCode != 403 {
		t.Errorf("a read-only admin adds a permission: %d", resp.StatusCode)
	}
	if resp, _ := send(super, http.MethodPost, perm, ""); resp.StatusCode != 204 {
		t.Errorf("add a permission: %d", resp.StatusCode)
	}
	if resp, obj := send(super, http.MethodPost, "/api/v1/iam/roles/"+oktatest.DemoRoleID+"/permissions/not-a-permission", ""); resp.StatusCode != 400 {
		t.Errorf("add a malformed permission: %d %v", resp.StatusCode, obj)
	}
	if resp, _ := send(super, http.MethodPost, "/api/v1/iam/roles/cr0nosuchrole00000/permissions/okta.users.read", ""); resp.StatusCode != 404 {
		t.Errorf("a permission for an unknown role: %d", resp.StatusCode)
	}
	o, _ = emu.Org(oktatest.DemoDomain)
	if i := slices.IndexFunc(o.CustomRoles, func(c oktatest.CustomRole) bool { return c.ID == oktatest.DemoRoleID }); i < 0 || !slices.Contains(o.CustomRoles[i].Permissions, "okta.users.lifecycle.unlock") {
		t.Errorf("custom roles after: %+v", o.CustomRoles)
	}
}
