package salesforce_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/providers/salesforce"
)

// TestTokenIsAcceptedByTheRESTAPI: the token handed over reads the
// Limits resource at the instance its extras name.
func TestTokenIsAcceptedByTheRESTAPI(t *testing.T) {
	f := start(t, nil)
	conn, secret := connect(t, f, f.inputs(nil))
	tok, err := f.p.Token(context.Background(), conn, providers.Credential{Secret: secret, Save: func(context.Context, flows.Secret) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	inst, _ := tok.Extra("instance_url").(string)
	req, _ := http.NewRequest("GET", inst+"/services/data/v65.0/limits", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := f.sb.HTTPClient().Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET limits with the token: %v %v", resp, err)
	}
	resp.Body.Close()
}

func TestExportFields(t *testing.T) {
	f := start(t, nil)
	conn, secret := connect(t, f, f.inputs(nil))
	fields, err := f.p.Export(conn, secret)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, fl := range fields {
		keys = append(keys, fl.Key)
		if fl.Key == salesforce.InputPrivateKey && (!fl.Secret || fl.Value != f.key) {
			t.Errorf("private key field %+v", fl.Label)
		}
	}
	if got := strings.Join(keys, ","); got != "login_host,client_id,instance_url,username,private_key" {
		t.Errorf("fields %s", got)
	}
	if _, err := f.p.Export(conn, flows.NewSecret(map[string]string{salesforce.InputPrivateKey: "x"})); err == nil {
		t.Error("a damaged key was exported")
	}
	conn.Method = salesforce.MethodWeb
	if _, err := f.p.Export(conn, flows.NewSecret(nil)); err == nil {
		t.Error("a web connection without a refresh token was exported")
	}
}
