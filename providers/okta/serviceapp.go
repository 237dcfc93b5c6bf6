package okta

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

// settingDPoP records that the app's token endpoint asked for DPoP, so
// that later sign-ins send a proof at once.
const settingDPoP = "dpop"

// serviceScopes are the okta.* scopes a service app needs: each read
// area's, and for remediation okta.users.manage (the lifecycle calls)
// and okta.roles.read (reading the app's own roles).
func serviceScopes(remediating bool) []string {
	var out []string
	for _, a := range areas {
		if !slices.Contains(out, a.scope) {
			out = append(out, a.scope)
		}
	}
	if remediating {
		out = append(out, scopeManage, scopeRolesRead)
	}
	return out
}

// serviceClient is the app's client for the org authorization server:
// client credentials with a private_key_jwt assertion whose aud is the
// token endpoint, and whose kid is the one given or the key's RFC 7638
// thumbprint (the kid of the JWK tether shows).
func (p *Provider) serviceClient(o Org, settings map[string]string, secret flows.Secret, scopes []string, dpop *flows.DPoP) (flows.Client, error) {
	key, err := flows.ParsePrivateKeyPEM(secret.Get(InputPrivateKey))
	if err != nil {
		return flows.Client{}, err
	}
	kid := strings.TrimSpace(settings[InputKeyID])
	if kid == "" {
		jwk, err := flows.PublicJWK(key)
		if err != nil {
			return flows.Client{}, err
		}
		kid = jwk.KeyID
	}
	return flows.Client{
		Endpoints: flows.Endpoints{TokenURL: o.URL("/oauth2/v1/token")},
		ClientID:  strings.TrimSpace(settings[InputClientID]),
		Scopes:    scopes,
		Assertion: &flows.Assertion{Key: key, KeyID: kid, Now: p.env.Clock.Time},
		DPoP:      dpop, HTTPClient: p.env.HTTP,
	}, nil
}

// appToken is a service app's token and the DPoP key it is bound to.
type appToken struct {
	tok  *oauth2.Token
	dpop *flows.DPoP
}

// authorize is the prober hook for the token: DPoP with a fresh proof
// when the token is bound, Bearer otherwise.
func (t appToken) authorize() (func(*http.Request) error, func(*http.Response) bool) {
	if t.dpop != nil && strings.EqualFold(t.tok.TokenType, "DPoP") {
		return t.dpop.Authorizer(t.tok.AccessToken), t.dpop.Observe
	}
	return func(r *http.Request) error { r.Header.Set("Authorization", "Bearer "+t.tok.AccessToken); return nil }, nil
}

// mint requests a token for scopes, retried under the prober's policy.
// The first request goes without DPoP unless the app is known to need
// it; an invalid_dpop_proof answer makes it try again with a proof, as
// Okta's SDK does (the flows client meets use_dpop_nonce itself).
func (p *Provider) mint(ctx context.Context, o Org, settings map[string]string, secret flows.Secret, scopes []string, dpop *flows.DPoP) (appToken, error) {
	pr := p.prober(nil, nil)
	for {
		c, err := p.serviceClient(o, settings, secret, scopes, dpop)
		if err != nil {
			return appToken{}, err
		}
		var tok *oauth2.Token
		err = pr.Retry(ctx, "the token request", func(ctx context.Context) (err error) {
			tok, err = c.ClientCredentialsToken(ctx)
			return err
		})
		var te *flows.TokenError
		if dpop == nil && errors.As(err, &te) && te.Code == "invalid_dpop_proof" {
			if dpop, err = flows.GenerateDPoP(p.env.Clock.Time); err != nil {
				return appToken{}, err
			}
			continue
		}
		if err != nil {
			return appToken{}, err
		}
		return appToken{tok: tok, dpop: dpop}, nil
	}
}

func isInvalidScope(err error) bool {
	var te *flows.TokenError
	return errors.As(err, &te) && te.Code == "invalid_scope"
}

// grantedToken mints a token for as many of want as the app is granted.
// Okta refuses a request with any scope not granted (invalid_scope), so
// on that answer each scope is asked for alone, concurrently, and the
// token is minted for those granted. A nil token means none is.
func (p *Provider) grantedToken(ctx context.Context, o Org, settings map[string]string, secret flows.Secret, want []string, dpop *flows.DPoP) (appToken, []string, error) {
	t, err := p.mint(ctx, o, settings, secret, want, dpop)
	if err == nil {
		return t, tokenScopes(t.tok, want), nil
	}
	if !isInvalidScope(err) {
		return appToken{}, nil, err
	}
	ok := make([]bool, len(want))
	errs := make([]error, len(want))
	var wg sync.WaitGroup
	for i, sc := range want {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = p.mint(ctx, o, settings, secret, []string{sc}, dpop)
			ok[i] = errs[i] == nil
		}()
	}
	wg.Wait()
	var granted []string
	for i, sc := range want {
		switch {
		case ok[i]:
			granted = append(granted, sc)
		case !isInvalidScope(errs[i]):
			return appToken{}, nil, errs[i]
		}
	}
	if len(granted) == 0 {
		return appToken{}, nil, nil
	}
	t, err = p.mint(ctx, o, settings, secret, granted, dpop)
	if err != nil {
		return appToken{}, nil, err
	}
	return t, tokenScopes(t.tok, granted), nil
}

// tokenScopes are the scopes the token response lists, or those asked
// for when it lists none (Okta always lists them).
func tokenScopes(tok *oauth2.Token, asked []string) []string {
	if s, ok := tok.Extra("scope").(string); ok {
		return strings.Fields(s)
	}
	return asked
}

// signInError explains a refused token request.
func signInError(o Org, clientID string, err error) error {
	var te *flows.TokenError
	if !errors.As(err, &te) {
		return err
	}
	app := o.Admin(appPage(clientID))
	reason := "Okta refused the token request (" + te.Error() + ")"
	switch {
	case te.Status == http.StatusUnauthorized && te.Code == "invalid_client":
		return &providers.SignInError{Reason: "Okta rejected the app's client assertion (" + te.Error() + ")",
			Fix: "check the client ID, that Client authentication is Public key / Private key, and that the JWK tether showed is registered under Client Credentials → Public Keys on " + app, Err: err}
	case te.Code == "unauthorized_client" || te.Code == "unsupported_grant_type":
		return &providers.SignInError{Reason: reason,
			Fix: "use an API Services app: only service apps may use client credentials on the org authorization server (Applications → Create App Integration → API Services)", Err: err}
	case te.Code == "access_denied":
		return &providers.SignInError{Reason: reason, Fix: "the app allows token requests from some network zones only; run tether from one of them, or widen them on " + app, Err: err}
	case te.Status == http.StatusTooManyRequests:
		fix := "wait a minute and try again"
		if s, perr := strconv.ParseInt(strings.TrimSpace(te.Header.Get(ResetHeader)), 10, 64); perr == nil && s > 0 {
			fix = "Okta's limit resets at " + time.Unix(s, 0).UTC().Format(time.TimeOnly) + " UTC; try again after that"
		}
		return &providers.SignInError{Reason: "Okta is rate-limiting token requests (" + te.Error() + ")", Fix: fix, Err: err}
	}
	return &providers.SignInError{Reason: reason, Err: err}
}

func (p *Provider) connectServiceApp(ctx context.Context, m providers.Method, o Org, settings map[string]string, in providers.Inputs, events flows.Events) (providers.Connection, flows.Secret, error) {
	settings[InputClientID] = strings.TrimSpace(in.Get(InputClientID))
	if kid := strings.TrimSpace(in.Get(InputKeyID)); kid != "" {
		settings[InputKeyID] = kid
	}
	secret := flows.NewSecret(map[string]string{InputPrivateKey: in.Get(InputPrivateKey)})
	events.Emit(flows.Progress{Message: "requesting a token for " + settings[InputClientID] + " from " + o.Host + "/oauth2/v1/token"})
	t, err := p.mint(ctx, o, settings, secret, serviceScopes(false), nil)
	switch {
	case isInvalidScope(err):
		events.Emit(flows.Progress{Message: "the app signed in, but is not granted every okta.* scope yet; verification says which"})
	case err != nil:
		return providers.Connection{}, flows.Secret{}, signInError(o, settings[InputClientID], err)
	default:
		if t.dpop != nil {
			settings[settingDPoP] = "required"
			events.Emit(flows.Progress{Message: "the app requires DPoP: its tokens are bound to a key tether makes for each sign-in"})
		}
		events.Emit(flows.Progress{Message: "signed in to " + o.Host + " as service app " + settings[InputClientID]})
	}
	return providers.Connection{Provider: ID, Method: m.ID, Tenant: o.Host, Settings: settings}, secret, nil
}

// signInServiceApp mints a fresh token for the scopes the capabilities
// need (a cached one would hide a grant changed since) and prepares the
// prober with it.
func (s *session) signInServiceApp(ctx context.Context, cred providers.Credential) error {
	var dpop *flows.DPoP
	if s.conn.Settings[settingDPoP] != "" {
		d, err := flows.GenerateDPoP(s.p.env.Clock.Time)
		if err != nil {
			return err
		}
		dpop = d
	}
	t, granted, err := s.p.grantedToken(ctx, s.org, s.conn.Settings, cred.Secret, serviceScopes(s.remediating()), dpop)
	if err != nil {
		return signInError(s.org, s.conn.Settings[InputClientID], err)
	}
	s.scopes = granted
	if t.tok == nil {
		s.warn("the app is granted none of the okta.* scopes tether needs: grant them on its Okta API Scopes tab")
		s.pr = s.p.prober(s.warn, func(*http.Request) error { return errors.New("not run: the app has no token") })
		return nil
	}
	authorize, challenge := t.authorize()
	s.pr = s.p.prober(s.warn, authorize)
	s.pr.Challenge = challenge
	return nil
}

func (s *session) remediating() bool { return remediates(needs(s.p.cat, s.conn.Capabilities)) }
