package google

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/oauth2"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

var (
	_ providers.Tokener  = (*Provider)(nil)
	_ providers.Exporter = (*Provider)(nil)
)

// Token mints an access token for every scope the connection's
// capabilities need: for a service account one delegated token for all of
// them (Google grants all or none, so a token lists exactly what was
// asked); for a browser consent a refreshed one, whose scope Google says.
func (p *Provider) Token(ctx context.Context, conn providers.Connection, cred providers.Credential) (*oauth2.Token, error) {
	scopes := p.cat.Scopes(conn.Capabilities)
	switch conn.Method {
	case MethodServiceAccount:
		a, err := accountOf(conn.Settings, cred.Secret)
		if err != nil {
			return nil, err
		}
		m := p.mint(ctx, p.prober(nil), a, scopes[0], scopes[1:]...)
		if isUndelegated(m.err) {
			return nil, &providers.SignInError{Reason: "domain-wide delegation does not authorise client id " + a.key.ClientID + " for every scope the connection needs",
				Fix: "tether verify " + conn.Key().String() + " says which, and links the Admin console page that adds them", Err: m.err}
		}
		if m.err != nil {
			return nil, signInError(a, m.err, p.env.Clock.Time())
		}
		return m.tok.WithExtra(map[string]any{"scope": strings.Join(scopes, " ")}), nil
	case MethodBrowser:
		tokens, _, err := p.browserTokens(ctx, conn, &cred, scopes)
		if err != nil {
			return nil, err
		}
		var tok *oauth2.Token
		var granted []string
		for _, s := range scopes {
			if m := tokens[s]; m.tok != nil {
				tok = m.tok
				granted = append(granted, s)
			}
		}
		if tok == nil {
			return nil, errors.New("the consent granted none of the scopes the connection needs; run tether setup google --method browser --replace")
		}
		if _, ok := tok.Extra("scope").(string); !ok {
			tok = tok.WithExtra(map[string]any{"scope": strings.Join(granted, " ")})
		}
		return tok, nil
	}
	return nil, fmt.Errorf("unknown method %q", conn.Method)
}

// Export hands over what the platform's Google Workspace form asks for:
// the admin acted as and, for a service account, its JSON key (with the
// client id domain-wide delegation lists); for a browser consent, the
// OAuth client and the refresh token.
func (p *Provider) Export(conn providers.Connection, secret flows.Secret) ([]providers.Field, error) {
	admin := providers.Field{Key: InputAdmin, Label: "Admin email", Value: conn.Settings[InputAdmin], Env: "ADMIN_EMAIL"}
	switch conn.Method {
	case MethodServiceAccount:
		key, err := ParseKey([]byte(secret.Get(InputKey)))
		if err != nil {
			return nil, errors.New("the stored service account key does not parse; run tether setup google again")
		}
		return []providers.Field{admin,
			{Key: SettingClientID, Label: "Client ID", Value: key.ClientID, Env: "CLIENT_ID"},
			{Key: "service_account_key", Label: "Service account key (JSON)", Value: key.JSON(), Secret: true, Env: "SERVICE_ACCOUNT_KEY"},
		}, nil
	case MethodBrowser:
		cs, rt := strings.TrimSpace(secret.Get(InputClientSecret)), secret.Get(flows.SecretRefreshToken)
		if cs == "" || rt == "" {
			return nil, errors.New("the stored credential has no client secret or refresh token; run tether setup google --method browser again")
		}
		return []providers.Field{admin,
			{Key: InputClientID, Label: "OAuth client ID", Value: conn.Settings[InputClientID], Env: "CLIENT_ID"},
			{Key: InputClientSecret, Label: "Client secret", Value: cs, Secret: true, Env: "CLIENT_SECRET"},
			{Key: flows.SecretRefreshToken, Label: "Refresh token", Value: rt, Secret: true, Env: "REFRESH_TOKEN"},
		}, nil
	}
	return nil, fmt.Errorf("unknown method %q", conn.Method)
}
