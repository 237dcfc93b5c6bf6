package okta

import (
	"context"
	"errors"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

// serviceScopes are the okta.* scopes a service app needs for the
// enabled capabilities: each read area's, and for remediation
// okta.users.manage and okta.roles.read.
func serviceScopes(enabled []string) []string {
	var out []string
	for _, a := range areas {
		if !contains(out, a.scope) {
			out = append(out, a.scope)
		}
	}
	if len(enabled) > 0 {
		out = append(out, scopeManage, scopeRolesRead)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (p *Provider) connectServiceApp(context.Context, providers.Method, Org, map[string]string, providers.Inputs, flows.Events) (providers.Connection, flows.Secret, error) {
	return providers.Connection{}, flows.Secret{}, errors.New("the service-app method is not available yet")
}

func (s *session) signInServiceApp(context.Context, providers.Credential) error {
	return errors.New("the service-app method is not available yet")
}
