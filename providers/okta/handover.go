package okta

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

// Token mints an access token for a service app's connection, for the
// scopes its capabilities need that the app is granted. An SSWS token is
// no OAuth token (export hands it over as it is), and a DPoP-bound token
// is useless without the key it is bound to, which stays with tether.
func (p *Provider) Token(ctx context.Context, conn providers.Connection, cred providers.Credential) (*oauth2.Token, error) {
	o, err := ParseOrg(conn.Settings[InputOrg])
	if err != nil {
		return nil, err
	}
	switch {
	case conn.Method == MethodAPIToken:
		return nil, &providers.UsageError{Msg: "an Okta API token is itself the credential, sent as Authorization: SSWS; hand it over with tether export " + conn.Key().String()}
	case !isServiceApp(conn.Method):
		return nil, errors.New("unknown method " + conn.Method)
	case conn.Settings[settingDPoP] != "":
		return nil, &providers.UsageError{Msg: "service app " + conn.Settings[InputClientID] + " requires DPoP: its tokens are bound to a key that cannot be handed over; hand over the app's credentials with tether export " + conn.Key().String()}
	}
	t, granted, err := p.grantedToken(ctx, o, conn.Settings, cred.Secret, serviceScopes(remediates(needs(p.cat, conn.Capabilities))), nil)
	switch {
	case err != nil:
		return nil, signInError(o, conn.Settings[InputClientID], err)
	case t.tok == nil:
		return nil, &providers.SignInError{Reason: "service app " + conn.Settings[InputClientID] + " is granted none of the okta.* scopes tether needs",
			Fix: "grant them on its Okta API Scopes tab, then tether verify " + conn.Key().String()}
	case t.dpop != nil:
		return nil, &providers.UsageError{Msg: "service app " + conn.Settings[InputClientID] + " now requires DPoP: its tokens are bound to a key that cannot be handed over; run tether verify " + conn.Key().String()}
	}
	return t.tok.WithExtra(map[string]any{"scope": strings.Join(granted, " ")}), nil
}

// Export hands over what the platform's Okta form asks for: the org URL
// and the API token, or the service app's client ID, private key and key
// ID.
func (p *Provider) Export(conn providers.Connection, secret flows.Secret) ([]providers.Field, error) {
	o, err := ParseOrg(conn.Settings[InputOrg])
	if err != nil {
		return nil, err
	}
	fields := []providers.Field{{Key: InputOrg, Label: "Okta org URL", Value: o.URL(""), Env: "ORG_URL"}}
	switch conn.Method {
	case MethodAPIToken:
		tok := strings.TrimSpace(secret.Get(InputToken))
		if validToken(tok) != nil {
			return nil, errors.New("the stored API token is missing or damaged; run tether setup okta again")
		}
		return append(fields, providers.Field{Key: InputToken, Label: "API Token", Value: tok, Secret: true, Env: "API_TOKEN"}), nil
	case MethodServiceApp, MethodCreate:
		key := secret.Get(InputPrivateKey)
		k, err := flows.ParsePrivateKeyPEM(key)
		if err != nil {
			return nil, errors.New("the stored private key does not parse; run tether setup okta again")
		}
		kid := conn.Settings[InputKeyID]
		if kid == "" {
			jwk, err := flows.PublicJWK(k)
			if err != nil {
				return nil, err
			}
			kid = jwk.KeyID
		}
		return append(fields,
			providers.Field{Key: InputClientID, Label: "Client ID", Value: conn.Settings[InputClientID], Env: "CLIENT_ID"},
			providers.Field{Key: InputPrivateKey, Label: "Private Key (PEM)", Value: key, Secret: true, Env: "PRIVATE_KEY"},
			providers.Field{Key: InputKeyID, Label: "Key ID", Value: kid, Env: "KEY_ID"}), nil
	}
	return nil, errors.New("unknown method " + conn.Method)
}
