package google_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/providers/google/googletest"
)

func credential(s flows.Secret) providers.Credential {
	return providers.Credential{Secret: s, Save: func(context.Context, flows.Secret) error { return nil }}
}

func TestTokenAndExportServiceAccount(t *testing.T) {
	f := start(t, providers.Env{})
	conn, secret := setUp(t, f)
	tok, err := f.p.Token(context.Background(), conn, credential(secret))
	if err != nil {
		t.Fatalf("Token() = %v", err)
	}
	if got := strings.Fields(tok.Extra("scope").(string)); len(got) != 8 || tok.AccessToken == "" {
		t.Errorf("Token() scope = %q", got)
	}
	fields, err := f.p.Export(conn, secret)
	if err != nil || len(fields) != 3 || fields[1].Value != googletest.DemoClientID || !fields[2].Secret || !strings.Contains(fields[2].Value, "PRIVATE KEY") {
		t.Errorf("Export() = %d fields, %v", len(fields), err)
	}
	f.emu().SetDelegation(googletest.DemoClientID, allScopes(t)[1:])
	var se *providers.SignInError
	if _, err := f.p.Token(context.Background(), conn, credential(secret)); !errors.As(err, &se) || !strings.Contains(se.Fix, "tether verify google/") {
		t.Errorf("Token() with a scope undelegated = %v", err)
	}
}

func TestTokenAndExportBrowser(t *testing.T) {
	f := start(t, providers.Env{}, withSecret)
	conn, secret, _, _, err := signIn(t, f, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := f.p.Token(context.Background(), conn, credential(secret))
	if err != nil || !strings.Contains(tok.Extra("scope").(string), "admin.directory.user.readonly") {
		t.Fatalf("Token() = %v", err)
	}
	fields, err := f.p.Export(conn, secret)
	if err != nil || len(fields) != 4 || fields[2].Value != secretCanary || !fields[3].Secret || fields[3].Key != flows.SecretRefreshToken {
		t.Errorf("Export() = %d fields, %v", len(fields), err)
	}
}
