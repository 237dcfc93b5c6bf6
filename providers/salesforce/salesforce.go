// Package salesforce connects tether to a Salesforce org through an
// External Client App (or an existing connected app) and verifies that the
// integration user's session can use the REST API: the api scope in the
// token response, then side-effect-free REST probes that tell a missing
// scope from a user or org without "API Enabled".
//
// Since Spring '26 customers can no longer create connected apps; the
// console steps create an External Client App instead, and an existing
// connected app keeps working as is.
//
// Wire contract: shared/providers/entra-google-salesforce.md §3. The
// emulator is salesforcetest.
package salesforce

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/providers"
)

// ID is the catalog id of Salesforce.
const ID = "salesforce"

// Input keys.
const (
	InputLoginHost  = "login_host"
	InputClientID   = "client_id"
	InputUsername   = "username"
	InputPrivateKey = "private_key"
	InputAudience   = "audience"
	// InputClientSecret is the consumer secret, for an app that keeps
	// "Require Secret for Web Server Flow".
	InputClientSecret = "client_secret"
	// InputPort is the loopback port of the web sign-in's callback URL.
	InputPort = "port"
)

// Method ids.
const (
	MethodJWTBearer = "jwt-bearer"
	MethodWeb       = "web"
	MethodDevice    = "device"
)

// DefaultPort is the callback port the Salesforce CLI registers too
// (sfdx-core webOAuthServer: http://localhost:1717/OauthRedirect).
const DefaultPort = 1717

// CallbackPath is the web sign-in's callback path.
const CallbackPath = "/OauthRedirect"

// webScopes are what the web sign-in asks for: api for the REST API
// reads, refresh_token so that the platform keeps collecting after the
// session expires, without another sign-in.
var webScopes = []string{"api", "refresh_token"}

// The login hosts of production orgs and of sandboxes (sfdx-core
// SfdcUrl.PRODUCTION and SfdcUrl.SANDBOX).
const (
	ProductionHost = "login.salesforce.com"
	SandboxHost    = "test.salesforce.com"
)

// Provider is Salesforce.
type Provider struct {
	env providers.Env
	cat catalog.Provider
}

var _ providers.Provider = (*Provider)(nil)

// New returns the Salesforce provider for the catalog's requirements.
func New(cat *catalog.Catalog, env providers.Env) (*Provider, error) {
	cp, ok := cat.Provider(ID)
	if !ok {
		return nil, errors.New("salesforce: not in the catalog")
	}
	return &Provider{env: env.WithDefaults(), cat: cp}, nil
}

func (p *Provider) ID() string { return ID }

// Describe names the org, the integration user and the host the session
// is sent to.
func (p *Provider) Describe(conn providers.Connection) providers.Description {
	d := providers.Description{Tenant: conn.Tenant}
	if u := conn.Settings[InputUsername]; u != "" {
		d.Principal = "user " + u
	}
	if id := conn.Settings[settingOrgID]; id != "" && d.Tenant == "" {
		d.Tenant = "org " + id
	}
	if iu, err := InstanceURL(conn.Settings[settingInstanceURL], conn.Settings[InputLoginHost]); err == nil {
		d.APIHost = iu.String()
	} else if h, err := LoginHost(conn.Settings[InputLoginHost]); err == nil {
		d.APIHost = h.String()
	}
	return d
}

var (
	loginHostInput = providers.Input{
		Key: InputLoginHost, Label: "Login host",
		Help:        "login.salesforce.com for production, test.salesforce.com for a sandbox, or your My Domain (Setup → My Domain)",
		Placeholder: ProductionHost,
		Validate:    func(s string) error { _, err := LoginHost(s); return err },
	}
	clientIDInput = providers.Input{
		Key: InputClientID, Label: "Consumer key",
		Help:        "the External Client App's Settings → OAuth Settings → Consumer Key and Secret",
		Placeholder: "3MVG9rZjd7MXFdLhq5R1XhHa8OP2e8yXgqQ6TzcLZzPAuX.Jv6rr5vO3bu1yJiQe1rWkl8b6u9zSbH1p3xxyH",
		Validate:    validClientID,
	}
	usernameInput = providers.Input{
		Key: InputUsername, Label: "Integration user's username",
		Help:        "the Salesforce username (not the e-mail) of the user tether acts as; a dedicated integration user with API Only is best",
		Placeholder: "tether-integration@acme.com",
		Validate:    validUsername,
	}
	audienceInput = providers.Input{
		Key: InputAudience, Label: "Assertion audience", Optional: true,
		Help:        "only for an Experience Cloud site; by default https://login.salesforce.com, or https://test.salesforce.com for a sandbox",
		Placeholder: "https://" + ProductionHost,
		Validate:    func(s string) error { _, err := Audience(s); return err },
	}
)

func (p *Provider) Methods() []providers.Method {
	return []providers.Method{
		{
			ID: MethodJWTBearer, Name: "JWT bearer (certificate)", Kind: providers.KindClientCredentials,
			Summary: "server to server, no password or browser: tether makes a key and a certificate you upload to the app",
			Inputs: []providers.Input{loginHostInput, clientIDInput, usernameInput, {
				Key: InputPrivateKey, Label: "Private key (PEM)", Secret: true, Multiline: true,
				Help:     "the private half of the certificate uploaded under the app's OAuth Settings → Use digital signatures; tether can generate both",
				Validate: validPrivateKey,
				Generate: generateCertificate,
			}, audienceInput},
		},
		{
			ID: MethodWeb, Name: "Web sign-in (PKCE)", Kind: providers.KindBrowserConsent,
			Summary: "sign in as the integration user in a browser; a refresh token keeps the session",
			Inputs: []providers.Input{loginHostInput, clientIDInput, {
				Key: InputPort, Label: "Callback port", Optional: true,
				Help:        fmt.Sprintf("the port of the callback URL registered on the app, http://localhost:PORT%s; %d by default", CallbackPath, DefaultPort),
				Placeholder: fmt.Sprint(DefaultPort),
				Validate:    func(s string) error { _, err := Port(s); return err },
			}, {
				Key: InputClientSecret, Label: "Consumer secret", Secret: true, Optional: true,
				Help:     "only if the app keeps \"Require Secret for Web Server Flow\" on; PKCE makes it unnecessary",
				Validate: validClientSecret,
			}},
		},
		{
			ID: MethodDevice, Name: "Device sign-in", Kind: providers.KindDeviceFlow,
			Summary: "for an app with the device flow enabled: enter a code on any device, no callback needed on this machine",
			Inputs:  []providers.Input{loginHostInput, clientIDInput},
		},
	}
}

// Port checks a callback port: a number from 1024 to 65535 (empty: the
// default).
func Port(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return DefaultPort, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1024 || n > 65535 {
		return 0, fmt.Errorf("%s is not a callback port: use a number from 1024 to 65535, like %d, the port of the app's callback URL", providers.Shown(s), DefaultPort)
	}
	return n, nil
}

// callbackURL is the web sign-in's exact callback URL for a port.
func callbackURL(port int) string {
	return fmt.Sprintf("http://localhost:%d%s", port, CallbackPath)
}

// validClientSecret never quotes the value.
func validClientSecret(s string) error {
	s = strings.TrimSpace(s)
	if strings.ContainsAny(s, " \t\r\n") || len(s) < 16 {
		return errors.New("not a consumer secret: copy it again from the app's OAuth Settings → Consumer Key and Secret (it is one word of about 64 characters)")
	}
	return nil
}

// LoginHost normalizes a login host: production, sandbox (or login, test)
// for the generic hosts, else a host name (flows.ParseHost) under
// salesforce.com, such as a My Domain (acme.my.salesforce.com) or a
// sandbox's (acme--dev.sandbox.my.salesforce.com). A loopback address
// with a port is accepted too, for an emulator.
func LoginHost(s string) (Host, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "production", "login":
		s = ProductionHost
	case "sandbox", "test":
		s = SandboxHost
	}
	h, err := parseHost(s)
	if err != nil {
		return Host{}, fmt.Errorf("%s is not a Salesforce login host%s: use login.salesforce.com, test.salesforce.com (a sandbox) or your My Domain like acme.my.salesforce.com", providers.Shown(s), hostReason(err))
	}
	if !h.IsLoopback() && !strings.HasSuffix(h.Name, ".salesforce.com") {
		return Host{}, fmt.Errorf("%s is not a Salesforce login host: use login.salesforce.com, test.salesforce.com (a sandbox) or your My Domain like acme.my.salesforce.com", providers.Shown(s))
	}
	return h, nil
}

// IsSandbox reports whether a login host signs in to sandboxes.
func (h Host) IsSandbox() bool {
	return h.Name == SandboxHost || strings.HasSuffix(h.Name, ".sandbox.my.salesforce.com")
}

// audience is the aud a JWT bearer assertion names for a login host: the
// generic host of its kind, even for a My Domain (§3.1).
func (h Host) audience() string {
	if h.IsSandbox() {
		return "https://" + SandboxHost
	}
	return "https://" + ProductionHost
}

// Audience checks an assertion audience override: an https URL with a
// host and no path beyond "/", like https://login.salesforce.com or an
// Experience Cloud site.
func Audience(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%s is not an audience: use an https URL like https://login.salesforce.com", providers.Shown(s))
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

var clientIDPattern = regexp.MustCompile(`^[A-Za-z0-9._]{20,255}$`)

func validClientID(s string) error {
	if !clientIDPattern.MatchString(strings.TrimSpace(s)) {
		return errors.New("not a Salesforce consumer key: expect about 85 letters, digits and dots starting with 3MVG, from the app's OAuth Settings → Consumer Key and Secret")
	}
	return nil
}

var usernamePattern = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

func validUsername(s string) error {
	if len(s) > 80 || !usernamePattern.MatchString(strings.TrimSpace(s)) {
		return errors.New("not a Salesforce username: it has the form of an e-mail address, like tether-integration@acme.com (Setup → Users → the user's Username)")
	}
	return nil
}
