package salesforce

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

// Token requests a fresh session with the stored credential (a JWT
// bearer grant, or a refresh saved through cred.Save), retried under the
// prober's policy as verification's is. The token's extras keep
// instance_url, where the REST API is called.
func (p *Provider) Token(ctx context.Context, conn providers.Connection, cred providers.Credential) (*oauth2.Token, error) {
	h, err := loginOf(conn.Settings)
	if err != nil {
		return nil, err
	}
	pr := &providers.Prober{Provider: "Salesforce", Env: p.env, DecodeError: decodeError}
	var s session
	err = pr.Retry(ctx, "the token request", func(ctx context.Context) (err error) {
		s, err = p.session(ctx, conn, cred)
		return err
	})
	if err != nil {
		return nil, signInError(h, conn.Settings, err)
	}
	return s.token, nil
}

// Export hands over what the platform's Salesforce form asks for: the
// login host, the consumer key and the org's instance, then the
// integration user and private key (jwt-bearer) or the refresh token (web,
// device) with the consumer secret when the app requires one.
func (p *Provider) Export(conn providers.Connection, secret flows.Secret) ([]providers.Field, error) {
	h, err := loginOf(conn.Settings)
	if err != nil {
		return nil, err
	}
	fields := []providers.Field{
		{Key: InputLoginHost, Label: "Login URL", Value: "https://" + h.String(), Env: "LOGIN_URL"},
		{Key: InputClientID, Label: "Consumer Key", Value: strings.TrimSpace(conn.Settings[InputClientID]), Env: "CLIENT_ID"},
	}
	if iu := conn.Settings[settingInstanceURL]; iu != "" {
		fields = append(fields, providers.Field{Key: settingInstanceURL, Label: "Instance URL", Value: iu, Env: "INSTANCE_URL"})
	}
	switch conn.Method {
	case MethodJWTBearer:
		key := secret.Get(InputPrivateKey)
		if _, err := flows.ParsePrivateKeyPEM(key); err != nil {
			return nil, errors.New("the stored private key does not parse; run tether setup salesforce again")
		}
		fields = append(fields,
			providers.Field{Key: InputUsername, Label: "Username", Value: conn.Settings[InputUsername], Env: "USERNAME"},
			providers.Field{Key: InputPrivateKey, Label: "Private Key (PEM)", Value: key, Secret: true, Env: "PRIVATE_KEY"})
	case MethodWeb, MethodDevice:
		tok, err := flows.SecretToken(secret)
		if err != nil || tok == nil || tok.RefreshToken == "" {
			return nil, errors.New("the stored credential holds no refresh token; run tether setup salesforce again")
		}
		fields = append(fields, providers.Field{Key: "refresh_token", Label: "Refresh Token", Value: tok.RefreshToken, Secret: true, Env: "REFRESH_TOKEN"})
		if cs := strings.TrimSpace(secret.Get(InputClientSecret)); cs != "" {
			fields = append(fields, providers.Field{Key: InputClientSecret, Label: "Consumer Secret", Value: cs, Secret: true, Env: "CLIENT_SECRET"})
		}
	default:
		return nil, errors.New("unknown method " + conn.Method)
	}
	return fields, nil
}
