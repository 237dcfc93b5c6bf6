package entra

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/tetherdev/tether/providers"
)

// Cloud is one Microsoft cloud: its sign-in host, its Microsoft Graph
// host and its admin center, as data (national clouds have their own of
// each).
type Cloud struct {
	ID     string // the cloud input's value: "global"
	Name   string
	Login  string // "login.microsoftonline.com"
	Graph  string // "graph.microsoft.com"
	Portal string // "entra.microsoft.com"
}

// Clouds are the clouds tether connects to, the default first.
var Clouds = []Cloud{
	{ID: "global", Name: "Global (commercial)", Login: "login.microsoftonline.com", Graph: "graph.microsoft.com", Portal: "entra.microsoft.com"},
	{ID: "usgov", Name: "US Government L4 (GCC High)", Login: "login.microsoftonline.us", Graph: "graph.microsoft.us", Portal: "entra.microsoft.us"},
	{ID: "usgov-dod", Name: "US Government L5 (DoD)", Login: "login.microsoftonline.us", Graph: "dod-graph.microsoft.us", Portal: "entra.microsoft.us"},
	{ID: "china", Name: "China (operated by 21Vianet)", Login: "login.chinacloudapi.cn", Graph: "microsoftgraph.chinacloudapi.cn", Portal: "portal.azure.cn"},
}

// CloudByID returns the cloud with the given id; "" is the global one.
func CloudByID(id string) (Cloud, error) {
	id = strings.ToLower(strings.TrimSpace(id))
	if id == "" {
		return Clouds[0], nil
	}
	for _, c := range Clouds {
		if c.ID == id {
			return c, nil
		}
	}
	ids := make([]string, len(Clouds))
	for i, c := range Clouds {
		ids[i] = c.ID
	}
	return Cloud{}, fmt.Errorf("%s is not a Microsoft cloud tether knows: use one of %s (global unless the tenant is in a US Government or China cloud)", providers.Shown(id), strings.Join(ids, ", "))
}

// GraphResource is the resource the tokens are for, as the scope names
// it: https://graph.microsoft.com.
func (c Cloud) GraphResource() string { return "https://" + c.Graph }

// DefaultScope asks for every application permission of Microsoft Graph
// that the app has been granted.
func (c Cloud) DefaultScope() string { return c.GraphResource() + "/.default" }

// TokenURL is the v2.0 token endpoint of tenant.
func (c Cloud) TokenURL(tenant string) string {
	return "https://" + c.Login + "/" + url.PathEscape(tenant) + "/oauth2/v2.0/token"
}

// GraphURL is a Microsoft Graph v1.0 URL.
func (c Cloud) GraphURL(pathAndQuery string) string {
	return "https://" + c.Graph + "/v1.0" + pathAndQuery
}

// appBlade is the admin center page of an app registration: blade is
// Overview, CallAnAPI (API permissions) or Credentials (Certificates &
// secrets).
func (c Cloud) appBlade(appID, blade string) string {
	if appID == "" {
		return "https://" + c.Portal + "/#view/Microsoft_AAD_RegisteredApps/ApplicationsListBlade"
	}
	return "https://" + c.Portal + "/#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/" + blade + "/appId/" + url.PathEscape(appID)
}

// adminConsentURL is the v1 admin consent page for every permission of
// the app registration: the quickest way for an admin to grant them.
func (c Cloud) adminConsentURL(tenant, appID string) string {
	return "https://" + c.Login + "/" + url.PathEscape(tenant) + "/adminconsent?client_id=" + url.QueryEscape(appID)
}
