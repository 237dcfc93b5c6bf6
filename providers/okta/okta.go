// Package okta connects tether to an Okta org with an SSWS API token (which
// acts with the privileges of the admin who created it) or with an OAuth
// 2.0 service app (client credentials with private_key_jwt, okta.* scopes
// and, when the app requires it, DPoP). It verifies READ on /api/v1/* by
// probing every read endpoint the platform uses, and each remediation
// capability through the admin roles of the token's owner (their custom
// roles' permissions and resource sets), never by calling a write endpoint.
//
// Wire contract: shared/providers/okta-duo-auth0.md §1. The emulator is
// oktatest.
package okta

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

// ID is the catalog id of Okta.
const ID = "okta"

// Input keys.
const (
	InputOrg        = "org"
	InputToken      = "api_token"
	InputClientID   = "client_id"
	InputPrivateKey = "private_key"
	InputKeyID      = "key_id"
)

// Settings kept besides the inputs.
const (
	settingOwnerID    = "owner_id"
	settingOwnerLogin = "owner_login"
)

// Method ids.
const (
	MethodAPIToken   = "api-token"
	MethodServiceApp = "service-app"
)

// Provider is Okta.
type Provider struct {
	env providers.Env
	cat catalog.Provider
}

var _ providers.Provider = (*Provider)(nil)

// New returns the Okta provider for the catalog's requirements.
func New(cat *catalog.Catalog, env providers.Env) (*Provider, error) {
	cp, ok := cat.Provider(ID)
	if !ok {
		return nil, errors.New("okta: not in the catalog")
	}
	return &Provider{env: env.WithDefaults(), cat: cp}, nil
}

func (p *Provider) ID() string { return ID }

// Describe names the org, who the credential acts as and the host it is
// sent to.
func (p *Provider) Describe(conn providers.Connection) providers.Description {
	d := providers.Description{Tenant: conn.Tenant}
	if o, err := ParseOrg(conn.Settings[InputOrg]); err == nil {
		d.Tenant, d.APIHost = o.Host, o.Host
	}
	switch conn.Method {
	case MethodAPIToken:
		d.Principal = "API token of " + cmpOr(conn.Settings[settingOwnerLogin], "its creator")
	case MethodServiceApp, MethodCreate:
		d.Principal = "service app " + conn.Settings[InputClientID]
	}
	return d
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

var orgInput = providers.Input{
	Key: InputOrg, Label: "Okta org URL",
	Help:        "the address of your Okta org (not the -admin one), or its custom domain",
	Placeholder: "acme.okta.com",
	Validate:    func(s string) error { _, err := ParseOrg(s); return err },
}

func (p *Provider) Methods() []providers.Method {
	return []providers.Method{
		{
			ID: MethodAPIToken, Name: "API token (SSWS)", Kind: providers.KindKeyEntry,
			Summary: "quickest: paste an API token; it acts with the privileges of the admin who creates it",
			Inputs: []providers.Input{orgInput, {
				Key: InputToken, Label: "API token", Secret: true,
				Help:        "Security → API → Tokens → Create token, created while signed in as the admin tether should act as",
				Placeholder: "00QCjAl4MlV-WPXM…0HmjFx-vbGua",
				Validate:    validToken,
			}},
		},
		{
			ID: MethodServiceApp, Name: "OAuth service app", Kind: providers.KindClientCredentials,
			Summary: "no admin's token: an API service app with okta.* scopes and admin roles of its own, signing in with a key pair",
			Inputs: []providers.Input{orgInput, {
				Key: InputClientID, Label: "Client ID",
				Help:        "the API Services app's General tab → Client Credentials",
				Placeholder: "0oa1b2c3d4e5f6g7h8i9",
				Validate:    validClientID,
			}, {
				Key: InputPrivateKey, Label: "Private key (PEM)", Secret: true, Multiline: true,
				Help:     "the private half of the key added under Client Credentials → Public Keys; tether can generate the pair and show the JWK to paste",
				Validate: validPrivateKey,
				Generate: generateKeyPair,
			}, {
				Key: InputKeyID, Label: "Key ID", Optional: true,
				Help:        "the KID Okta shows for the public key, when the app has more than one",
				Placeholder: "tether-1",
				Validate:    validKeyID,
			}},
		},
		{
			ID: MethodCreate, Name: "Create the service app for me", Kind: providers.KindKeyEntry,
			Summary: "tether creates the API Services app with exactly what the capabilities need, using a temporary Super Administrator token it never stores",
			Inputs:  []providers.Input{orgInput, bootstrapInput},
		},
	}
}

// okta's own domains, whose orgs have an -admin twin for the Admin Console.
var oktaSuffixes = []string{".okta.com", ".oktapreview.com", ".okta-emea.com", ".okta-gov.com", ".okta.mil"}

// Org is an Okta org as tether calls it.
type Org struct {
	// Host is the org's host name ("acme.okta.com"), or its custom domain.
	Host string
	// Corrected says what ParseOrg changed about the URL typed (an -admin
	// host), for a note to the admin; empty when nothing.
	Corrected string
}

// URL is the org's https URL for path.
func (o Org) URL(path string) string { return "https://" + o.Host + path }

// Admin is the Admin Console URL for path: the -admin twin of an Okta
// domain; a custom domain's console is on its Okta domain, which is not
// known here, so the org URL's own /admin is used.
func (o Org) Admin(path string) string {
	for _, s := range oktaSuffixes {
		if sub, ok := strings.CutSuffix(o.Host, s); ok {
			return "https://" + sub + "-admin" + s + path
		}
	}
	return "https://" + o.Host + path
}

// IsOktaDomain reports whether the org is named by one of Okta's domains
// rather than a custom one.
func (o Org) IsOktaDomain() bool {
	for _, s := range oktaSuffixes {
		if strings.HasSuffix(o.Host, s) {
			return true
		}
	}
	return false
}

var orgExample = "use the org's address, like acme.okta.com or https://acme.oktapreview.com"

// ParseOrg normalizes an org URL: a host name, with or without https://
// and with any path dropped (an Admin Console page pasted whole). An
// -admin host of an Okta domain is corrected to the org's own, and
// Corrected says so. Custom domains are accepted as they are: Okta's
// discovery document maps them to the org (Connect reads it).
func ParseOrg(s string) (Org, error) {
	raw := strings.TrimSpace(s)
	if raw == "" {
		return Org{}, errors.New("the org URL is empty: " + orgExample)
	}
	if strings.Contains(raw, "://") {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return Org{}, fmt.Errorf("%s is not a URL: %s", providers.Shown(raw), orgExample)
		}
		if !strings.EqualFold(u.Scheme, "https") {
			return Org{}, fmt.Errorf("%s: Okta orgs are reached over https only: %s", providers.Shown(raw), orgExample)
		}
		if u.User != nil {
			return Org{}, fmt.Errorf("%s has a user name in it: %s", providers.Shown(raw), orgExample)
		}
		raw = u.Host
	} else if i := strings.IndexAny(raw, "/?#"); i >= 0 {
		raw = raw[:i]
	}
	h, err := flows.ParseHost(raw, flows.HostOptions{})
	if err != nil || !strings.Contains(h.Name, ".") {
		return Org{}, fmt.Errorf("%s is not an org host name%s: %s", providers.Shown(s), hostReason(err), orgExample)
	}
	o := Org{Host: h.Name}
	for _, suf := range oktaSuffixes {
		if h.Name == suf[1:] {
			return Org{}, fmt.Errorf("%s is not an org host name (it is Okta's own domain): %s", providers.Shown(s), orgExample)
		}
		sub, ok := strings.CutSuffix(h.Name, suf)
		if !ok {
			continue
		}
		if sub == "" || strings.Contains(sub, ".") {
			return Org{}, fmt.Errorf("%s is not an org of %s: %s", providers.Shown(s), strings.TrimPrefix(suf, "."), orgExample)
		}
		if base, ok := strings.CutSuffix(sub, "-admin"); ok && base != "" {
			o.Host = base + suf
			o.Corrected = "that is the Admin Console's address; tether calls the org itself, " + o.Host
		}
	}
	return o, nil
}

func hostReason(err error) string {
	var he *flows.HostError
	if errors.As(err, &he) {
		return " (" + he.Reason + ")"
	}
	return ""
}

var tokenPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// validToken checks an SSWS token's shape, never quoting it. Okta does
// not document its format (42 characters starting with 00 is what is
// seen), so only the character set and a plausible length are enforced.
func validToken(s string) error {
	t := strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(strings.ToUpper(t), "SSWS "):
		return errors.New("paste the token alone, without the SSWS prefix")
	case strings.ContainsAny(t, " \t\r\n"):
		return errors.New("the API token contains spaces or line breaks: copy it again from the Create token dialog")
	case !tokenPattern.MatchString(t):
		return errors.New("the API token has characters Okta tokens do not: expect letters, digits, - and _, like 00QCjAl4MlV-WPXM…0HmjFx-vbGua (42 characters)")
	case len(t) < 20:
		return fmt.Errorf("the API token is %d characters long, which looks truncated: Okta tokens are 42 characters, starting with 00", len(t))
	case len(t) > 200:
		return fmt.Errorf("the API token is %d characters long: Okta tokens are 42 characters, starting with 00", len(t))
	}
	return nil
}

var clientIDPattern = regexp.MustCompile(`^0oa[A-Za-z0-9]{10,40}$`)

func validClientID(s string) error {
	if !clientIDPattern.MatchString(strings.TrimSpace(s)) {
		return errors.New("not an Okta client ID: expect 0oa followed by letters and digits, like 0oa1b2c3d4e5f6g7h8i9 (the app's General tab)")
	}
	return nil
}

var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

func validKeyID(s string) error {
	if !keyIDPattern.MatchString(strings.TrimSpace(s)) {
		return errors.New("not a key ID: expect the KID Okta shows next to the public key, letters, digits, '.', '-' and '_'")
	}
	return nil
}
