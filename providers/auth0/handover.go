package auth0

import (
	"context"
	"errors"
	"strings"

	"golang.org/x/oauth2"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

var (
	_ providers.Tokener  = (*Provider)(nil)
	_ providers.Exporter = (*Provider)(nil)
)

// Token mints a Management API token with the stored credential, retried
// under the prober's policy as verification's is. When the token response
// leaves the scopes out, the token's own scope claim fills them in.
func (p *Provider) Token(ctx context.Context, conn providers.Connection, cred providers.Credential) (*oauth2.Token, error) {
	t, err := tenantOf(conn.Settings)
	if err != nil {
		return nil, err
	}
	pr := &providers.Prober{Provider: "Auth0", Env: p.env, ResetHeader: "X-RateLimit-Reset", DecodeError: decodeError}
	var tok *oauth2.Token
	err = pr.Retry(ctx, "the token request", func(ctx context.Context) (err error) {
		tok, err = p.mint(ctx, t, conn.Method, conn.Settings, cred.Secret)
		return err
	})
	if isNoGrant(err) {
		return nil, &providers.SignInError{Reason: "Auth0 gives application " + conn.Settings[InputClientID] + " no Management API token: it is not authorized for the Management API",
			Fix: "authorize it under APIs → Auth0 Management API → Machine To Machine Applications (" + t.dashboard("apis/management/authorized-clients") + "), then tether verify " + conn.Key().String(), Err: err}
	}
	if err != nil {
		return nil, p.signInError(t, conn.Settings, err)
	}
	if _, ok := tok.Extra("scope").(string); !ok {
		if scopes, _, known := grantedScopes(tok); known {
			tok = tok.WithExtra(map[string]any{"scope": strings.Join(scopes, " ")})
		}
	}
	return tok, nil
}

// Export hands over what the platform's Auth0 form asks for: the tenant's
// canonical domain, the custom domain when API calls go through one, the
// client ID, and the client secret or the private key with its signing
// algorithm.
func (p *Provider) Export(conn providers.Connection, secret flows.Secret) ([]providers.Field, error) {
	t, err := tenantOf(conn.Settings)
	if err != nil {
		return nil, err
	}
	fields := []providers.Field{{Key: InputDomain, Label: "Domain", Value: t.domain, Env: "DOMAIN"}}
	if t.base != t.domain {
		fields = append(fields, providers.Field{Key: InputCustomDomain, Label: "Custom domain", Value: t.base, Env: "CUSTOM_DOMAIN"})
	}
	fields = append(fields, providers.Field{Key: InputClientID, Label: "Client ID", Value: strings.TrimSpace(conn.Settings[InputClientID]), Env: "CLIENT_ID"})
	switch conn.Method {
	case MethodClientSecret:
		s := strings.TrimSpace(secret.Get(InputClientSecret))
		if s == "" {
			return nil, errors.New("the stored credential has no client secret; run tether setup auth0 again")
		}
		fields = append(fields, providers.Field{Key: InputClientSecret, Label: "Client Secret", Value: s, Secret: true, Env: "CLIENT_SECRET"})
	case MethodPrivateKeyJWT:
		key := secret.Get(InputPrivateKey)
		if _, err := flows.ParsePrivateKeyPEM(key); err != nil {
			return nil, errors.New("the stored private key does not parse; run tether setup auth0 again")
		}
		alg := strings.ToUpper(conn.Settings[InputSigningAlg])
		if alg == "" {
			alg = "RS256"
		}
		fields = append(fields,
			providers.Field{Key: InputPrivateKey, Label: "Private Key (PEM)", Value: key, Secret: true, Env: "PRIVATE_KEY"},
			providers.Field{Key: InputSigningAlg, Label: "Signing Algorithm", Value: alg, Env: "SIGNING_ALG"})
	default:
		return nil, errors.New("unknown method " + conn.Method)
	}
	return fields, nil
}
