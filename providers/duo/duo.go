// Package duo connects tether to a Duo account through an Admin API
// application (integration key, secret key and API hostname) and verifies
// each grant the platform needs with a signed request that needs exactly
// that grant.
//
// Duo has no access token: every request is signed with the secret key
// (sign.go), so the connection hands over the keys themselves
// (handover.go). Wire contract: shared/providers/okta-duo-auth0.md §2.
// The emulator is duotest.
package duo

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

// ID is the catalog id of Duo.
const ID = "duo"

// MethodAdminAPI is the one way to connect: an Admin API application's keys.
const MethodAdminAPI = "admin-api"

// Input keys.
const (
	InputIntegrationKey = "integration_key"
	InputSecretKey      = "secret_key"
	InputAPIHostname    = "api_hostname"
)

// Provider is Duo.
type Provider struct {
	env providers.Env
	cat catalog.Provider
}

var _ providers.Provider = (*Provider)(nil)

// New returns the Duo provider for the catalog's requirements.
func New(cat *catalog.Catalog, env providers.Env) (*Provider, error) {
	cp, ok := cat.Provider(ID)
	if !ok {
		return nil, errors.New("duo: not in the catalog")
	}
	return &Provider{env: env.WithDefaults(), cat: cp}, nil
}

func (p *Provider) ID() string { return ID }

// Describe names the account's API host and the application.
func (p *Provider) Describe(conn providers.Connection) providers.Description {
	d := providers.Description{Tenant: conn.Tenant, Principal: "application " + conn.Settings[InputIntegrationKey]}
	if h, err := APIHostname(conn.Settings[InputAPIHostname]); err == nil {
		d.Tenant, d.APIHost = h, h
	}
	return d
}

func (p *Provider) Methods() []providers.Method {
	return []providers.Method{{
		ID: MethodAdminAPI, Name: "Admin API application", Kind: providers.KindKeyEntry,
		Summary: "paste the integration key, secret key and API hostname of an Admin API application",
		Inputs: []providers.Input{{
			Key: InputAPIHostname, Label: "API hostname",
			Help:        "the Admin API application's page in the Duo Admin Panel, under Details",
			Placeholder: "api-1a2b3c4d.duosecurity.com",
			Validate:    func(s string) error { _, err := APIHostname(s); return err },
		}, {
			Key: InputIntegrationKey, Label: "Integration key",
			Help:        "the same page: Integration key, starting with DI",
			Placeholder: "DIWJ8X6AEYOR5OMC6TQ1",
			Validate:    validIntegrationKey,
		}, {
			Key: InputSecretKey, Label: "Secret key", Secret: true,
			Help:     "the same page: Secret key (click to reveal, then copy)",
			Validate: validSecretKey,
		}},
	}}
}

// hostPattern is an Admin API hostname: api- and eight letters or digits,
// under duosecurity.com or, for Duo Federal, duofederal.com.
var hostPattern = regexp.MustCompile(`^api-[a-z0-9]{8}\.(duosecurity|duofederal)\.com$`)

// APIHostname normalizes an API hostname ("https://API-1A2B3C4D.duosecurity.com/"
// → "api-1a2b3c4d.duosecurity.com") and checks its form.
func APIHostname(s string) (string, error) {
	h, err := flows.ParseHost(s, flows.HostOptions{})
	if err != nil || !hostPattern.MatchString(h.Name) {
		shown := providers.Shown(s)
		if skeyPattern.MatchString(strings.TrimSpace(s)) {
			shown = "that value, which looks like a secret key,"
		}
		return "", fmt.Errorf("%s is not a Duo API hostname%s: use the one on the Admin API application's page, like api-1a2b3c4d.duosecurity.com (Duo Federal: api-1a2b3c4d.duofederal.com)", shown, hostReason(err))
	}
	return h.Name, nil
}

func hostReason(err error) string {
	var he *flows.HostError
	if errors.As(err, &he) {
		return " (" + he.Reason + ")"
	}
	return ""
}

var ikeyPattern = regexp.MustCompile(`^DI[A-Z0-9]{18}$`)

func validIntegrationKey(s string) error {
	s = strings.TrimSpace(s)
	switch {
	case ikeyPattern.MatchString(s):
		return nil
	case ikeyPattern.MatchString(strings.ToUpper(s)):
		return errors.New("the integration key has lowercase letters: Duo's are uppercase, like DIWJ8X6AEYOR5OMC6TQ1; copy it again")
	}
	// The value is not quoted: a secret key pasted into the wrong field
	// must not reach the terminal.
	return fmt.Errorf("not a Duo integration key (%d characters): expect DI and 18 uppercase letters and digits (20 in all), like DIWJ8X6AEYOR5OMC6TQ1", len(s))
}

var skeyPattern = regexp.MustCompile(`^[A-Za-z0-9]{40}$`)

// validSecretKey never quotes the value.
func validSecretKey(s string) error {
	s = strings.TrimSpace(s)
	switch {
	case strings.ContainsAny(s, " \t\r\n"):
		return errors.New("the secret key contains spaces or line breaks: copy it again from the application's page")
	case len(s) != 40:
		return fmt.Errorf("the secret key is %d characters long: Duo secret keys are 40 letters and digits", len(s))
	case !skeyPattern.MatchString(s):
		return errors.New("the secret key holds characters other than letters and digits: Duo secret keys are 40 letters and digits")
	}
	return nil
}

// account holds a connection's endpoints and application.
type account struct {
	host string // api-xxxxxxxx.duosecurity.com
	ikey string
}

func (a account) url(pathAndQuery string) string { return "https://" + a.host + pathAndQuery }

// admin returns the Admin Panel URL for path ("applications"): the
// panel's host is the API host with admin- for api-.
func (a account) admin(path string) string {
	return "https://admin-" + strings.TrimPrefix(a.host, "api-") + "/" + path
}

// appPage is the Admin Panel page of the application.
func (a account) appPage() string { return a.admin("applications/" + a.ikey) }

func accountOf(settings map[string]string) (account, error) {
	h, err := APIHostname(settings[InputAPIHostname])
	if err != nil {
		return account{}, err
	}
	ik := strings.TrimSpace(settings[InputIntegrationKey])
	if err := validIntegrationKey(ik); err != nil {
		return account{}, err
	}
	return account{host: h, ikey: ik}, nil
}

func (p *Provider) Steps(_ providers.Method, in providers.Inputs) []providers.Step {
	h, err := APIHostname(in.Get(InputAPIHostname))
	a := account{host: h, ikey: in.Get(InputIntegrationKey)}
	link := func(path string) string {
		if err != nil {
			return "https://admin.duosecurity.com/"
		}
		return a.admin(path)
	}
	appLink := link("applications")
	if err == nil && validIntegrationKey(a.ikey) == nil {
		appLink = a.appPage()
	}
	return []providers.Step{{
		Title: "Protect an Admin API application",
		Detail: `As an Owner (only Owners can create an Admin API application): Applications → Protect an Application ` +
			`(Application Catalog in newer Admin Panels) → search "Admin API" → Protect; name it "tether".`,
		URL: link("applications"),
	}, {
		Title: "Tick exactly these permissions",
		Detail: p.grantsText() + ". Leave Grant administrators, Grant applications, Grant read information and Grant settings unticked, " +
			"and Grant write resource too unless you enable Reset Factors. Optionally limit Networks for API Access to where tether runs. Save Changes.",
		URL: appLink,
	}, {
		Title:  "Copy the integration key, secret key and API hostname",
		Detail: "From the application's Details (newer Admin Panels show the secret key only once). tether stores the secret key in the keyring.",
		URL:    appLink,
	}}
}

// grantsText names the grants the catalog requires, in its words.
func (p *Provider) grantsText() string {
	var names []string
	for _, n := range p.cat.Needs(nil) {
		names = append(names, n.Permission.Name)
	}
	return "Under Permissions, tick " + strings.Join(names, " and ")
}

func (p *Provider) Connect(ctx context.Context, m providers.Method, in providers.Inputs, io flows.Interaction) (providers.Connection, flows.Secret, error) {
	if m.ID != MethodAdminAPI {
		return providers.Connection{}, flows.Secret{}, &providers.UsageError{Msg: fmt.Sprintf("duo has one method, %s, not %q", MethodAdminAPI, m.ID)}
	}
	settings := map[string]string{InputAPIHostname: in.Get(InputAPIHostname), InputIntegrationKey: in.Get(InputIntegrationKey)}
	a, err := accountOf(settings)
	if err != nil {
		return providers.Connection{}, flows.Secret{}, &providers.UsageError{Msg: err.Error()}
	}
	skey := strings.TrimSpace(in.Get(InputSecretKey))
	if err := validSecretKey(skey); err != nil {
		return providers.Connection{}, flows.Secret{}, &providers.UsageError{Msg: err.Error()}
	}
	settings[InputAPIHostname], settings[InputIntegrationKey] = a.host, a.ikey
	secret := flows.NewSecret(map[string]string{InputSecretKey: skey})
	io.Events.Emit(flows.Progress{Message: "sending a signed Admin API request to " + a.host})
	if err := p.authenticate(ctx, a, skey); err != nil {
		return providers.Connection{}, flows.Secret{}, err
	}
	io.Events.Emit(flows.Progress{Message: "Duo accepted the signature of application " + a.ikey})
	return providers.Connection{Provider: ID, Method: m.ID, Tenant: a.host, Settings: settings}, secret, nil
}
