package okta_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/providers/okta"
	"github.com/tetherdev/tether/providers/okta/oktatest"
)

// TestTokenIsAcceptedByTheAPI: the service app's token tether hands over
// reads the org; an SSWS connection and a DPoP app have none to hand over.
func TestTokenIsAcceptedByTheAPI(t *testing.T) {
	f := start(t, &oktatest.Options{Orgs: []oktatest.Org{appOrg(t)}}, providers.Env{})
	conn, secret, err := connect(t, f, method(t, f.p, okta.MethodServiceApp), appInputs(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	conn.Capabilities = []string{"collect"}
	tok, err := f.p.Token(context.Background(), conn, providers.Credential{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := tok.Extra("scope").(string); !strings.Contains(s, "okta.logs.read") || strings.Contains(s, "okta.users.manage") {
		t.Errorf("scope %q: want the collect scopes only", s)
	}
	req, _ := http.NewRequest(http.MethodGet, "https://"+oktatest.DemoDomain+"/api/v1/users?limit=1", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := f.sb.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /api/v1/users with the token = %d", resp.StatusCode)
	}

	conn.Settings["dpop"] = "required"
	var ue *providers.UsageError
	if _, err := f.p.Token(context.Background(), conn, providers.Credential{Secret: secret}); !errors.As(err, &ue) || !strings.Contains(err.Error(), "DPoP") {
		t.Errorf("Token() of a DPoP app = %v", err)
	}
	sconn, ssecret, err := connect(t, f, method(t, f.p, okta.MethodAPIToken), tokenInputs(oktatest.DemoDomain, canary), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.p.Token(context.Background(), sconn, providers.Credential{Secret: ssecret}); !errors.As(err, &ue) || strings.Contains(err.Error(), canary) {
		t.Errorf("Token() of an SSWS connection = %v", err)
	}
}

func TestExport(t *testing.T) {
	f := start(t, &oktatest.Options{Orgs: []oktatest.Org{appOrg(t)}}, providers.Env{})
	sconn, ssecret, err := connect(t, f, method(t, f.p, okta.MethodAPIToken), tokenInputs(oktatest.DemoDomain, canary), nil)
	if err != nil {
		t.Fatal(err)
	}
	fields, err := f.p.Export(sconn, ssecret)
	if err != nil || len(fields) != 2 || fields[0].Value != "https://"+oktatest.DemoDomain || fields[1].Value != canary || !fields[1].Secret {
		t.Errorf("Export(api-token) = %+v, %v", fields, err)
	}
	aconn, asecret, err := connect(t, f, method(t, f.p, okta.MethodServiceApp), appInputs(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	fields, err = f.p.Export(aconn, asecret)
	if err != nil || len(fields) != 4 || fields[1].Value != oktatest.DemoClientID || !fields[2].Secret || fields[3].Value == "" {
		t.Errorf("Export(service-app) = %+v, %v", fields, err)
	}
}
