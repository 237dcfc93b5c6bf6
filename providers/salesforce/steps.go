package salesforce

import (
	"strings"

	"github.com/tetherdev/tether/providers"
)

// setupURL is the Lightning Setup page of path ("ManageExternalClientApplication/home")
// on the org's My Domain when it is known, else on the login host, which
// sends the admin on to their org after sign-in.
func setupURL(in providers.Inputs, path string) string {
	host := ProductionHost
	if h, err := LoginHost(in.Get(InputLoginHost)); err == nil && !h.IsLoopback() {
		host = h.Name
		if mine, ok := strings.CutSuffix(host, ".my.salesforce.com"); ok {
			host = mine + ".lightning.force.com" // Setup lives on the Lightning domain
		}
	}
	if !strings.HasSuffix(host, ".lightning.force.com") {
		return "https://" + host + "/"
	}
	return "https://" + host + "/lightning/setup/" + path
}

func (p *Provider) Steps(m providers.Method, in providers.Inputs) []providers.Step {
	apps := setupURL(in, "ManageExternalClientApplication/home")
	steps := []providers.Step{{
		Title: "Create an External Client App",
		Detail: "Setup → App Manager → New External Client App; name it \"tether\", Distribution State Local. " +
			"(Salesforce no longer lets you create connected apps since Spring '26; an existing connected app works as is.)",
		URL: setupURL(in, "AppManager/home"),
	}}
	switch m.ID {
	case MethodJWTBearer:
		user := in.Get(InputUsername)
		if user == "" {
			user = "the integration user"
		}
		steps = append(steps, providers.Step{
			Title: "Enable OAuth with the JWT Bearer Flow",
			Detail: "API (Enable OAuth Settings): callback URL http://localhost:1717/OauthRedirect (required, not used); " +
				"OAuth scope \"Manage user data via APIs (api)\" only, since the platform reads through the REST API; " +
				"Flow Enablement: Enable JWT Bearer Flow, and upload the certificate tether generates (tether.crt).",
			URL: apps,
		}, providers.Step{
			Title: "Pre-authorize the integration user",
			Detail: "Policies → OAuth Policies → Permitted Users: \"Admin approved users are pre-authorized\"; add the profile or a permission set of " + user +
				". Best is a dedicated integration user whose profile or permission set has API Enabled (API Only), not a System Administrator.",
			URL: apps,
		}, providers.Step{
			Title:  "Copy the Consumer Key",
			Detail: "Settings → OAuth Settings → Consumer Key and Secret (the secret is not needed), and note the integration user's username.",
			URL:    apps,
		})
	case MethodDevice:
		steps = append(steps, providers.Step{
			Title: "Enable OAuth with the device flow",
			Detail: "API (Enable OAuth Settings): a callback URL is required, " + callbackURL(DefaultPort) + " will do; " +
				"OAuth scopes \"Manage user data via APIs (api)\" for the REST API reads and \"Perform requests at any time (refresh_token, offline_access)\" so the platform keeps collecting after the session expires; " +
				"Flow Enablement: Enable Device Flow. (The Salesforce CLI's own app no longer allows the device flow; if your org refuses it, use --method web.)",
			URL: apps,
		}, providers.Step{
			Title:  "Permit the integration user",
			Detail: "Policies → OAuth Policies → Permitted Users: \"Admin approved users are pre-authorized\" with a profile or permission set of the user who signs in (a dedicated integration user with API Enabled).",
			URL:    apps,
		}, providers.Step{
			Title:  "Copy the Consumer Key",
			Detail: "Settings → OAuth Settings → Consumer Key and Secret. tether then shows a code to enter at your org's /setup/connect page, signed in as the integration user.",
			URL:    apps,
		})
	case MethodWeb:
		port, err := Port(in.Get(InputPort))
		if err != nil {
			port = DefaultPort
		}
		steps = append(steps, providers.Step{
			Title: "Enable OAuth for the web server flow",
			Detail: "API (Enable OAuth Settings): callback URL exactly " + callbackURL(port) + " (Salesforce matches it character for character, so tether always listens on this port); " +
				"OAuth scopes \"Manage user data via APIs (api)\" for the REST API reads and \"Perform requests at any time (refresh_token, offline_access)\" so the platform keeps collecting after the session expires; " +
				"Flow Enablement: keep \"Require Proof Key for Code Exchange (PKCE)\" on, and turn \"Require Secret for Web Server Flow\" and \"Require Secret for Refresh Token Flow\" off (PKCE protects the code; otherwise give tether the consumer secret).",
			URL: apps,
		}, providers.Step{
			Title: "Permit the integration user",
			Detail: "Policies → OAuth Policies → Permitted Users: \"Admin approved users are pre-authorized\" with a profile or permission set of the user who signs in (a dedicated integration user with API Enabled, not a System Administrator). " +
				"Refresh Token Policy: valid until revoked, or rotate refresh tokens; tether stores each new one.",
			URL: apps,
		}, providers.Step{
			Title:  "Copy the Consumer Key, then sign in as the integration user",
			Detail: "Settings → OAuth Settings → Consumer Key and Secret. Without a browser on this machine (SSH), open the link tether prints anywhere and paste back the address the browser ends on.",
			URL:    apps,
		})
	}
	return steps
}
