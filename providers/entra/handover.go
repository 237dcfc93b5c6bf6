package entra

import (
	"context"
	"errors"

	"golang.org/x/oauth2"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

var (
	_ providers.Tokener  = (*Provider)(nil)
	_ providers.Exporter = (*Provider)(nil)
)

// Token mints a Microsoft Graph app-only token with the stored
// credential, retried under the prober's policy as verification's is.
func (p *Provider) Token(ctx context.Context, conn providers.Connection, cred providers.Credential) (*oauth2.Token, error) {
	cloud, tenant, err := tenantOf(conn.Settings)
	if err != nil {
		return nil, err
	}
	var tok *oauth2.Token
	err = p.prober("", nil).Retry(ctx, "the token request", func(ctx context.Context) (err error) {
		tok, err = p.mint(ctx, cloud, tenant, conn.Method, conn.Settings, cred.Secret)
		return err
	})
	if err != nil {
		return nil, signInError(links{cloud: cloud, tenant: tenant, client: conn.Settings[InputClientID]}, err)
	}
	return tok, nil
}

// Export hands over what the platform's Entra form asks for: the
// tenant, the client ID, the cloud, and the client secret or the
// private key and certificate.
func (p *Provider) Export(conn providers.Connection, secret flows.Secret) ([]providers.Field, error) {
	cloud, tenant, err := tenantOf(conn.Settings)
	if err != nil {
		return nil, err
	}
	if conn.Tenant != "" && guidPattern.MatchString(conn.Tenant) {
		tenant = conn.Tenant
	}
	fields := []providers.Field{
		{Key: InputTenant, Label: "Directory (tenant) ID", Value: tenant, Env: "TENANT_ID"},
		{Key: InputClientID, Label: "Application (client) ID", Value: conn.Settings[InputClientID], Env: "CLIENT_ID"},
		{Key: InputCloud, Label: "Cloud", Value: cloud.ID, Env: "CLOUD"},
	}
	switch conn.Method {
	case MethodClientSecret, MethodAdminConsent, MethodCreate:
		s := secret.Get(InputClientSecret)
		if s == "" {
			return nil, errors.New("the stored credential has no client secret; run tether setup entra again")
		}
		fields = append(fields, providers.Field{Key: InputClientSecret, Label: "Client secret", Value: s, Secret: true, Env: "CLIENT_SECRET"})
	case MethodCertificate:
		s := secret.Get(InputCertificate)
		if _, err := parseKeyPair(s); err != nil {
			return nil, errors.New("the stored certificate does not parse; run tether setup entra again")
		}
		fields = append(fields, providers.Field{Key: InputCertificate, Label: "Private key and certificate (PEM)", Value: s, Secret: true, Env: "CERTIFICATE"})
	default:
		return nil, errors.New("unknown method " + conn.Method)
	}
	return fields, nil
}
