package auth0_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/providers/auth0"
	"github.com/tetherdev/tether/providers/auth0/auth0test"
)

// TestTokenIsAcceptedByTheManagementAPI: the token tether hands over is
// one the Management API takes, with the scopes it lists.
func TestTokenIsAcceptedByTheManagementAPI(t *testing.T) {
	f := start(t, auth0test.Options{Tenants: []auth0test.Tenant{tenant(collect)}}, providers.Env{})
	m := method(t, f.p, auth0.MethodClientSecret)
	conn, secret, err := f.p.Connect(context.Background(), m, secretInputs(nil), flows.Interaction{})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := f.p.Token(context.Background(), conn, providers.Credential{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	scope, _ := tok.Extra("scope").(string)
	if got := slices.Sorted(slices.Values(strings.Fields(scope))); !slices.Equal(got, slices.Sorted(slices.Values(collect))) {
		t.Errorf("token scopes = %q, want %q", got, collect)
	}
	for _, tt := range []struct {
		name   string
		bearer string
		want   int
	}{
		{"the token", tok.AccessToken, http.StatusOK},
		{"the token altered", tok.AccessToken[:len(tok.AccessToken)-4] + "AAAA", http.StatusUnauthorized},
	} {
		req, _ := http.NewRequest(http.MethodGet, "https://"+auth0test.DemoDomain+"/api/v2/users?per_page=1", nil)
		req.Header.Set("Authorization", "Bearer "+tt.bearer)
		resp, err := f.sb.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("GET /api/v2/users with %s = %d, want %d", tt.name, resp.StatusCode, tt.want)
		}
	}
}

func TestTokenRefusals(t *testing.T) {
	tests := []struct {
		name    string
		tenant  auth0test.Tenant
		wantErr string
		wantFix string
	}{
		{"not authorized for the Management API", tenant(collect, func(c *auth0test.Client) { c.Grants = nil }),
			"not authorized for the Management API", "Machine To Machine Applications"},
		{"secret rotated in the console", tenant(collect, func(c *auth0test.Client) { c.Secret = strings.Repeat("z", 64) }),
			"rejected the client credentials", "check the client ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := start(t, auth0test.Options{Tenants: []auth0test.Tenant{tt.tenant}}, providers.Env{})
			conn := providers.Connection{Provider: auth0.ID, Name: "default", Method: auth0.MethodClientSecret,
				Settings: map[string]string{"domain": auth0test.DemoDomain, "client_id": auth0test.DemoClientID}}
			_, err := f.p.Token(context.Background(), conn, providers.Credential{Secret: flows.NewSecret(map[string]string{"client_secret": canary})})
			var si *providers.SignInError
			if !errors.As(err, &si) || !strings.Contains(si.Reason, tt.wantErr) || !strings.Contains(si.Fix, tt.wantFix) {
				t.Fatalf("Token() = %v, want a SignInError saying %q with a fix saying %q", err, tt.wantErr, tt.wantFix)
			}
			if strings.Contains(err.Error(), "CANARY") {
				t.Errorf("the error reveals the secret: %v", err)
			}
		})
	}
}

func TestExportFields(t *testing.T) {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	pemKey := pkcs8(t, key)
	type field struct {
		key, value, env string
		secret          bool
	}
	base := map[string]string{"domain": auth0test.DemoDomain, "client_id": auth0test.DemoClientID}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name     string
		method   string
		settings map[string]string
		secret   map[string]string
		want     []field
	}{
		{"client secret", auth0.MethodClientSecret, base, map[string]string{"client_secret": canary}, []field{
			{"domain", auth0test.DemoDomain, "DOMAIN", false},
			{"client_id", auth0test.DemoClientID, "CLIENT_ID", false},
			{"client_secret", canary, "CLIENT_SECRET", true},
		}},
		{"through a custom domain", auth0.MethodClientSecret, with("custom_domain", "login.acme.com"), map[string]string{"client_secret": canary}, []field{
			{"domain", auth0test.DemoDomain, "DOMAIN", false},
			{"custom_domain", "login.acme.com", "CUSTOM_DOMAIN", false},
			{"client_id", auth0test.DemoClientID, "CLIENT_ID", false},
			{"client_secret", canary, "CLIENT_SECRET", true},
		}},
		{"private key, default algorithm", auth0.MethodPrivateKeyJWT, base, map[string]string{"private_key": pemKey}, []field{
			{"domain", auth0test.DemoDomain, "DOMAIN", false},
			{"client_id", auth0test.DemoClientID, "CLIENT_ID", false},
			{"private_key", pemKey, "PRIVATE_KEY", true},
			{"signing_alg", "RS256", "SIGNING_ALG", false},
		}},
		{"private key, PS256", auth0.MethodPrivateKeyJWT, with("signing_alg", "PS256"), map[string]string{"private_key": pemKey}, []field{
			{"domain", auth0test.DemoDomain, "DOMAIN", false},
			{"client_id", auth0test.DemoClientID, "CLIENT_ID", false},
			{"private_key", pemKey, "PRIVATE_KEY", true},
			{"signing_alg", "PS256", "SIGNING_ALG", false},
		}},
	}
	f := start(t, auth0test.Options{Tenants: []auth0test.Tenant{tenant(collect)}}, providers.Env{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn := providers.Connection{Provider: auth0.ID, Method: tt.method, Settings: tt.settings}
			fields, err := f.p.Export(conn, flows.NewSecret(tt.secret))
			if err != nil {
				t.Fatal(err)
			}
			var got []field
			for _, fl := range fields {
				if fl.Label == "" {
					t.Errorf("field %s has no label", fl.Key)
				}
				got = append(got, field{fl.Key, fl.Value, fl.Env, fl.Secret})
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Export(%s) =\n%v\nwant\n%v", tt.name, got, tt.want)
			}
		})
	}
}

// TestExportDamagedCredential: a stored credential without its secret is
// an error that says what to do, and quotes nothing.
func TestExportDamagedCredential(t *testing.T) {
	f := start(t, auth0test.Options{Tenants: []auth0test.Tenant{tenant(collect)}}, providers.Env{})
	settings := map[string]string{"domain": auth0test.DemoDomain, "client_id": auth0test.DemoClientID}
	for _, tt := range []struct {
		method string
		secret map[string]string
	}{
		{auth0.MethodClientSecret, map[string]string{"private_key": canary}},
		{auth0.MethodPrivateKeyJWT, map[string]string{"private_key": "-----BEGIN PRIVATE KEY-----\n" + canary + "\n-----END PRIVATE KEY-----\n"}},
	} {
		_, err := f.p.Export(providers.Connection{Provider: auth0.ID, Method: tt.method, Settings: settings}, flows.NewSecret(tt.secret))
		if err == nil || !strings.Contains(err.Error(), "run tether setup auth0 again") || strings.Contains(err.Error(), "CANARY") {
			t.Errorf("Export(%s) of a damaged credential = %v", tt.method, err)
		}
	}
}
