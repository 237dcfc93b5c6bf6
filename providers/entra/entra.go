// Package entra connects tether to a Microsoft Entra ID tenant through an
// app registration granted Microsoft Graph application permissions, and
// verifies them from what a fresh client-credentials token carries: its
// roles claim is the set of application permissions granted. Missing
// ones are explained (a delegated permission configured instead, or a
// declared permission whose admin consent is missing or has not reached
// new tokens yet), and excess ones reported.
//
// Wire contract: shared/providers/entra-google-salesforce.md §1. The
// emulator is entratest.
package entra

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/providers"
)

// ID is the catalog id of Microsoft Entra ID.
const ID = "entra"

// Input keys.
const (
	InputTenant       = "tenant"
	InputClientID     = "client_id"
	InputClientSecret = "client_secret"
	InputCertificate  = "certificate"
	InputCloud        = "cloud"
	InputSecretDays   = "secret_days"
)

// Method ids.
const (
	MethodClientSecret = "client-secret"
	MethodCertificate  = "certificate"
	MethodAdminConsent = "admin-consent"
	MethodCreate       = "create"
)

// consentLag is how long tether waits, round after round, for roles
// granted moments ago to reach new tokens (anchors: Entra's roles claim
// lags admin consent by seconds to minutes): at most 3¾ minutes.
var consentLag = []time.Duration{15 * time.Second, 30 * time.Second, 60 * time.Second, 120 * time.Second}

// Provider is Microsoft Entra ID.
type Provider struct {
	env providers.Env
	cat catalog.Provider
}

var _ providers.Provider = (*Provider)(nil)

// New returns the Entra provider for the catalog's requirements.
func New(cat *catalog.Catalog, env providers.Env) (*Provider, error) {
	cp, ok := cat.Provider(ID)
	if !ok {
		return nil, errors.New("entra: not in the catalog")
	}
	for _, s := range cp.Scopes(allCapabilities(cp)) {
		if _, ok := graphPermissions[s]; !ok {
			return nil, fmt.Errorf("entra: the catalog names %s, which is not a Microsoft Graph permission tether knows the app role of", s)
		}
	}
	return &Provider{env: env.WithDefaults(), cat: cp}, nil
}

func allCapabilities(cp catalog.Provider) []string {
	var ids []string
	for _, c := range cp.Capabilities {
		ids = append(ids, c.ID)
	}
	return ids
}

func (p *Provider) ID() string { return ID }

// Describe names the tenant, the application and the hosts the
// credential is sent to.
func (p *Provider) Describe(conn providers.Connection) providers.Description {
	d := providers.Description{Tenant: conn.Tenant, Principal: "application " + conn.Settings[InputClientID]}
	if conn.Settings[InputClientID] == "" {
		d.Principal = "the app registration tether creates"
	}
	if c, err := CloudByID(conn.Settings[InputCloud]); err == nil {
		d.APIHost = c.Login + ", " + c.Graph
	}
	return d
}

var (
	tenantInput = providers.Input{
		Key: InputTenant, Label: "Tenant",
		Help:        "the Directory (tenant) ID on the app's Overview page, or a verified domain of the tenant",
		Placeholder: "contoso.onmicrosoft.com",
		Validate:    func(s string) error { _, err := CanonicalTenant(s); return err },
	}
	clientIDInput = providers.Input{
		Key: InputClientID, Label: "Application (client) ID",
		Help:        "the app registration's Overview page",
		Placeholder: "535fb089-9ff3-47b6-9bfb-4f1264799865",
		Validate:    validClientID,
	}
	cloudInput = providers.Input{
		Key: InputCloud, Label: "Cloud", Optional: true,
		Help:        "global (default), usgov (GCC High), usgov-dod or china",
		Placeholder: "global",
		Validate:    func(s string) error { _, err := CloudByID(s); return err },
	}
)

func (p *Provider) Methods() []providers.Method {
	return []providers.Method{
		{
			ID: MethodClientSecret, Name: "Client secret", Kind: providers.KindClientCredentials,
			Summary: "bring your own app registration: paste a client secret's value",
			Inputs: []providers.Input{tenantInput, clientIDInput, {
				Key: InputClientSecret, Label: "Client secret value", Secret: true,
				Help:     "Certificates & secrets → New client secret → the Value column (not the Secret ID), shown once",
				Validate: validClientSecret,
			}, cloudInput},
			ConsentLag: consentLag,
		},
		{
			ID: MethodCertificate, Name: "Certificate", Kind: providers.KindClientCredentials,
			Summary: "no shared secret: the app authenticates with a certificate whose public part you upload",
			Inputs: []providers.Input{tenantInput, clientIDInput, {
				Key: InputCertificate, Label: "Private key and certificate (PEM)", Secret: true, Multiline: true,
				Help:     "the private key and the certificate uploaded under Certificates & secrets → Certificates, both in one PEM; tether can generate them",
				Validate: validCertificate,
				Generate: generateCertificate,
			}, cloudInput},
			ConsentLag: consentLag,
		},
		{
			ID: MethodAdminConsent, Name: "Admin consent", Kind: providers.KindAdminConsent,
			Summary: "for the platform's multi-tenant app: an admin of your tenant approves it in the browser",
			Inputs: []providers.Input{tenantInput, clientIDInput, {
				Key: InputClientSecret, Label: "Platform app's client secret", Secret: true,
				Help:     "the platform's own app registration's secret, from the platform's settings",
				Validate: validClientSecret,
			}, cloudInput},
			ConsentLag: consentLag,
		},
		{
			ID: MethodCreate, Name: "Create it for me", Kind: providers.KindDeviceFlow,
			Summary: "an administrator signs in once; tether creates the app registration, grants its permissions and adds a secret",
			Inputs: []providers.Input{tenantInput, {
				Key: InputSecretDays, Label: "Secret lifetime (days)", Optional: true,
				Help: "how long the client secret tether adds is valid; 180 unless given", Placeholder: "180",
				Validate: validSecretDays,
			}, cloudInput},
			ConsentLag: consentLag,
		},
	}
}

var (
	guidPattern   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	domainPattern = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
)

// CanonicalTenant normalizes a tenant: a GUID in lower case, or a
// verified domain name in lower case. The multi-tenant aliases (common,
// organizations, consumers) name no tenant, which an app-only token
// needs.
func CanonicalTenant(s string) (string, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	switch {
	case guidPattern.MatchString(t):
		return t, nil
	case t == "common" || t == "organizations" || t == "consumers":
		return "", fmt.Errorf("%q names no tenant: use the Directory (tenant) ID from the app's Overview page, like 72f988bf-86f1-41af-91ab-2d7cd011db47, or a verified domain like contoso.onmicrosoft.com", s)
	case len(t) <= 253 && domainPattern.MatchString(t):
		return t, nil
	}
	return "", fmt.Errorf("%s is not a tenant: use the Directory (tenant) ID, a GUID like 72f988bf-86f1-41af-91ab-2d7cd011db47, or a verified domain like contoso.onmicrosoft.com", providers.Shown(s))
}

func validClientID(s string) error {
	if !guidPattern.MatchString(strings.TrimSpace(s)) {
		return errors.New("not an Application (client) ID: expect a GUID like 535fb089-9ff3-47b6-9bfb-4f1264799865, from the app registration's Overview page")
	}
	return nil
}

// validClientSecret never quotes the value. A GUID is the secret's ID,
// the most common paste mistake (AADSTS7000215 says as much).
func validClientSecret(s string) error {
	v := strings.TrimSpace(s)
	switch {
	case v == "":
		return errors.New("the client secret is empty")
	case guidPattern.MatchString(v):
		return errors.New("that is the Secret ID, not the secret: copy the Value column of Certificates & secrets, shown once when the secret is created")
	case strings.ContainsAny(v, " \t\r\n"):
		return errors.New("the client secret contains spaces or line breaks: copy it again with the copy button")
	case len(v) < 16:
		return fmt.Errorf("the client secret is %d characters long, which looks truncated: Entra secrets are 40 characters", len(v))
	case len(v) > 256:
		return fmt.Errorf("the client secret is %d characters long: Entra secrets are 40 characters; paste the Value column alone", len(v))
	}
	return nil
}

// tenantOf reads a connection's cloud and tenant.
func tenantOf(settings map[string]string) (Cloud, string, error) {
	c, err := CloudByID(settings[InputCloud])
	if err != nil {
		return Cloud{}, "", err
	}
	t, err := CanonicalTenant(settings[InputTenant])
	return c, t, err
}

func (p *Provider) Steps(m providers.Method, in providers.Inputs) []providers.Step {
	cloud, err := CloudByID(in.Get(InputCloud))
	if err != nil {
		cloud = Clouds[0]
	}
	appID := ""
	if id := in.Get(InputClientID); validClientID(id) == nil {
		appID = strings.ToLower(id)
	}
	perms := strings.Join(p.cat.Scopes(nil), ", ")
	if m.ID == MethodCreate {
		return []providers.Step{{
			Title:  "Sign in as a Global Administrator or Privileged Role Administrator",
			Detail: "tether shows a code to enter at microsoft.com/devicelogin, then creates the app registration \"" + createdName + "\" with " + perms + ", grants them, and adds a client secret. The sign-in is used for this only.",
			URL:    cloud.appBlade("", ""),
		}}
	}
	if m.ID == MethodAdminConsent {
		tenant := "organizations"
		if t, err := CanonicalTenant(in.Get(InputTenant)); err == nil {
			tenant = t
		}
		return []providers.Step{{
			Title:  "Sign in as a Global Administrator or Privileged Role Administrator",
			Detail: "tether opens Microsoft's admin consent page for the platform's app; review the application permissions (" + perms + ") and Accept.",
			URL:    cloud.adminConsentURL(tenant, appID),
		}}
	}
	steps := []providers.Step{{
		Title:  "Register an application",
		Detail: `App registrations → New registration; name it "tether", Accounts in this organizational directory only, no redirect URI.`,
		URL:    cloud.appBlade("", ""),
	}, {
		Title:  "Add Microsoft Graph application permissions",
		Detail: "API permissions → Add a permission → Microsoft Graph → Application permissions (not Delegated): " + perms + ". Then Grant admin consent.",
		URL:    cloud.appBlade(appID, "CallAnAPI"),
	}}
	if m.ID == MethodCertificate {
		return append(steps, providers.Step{
			Title:  "Upload the certificate",
			Detail: "Certificates & secrets → Certificates → Upload certificate: the certificate tether shows (or yours). tether signs with its private key.",
			URL:    cloud.appBlade(appID, "Credentials"),
		}, providers.Step{
			Title:  "Copy the Directory (tenant) ID and the Application (client) ID",
			Detail: "From the Overview page.",
			URL:    cloud.appBlade(appID, "Overview"),
		})
	}
	return append(steps, providers.Step{
		Title:  "Create a client secret",
		Detail: "Certificates & secrets → Client secrets → New client secret; copy its Value (not the Secret ID) at once: it is shown only once.",
		URL:    cloud.appBlade(appID, "Credentials"),
	}, providers.Step{
		Title:  "Copy the Directory (tenant) ID and the Application (client) ID",
		Detail: "From the Overview page.",
		URL:    cloud.appBlade(appID, "Overview"),
	})
}
