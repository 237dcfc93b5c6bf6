package duo

import (
	"errors"
	"strings"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

// Duo has no access token (every Admin API request is signed with the
// secret key), so the provider is no providers.Tokener: tether token
// says so, and export and exec hand over the keys themselves.
var _ providers.Exporter = (*Provider)(nil)

// Export hands over what the platform's Duo form asks for: the API
// hostname, the integration key and the secret key.
func (p *Provider) Export(conn providers.Connection, secret flows.Secret) ([]providers.Field, error) {
	a, err := accountOf(conn.Settings)
	if err != nil {
		return nil, err
	}
	skey := strings.TrimSpace(secret.Get(InputSecretKey))
	if validSecretKey(skey) != nil {
		return nil, errors.New("the stored secret key is not a Duo secret key; run tether setup duo again")
	}
	return []providers.Field{
		{Key: InputAPIHostname, Label: "API hostname", Value: a.host, Env: "API_HOSTNAME"},
		{Key: InputIntegrationKey, Label: "Integration key", Value: a.ikey, Env: "INTEGRATION_KEY"},
		{Key: InputSecretKey, Label: "Secret key", Value: skey, Secret: true, Env: "SECRET_KEY"},
	}, nil
}
