package flows_test

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/flows/oauthtest"
)

func ExampleDiscover() {
	srv := oauthtest.Start(oauthtest.Options{})
	defer srv.Close()

	ep, err := flows.Discover(context.Background(), nil, srv.URL)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.TrimPrefix(ep.TokenURL, srv.URL))
	fmt.Println(strings.TrimPrefix(ep.DeviceAuthorizationURL, srv.URL))
	// Output:
	// /token
	// /device_authorization
}

// The device flow on a fake clock: the example never sleeps.
func ExampleClient_DeviceSignIn() {
	clock := oauthtest.NewClock(time.Now())
	srv := oauthtest.Start(oauthtest.Options{Clients: []oauthtest.Client{{ID: "tether-cli"}}, Now: clock.Now})
	defer srv.Close()
	ctx := context.Background()
	ep, err := flows.Discover(ctx, nil, srv.URL)
	if err != nil {
		log.Fatal(err)
	}
	c := flows.Client{
		Endpoints: ep,
		ClientID:  "tether-cli",
		Scopes:    []string{"openid", "offline_access"},
		Clock:     flows.Clock{Now: clock.Now, Sleep: clock.Sleep},
	}
	events := func(e flows.Event) {
		switch e := e.(type) {
		case flows.DeviceCode:
			fmt.Printf("open %s and enter the code\n", strings.TrimPrefix(e.VerificationURI, srv.URL))
			_ = srv.ApproveDevice(e.UserCode) // the admin, on their phone
		case flows.Waiting:
			fmt.Println("waiting", e.Interval)
		case flows.Approved:
			fmt.Println("approved")
		}
	}
	tok, err := c.DeviceSignIn(ctx, flows.Interaction{Events: events})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.TokenType, tok.RefreshToken != "")
	// Output:
	// open /device and enter the code
	// waiting 6s
	// approved
	// Bearer true
}

// The browser sign-in, with oauthtest.Browser clicking Approve on the
// consent page and following the redirect to the loopback server.
func ExampleClient_BrowserSignIn() {
	srv := oauthtest.Start(oauthtest.Options{Clients: []oauthtest.Client{
		{ID: "tether-cli", RedirectURIs: []string{"http://127.0.0.1/callback"}},
	}})
	defer srv.Close()
	ctx := context.Background()
	ep, err := flows.Discover(ctx, nil, srv.URL)
	if err != nil {
		log.Fatal(err)
	}
	c := flows.Client{
		Endpoints: ep,
		ClientID:  "tether-cli",
		Scopes:    []string{"openid"},
		Loopback:  flows.Loopback{Path: "/callback"},
	}
	events := func(e flows.Event) {
		switch e.(type) {
		case flows.BrowserOpened:
			fmt.Println("browser opened")
		case flows.RedirectReceived:
			fmt.Println("redirect received")
		}
	}
	tok, err := c.BrowserSignIn(ctx, flows.Interaction{Events: events, Browser: &oauthtest.Browser{}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.Extra("id_token") != nil)
	// Output:
	// browser opened
	// redirect received
	// true
}

// A refresh token revoked on the server asks the admin to sign in again.
func ExampleClient_TokenSource() {
	clock := oauthtest.NewClock(time.Now())
	srv := oauthtest.Start(oauthtest.Options{Clients: []oauthtest.Client{{ID: "tether-cli"}}, Now: clock.Now})
	defer srv.Close()
	ctx := context.Background()
	ep, _ := flows.Discover(ctx, nil, srv.URL)
	c := flows.Client{Endpoints: ep, ClientID: "tether-cli", Clock: flows.Clock{Now: clock.Now, Sleep: clock.Sleep}}
	tok, err := c.DeviceSignIn(ctx, flows.Interaction{Events: func(e flows.Event) {
		if d, ok := e.(flows.DeviceCode); ok {
			_ = srv.ApproveDevice(d.UserCode)
		}
	}})
	if err != nil {
		log.Fatal(err)
	}

	dir, _ := os.MkdirTemp("", "tether-example")
	defer os.RemoveAll(dir)
	store, err := flows.OpenFileStoreWithIdentity(filepath.Join(dir, "credentials"), filepath.Join(dir, "identity.txt"))
	if err != nil {
		log.Fatal(err)
	}
	key := flows.Key{Provider: "generic", Name: "default"}
	if err := flows.SaveToken(ctx, store, key, tok); err != nil {
		log.Fatal(err)
	}

	srv.Revoke(tok.RefreshToken)
	tok.Expiry = time.Now().Add(-time.Minute)
	_, err = c.TokenSource(ctx, store, key, tok).Token()
	fmt.Println(errors.Is(err, flows.ErrSignInAgain))
	fmt.Println(err)
	// Output:
	// true
	// the sign-in stored for generic/default is no longer valid (the refresh token is invalid, expired or revoked): sign in again
}

func ExampleAdminConsent_Run() {
	srv := oauthtest.Start(oauthtest.Options{Clients: []oauthtest.Client{
		{ID: "00001111-aaaa-2222-bbbb-3333cccc4444", RedirectURIs: []string{"http://localhost"}},
	}})
	defer srv.Close()
	a := flows.AdminConsent{
		BaseURL:  srv.URL, // https://login.microsoftonline.com by default
		Tenant:   "organizations",
		ClientID: "00001111-aaaa-2222-bbbb-3333cccc4444",
		Scopes:   []string{"https://graph.microsoft.com/.default"},
	}
	res, err := a.Run(context.Background(), flows.Interaction{Browser: &oauthtest.Browser{}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Tenant, res.Scope)
	// Output:
	// 7c1e2a3b-0000-4d5e-8f90-a1b2c3d4e5f6 [https://graph.microsoft.com/.default]
}

// A key for private_key_jwt: register the public JWK (or the certificate)
// with the provider, keep the PEM in the store, sign in with it.
func ExampleGenerateKey() {
	key, err := flows.GenerateKey()
	if err != nil {
		log.Fatal(err)
	}
	jwk, err := flows.PublicJWK(key)
	if err != nil {
		log.Fatal(err)
	}
	pemKey, _ := flows.PrivateKeyPEM(key)
	secret := flows.NewSecret(map[string]string{"private_key": pemKey})
	fmt.Println(jwk.Algorithm, len(jwk.KeyID), secret)

	srv := oauthtest.Start(oauthtest.Options{Clients: []oauthtest.Client{
		{ID: "tether-m2m", PublicKeys: []crypto.PublicKey{jwk.Key}},
	}})
	defer srv.Close()
	signer, _ := flows.ParsePrivateKeyPEM(secret.Get("private_key"))
	c := flows.Client{
		Endpoints: flows.Endpoints{TokenURL: srv.URL + "/token"},
		ClientID:  "tether-m2m",
		Assertion: &flows.Assertion{Key: signer, KeyID: jwk.KeyID},
	}
	tok, err := c.ClientCredentialsToken(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.TokenType)
	// Output:
	// RS256 43 [redacted]
	// Bearer
}

func ExampleSystemBrowser() {
	env := map[string]string{"SSH_CONNECTION": "192.0.2.1 50000 192.0.2.2 22", "DISPLAY": ":0"}
	op := flows.SystemBrowser(func(k string) string { return env[k] }, false)
	fmt.Println(op.Open("https://login.example.com/device"))
	// Output:
	// no browser can be opened here: this is an SSH session, so a browser would open on the remote machine instead of yours
}

// A Google service account with domain-wide delegation gets a token for
// an admin of the domain: no client authentication, the scopes in the
// assertion (RFC 7523 §2.1).
func ExampleClient_JWTBearerToken() {
	key, err := flows.GenerateKey() // in real use: the private_key of the service account's JSON key
	if err != nil {
		log.Fatal(err)
	}
	const (
		account = "wizard@my-project.iam.gserviceaccount.com"
		scope   = "https://www.googleapis.com/auth/admin.directory.user.readonly"
	)
	srv := oauthtest.Start(oauthtest.Options{BearerIssuers: []oauthtest.BearerIssuer{{
		ID: account, Keys: map[string]crypto.PublicKey{"key-1": key.Public()},
		Subjects: []string{"admin@example.com"}, Scopes: []string{scope},
	}}})
	defer srv.Close()

	c := flows.Client{Endpoints: flows.Endpoints{TokenURL: srv.URL + "/token"}} // https://oauth2.googleapis.com/token
	tok, err := c.JWTBearerToken(context.Background(), flows.BearerAssertion{
		Key:     key,
		KeyID:   "key-1", // the JSON key's private_key_id
		Issuer:  account,
		Subject: "admin@example.com",
		Scopes:  []string{scope},
	})
	if err != nil {
		log.Fatal(err)
	}
	g, _ := srv.Lookup(tok.AccessToken)
	fmt.Println(tok.TokenType, g.Subject, g.Scopes)

	// A scope the domain did not delegate refuses the whole request.
	_, err = c.JWTBearerToken(context.Background(), flows.BearerAssertion{
		Key: key, KeyID: "key-1", Issuer: account, Subject: "admin@example.com",
		Scopes: []string{scope, "https://www.googleapis.com/auth/admin.directory.group"},
	})
	var te *flows.TokenError
	fmt.Println(errors.As(err, &te), te.Status, te.Code)
	// Output:
	// Bearer admin@example.com [https://www.googleapis.com/auth/admin.directory.user.readonly]
	// true 401 unauthorized_client
}

// Okta with DPoP: the token request carries a proof (and meets the
// server's nonce demand by itself), the token is bound to the key, and
// each API request gets a fresh proof; Observe asks for the retry a new
// nonce needs.
func ExampleDPoP() {
	key, err := flows.GenerateKey() // the service app's private_key_jwt key
	if err != nil {
		log.Fatal(err)
	}
	srv := oauthtest.Start(oauthtest.Options{DPoPNonce: true, Clients: []oauthtest.Client{
		{ID: "0oa-service-app", PublicKeys: []crypto.PublicKey{key.Public()}, DPoP: true},
	}})
	defer srv.Close()
	d, err := flows.GenerateDPoP(nil) // a second key, for the proofs
	if err != nil {
		log.Fatal(err)
	}
	c := flows.Client{
		Endpoints: flows.Endpoints{TokenURL: srv.URL + "/token"}, // https://{org}.okta.com/oauth2/v1/token
		ClientID:  "0oa-service-app",
		Assertion: &flows.Assertion{Key: key},
		DPoP:      d,
	}
	tok, err := c.ClientCredentialsToken(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	g, _ := srv.Lookup(tok.AccessToken)
	fmt.Println(tok.TokenType, g.JKT == d.Thumbprint())

	srv.RotateDPoPNonce()
	srv.RotateDPoPNonce() // the nonce tether knows is stale now
	authorize := d.Authorizer(tok.AccessToken)
	for attempt := 1; ; attempt++ {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/userinfo", nil)
		if err := authorize(req); err != nil {
			log.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		fmt.Println(attempt, resp.StatusCode)
		if !d.Observe(resp) {
			break
		}
	}
	// Output:
	// DPoP true
	// 1 401
	// 2 200
}
