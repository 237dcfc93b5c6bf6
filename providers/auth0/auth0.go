// Package auth0 connects tether to an Auth0 tenant through a Machine to
// Machine application authorized for the Management API, and verifies the
// scopes the platform needs from the token response's scope plus a probe
// of each Management API endpoint the platform reads.
//
// Wire contract: shared/providers/okta-duo-auth0.md §3. The emulator is
// auth0test.
package auth0

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

// ID is the catalog id of Auth0.
const ID = "auth0"

// Input keys.
const (
	InputDomain       = "domain"
	InputCustomDomain = "custom_domain"
	InputClientID     = "client_id"
	InputClientSecret = "client_secret"
	InputPrivateKey   = "private_key"
	InputSigningAlg   = "signing_alg"
)

// Method ids.
const (
	MethodClientSecret  = "client-secret"
	MethodPrivateKeyJWT = "private-key-jwt"
)

// Provider is Auth0.
type Provider struct {
	env providers.Env
	cat catalog.Provider
}

var _ providers.Provider = (*Provider)(nil)

// New returns the Auth0 provider for the catalog's requirements.
func New(cat *catalog.Catalog, env providers.Env) (*Provider, error) {
	cp, ok := cat.Provider(ID)
	if !ok {
		return nil, errors.New("auth0: not in the catalog")
	}
	return &Provider{env: env.WithDefaults(), cat: cp}, nil
}

func (p *Provider) ID() string { return ID }

// Describe names the tenant, the application and the host the credential
// is sent to.
func (p *Provider) Describe(conn providers.Connection) providers.Description {
	d := providers.Description{Tenant: conn.Tenant, Principal: "application " + conn.Settings[InputClientID]}
	if t, err := tenantOf(conn.Settings); err == nil {
		d.Tenant, d.APIHost = t.domain, t.base
	}
	return d
}

var (
	domainInput = providers.Input{
		Key: InputDomain, Label: "Tenant domain",
		Help:        "Settings → Domain: the canonical *.auth0.com one, even with a custom domain",
		Placeholder: "acme.us.auth0.com",
		Validate:    func(s string) error { _, err := CanonicalDomain(s); return err },
	}
	customDomainInput = providers.Input{
		Key: InputCustomDomain, Label: "Custom domain", Optional: true,
		Help:        "only if API calls must go through your custom domain; leave empty otherwise",
		Placeholder: "login.acme.com",
		Validate:    func(s string) error { _, err := CustomDomain(s); return err },
	}
	clientIDInput = providers.Input{
		Key: InputClientID, Label: "Client ID",
		Help:        "the Machine to Machine application's Settings tab",
		Placeholder: "2iZo3Uczt5LFHacKdM0zzgUO2eG2uDjT",
		Validate:    validClientID,
	}
)

func (p *Provider) Methods() []providers.Method {
	return []providers.Method{
		{
			ID: MethodClientSecret, Name: "Client secret", Kind: providers.KindClientCredentials,
			Summary: "quickest: paste the application's client secret",
			Inputs: []providers.Input{domainInput, clientIDInput, {
				Key: InputClientSecret, Label: "Client secret", Secret: true,
				Help:     "the application's Settings tab → Client Secret",
				Validate: validClientSecret,
			}, customDomainInput},
		},
		{
			ID: MethodPrivateKeyJWT, Name: "Private key JWT", Kind: providers.KindClientCredentials,
			Summary: "no shared secret: the application authenticates with a key pair whose public key you register",
			Inputs: []providers.Input{domainInput, clientIDInput, {
				Key: InputPrivateKey, Label: "Private key (PEM)", Secret: true, Multiline: true,
				Help:     "the private half of the key registered under the application's Credentials tab; tether can generate the pair",
				Validate: validPrivateKey,
				Generate: generateKeyPair,
			}, {
				Key: InputSigningAlg, Label: "Signing algorithm", Optional: true,
				Help:     "the algorithm chosen when the public key was registered: RS256 (default), RS384 or PS256",
				Validate: validAlg,
			}, customDomainInput},
		},
	}
}

// CanonicalDomain normalizes a tenant domain ("https://Acme.us.auth0.com/"
// → "acme.us.auth0.com") and checks that it is an Auth0 domain: a host
// name (flows.ParseHost: no user information, path or port) under
// auth0.com.
func CanonicalDomain(s string) (string, error) {
	h, err := flows.ParseHost(s, flows.HostOptions{})
	if err != nil || !strings.HasSuffix(h.Name, ".auth0.com") {
		return "", fmt.Errorf("%s is not an Auth0 tenant domain%s: use the canonical domain from Settings → Domain, like acme.us.auth0.com (a custom domain goes in %s)", providers.Shown(s), hostReason(err), InputCustomDomain)
	}
	return h.Name, nil
}

// hostReason is why flows.ParseHost refused a host, as a parenthesis.
func hostReason(err error) string {
	var he *flows.HostError
	if errors.As(err, &he) {
		return " (" + he.Reason + ")"
	}
	return ""
}

// CustomDomain normalizes a custom domain: a host name (flows.ParseHost:
// no user information, path or query), with a port only on this
// machine's loopback address, for tests against an emulator. It returns
// the host:port that API calls go to.
func CustomDomain(s string) (string, error) {
	h, err := flows.ParseHost(s, flows.HostOptions{Loopback: true})
	if err != nil {
		return "", fmt.Errorf("%s is not a domain name%s: use the custom domain alone, like login.acme.com", providers.Shown(s), hostReason(err))
	}
	return h.String(), nil
}

var clientIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`)

func validClientID(s string) error {
	if !clientIDPattern.MatchString(strings.TrimSpace(s)) {
		return errors.New("not an Auth0 client ID: expect 32 letters and digits, like 2iZo3Uczt5LFHacKdM0zzgUO2eG2uDjT (Settings tab of the application)")
	}
	return nil
}

// validClientSecret never quotes the value.
func validClientSecret(s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return errors.New("the client secret is empty")
	case strings.ContainsAny(strings.TrimSpace(s), " \t\r\n"):
		return errors.New("the client secret contains spaces or line breaks: copy it again with the copy button")
	case len(strings.TrimSpace(s)) < 20:
		return fmt.Errorf("the client secret is %s long, which looks truncated: Auth0 secrets are 64 characters", characters(len(strings.TrimSpace(s))))
	}
	return nil
}

// characters counts characters in words: "1 character", "12 characters".
func characters(n int) string {
	if n == 1 {
		return "1 character"
	}
	return fmt.Sprintf("%d characters", n)
}

var signingAlgs = []string{"RS256", "RS384", "PS256"}

// generateKeyPair makes an RSA key pair for private_key_jwt: the private
// key becomes the stored secret; its public key, as PEM, is what the admin
// registers under the application's Credentials tab.
func generateKeyPair() (providers.Generated, error) {
	key, err := flows.GenerateKey()
	if err != nil {
		return providers.Generated{}, err
	}
	priv, err := flows.PrivateKeyPEM(key)
	if err != nil {
		return providers.Generated{}, err
	}
	pub, err := flows.PublicKeyPEM(key)
	if err != nil {
		return providers.Generated{}, err
	}
	return providers.Generated{Value: priv, Show: []providers.Artifact{
		{Label: "Public key (PEM) to register, algorithm RS256", Text: pub, Copy: true},
	}}, nil
}

// validPrivateKey accepts an RSA private key in PEM: Auth0 verifies client
// assertions signed with RS256, RS384 or PS256 only.
func validPrivateKey(s string) error {
	k, err := flows.ParsePrivateKeyPEM(s)
	if err != nil {
		return err
	}
	if _, ok := k.(*rsa.PrivateKey); !ok {
		return errors.New("the private key is not RSA: Auth0 verifies client assertions signed with RS256, RS384 or PS256, which need an RSA key (openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048)")
	}
	return nil
}

func validAlg(s string) error {
	if !slices.Contains(signingAlgs, strings.ToUpper(strings.TrimSpace(s))) {
		return fmt.Errorf("%s is not an algorithm Auth0 accepts for client assertions: use %s", providers.Shown(s), strings.Join(signingAlgs, ", "))
	}
	return nil
}

// tenant holds a connection's endpoints.
type tenant struct {
	domain string // canonical, for the audience
	base   string // the host called: the custom domain, or the canonical one
}

func (t tenant) audience() string { return "https://" + t.domain + "/api/v2/" }
func (t tenant) url(path string) string {
	return "https://" + t.base + path
}

// dashboard returns the tenant's Auth0 Dashboard URL for path
// ("apis/management/authorized-clients").
func (t tenant) dashboard(path string) string {
	labels := strings.Split(t.domain, ".")
	region := "us" // legacy {tenant}.auth0.com tenants are in the US
	if len(labels) == 4 {
		region = labels[1]
	}
	return "https://manage.auth0.com/dashboard/" + region + "/" + labels[0] + "/" + path
}

func tenantOf(settings map[string]string) (tenant, error) {
	d, err := CanonicalDomain(settings[InputDomain])
	if err != nil {
		return tenant{}, err
	}
	t := tenant{domain: d, base: d}
	if c := settings[InputCustomDomain]; c != "" {
		if t.base, err = CustomDomain(c); err != nil {
			return tenant{}, err
		}
	}
	return t, nil
}

func (p *Provider) Steps(m providers.Method, in providers.Inputs) []providers.Step {
	t, err := tenantOf(in.Values)
	link := func(path string) string {
		if err != nil {
			return "https://manage.auth0.com/"
		}
		return t.dashboard(path)
	}
	scopes := strings.Join(p.cat.Scopes(nil), ", ")
	steps := []providers.Step{{
		Title:  "Create a Machine to Machine application",
		Detail: `Applications → Applications → Create Application; name it "tether" and choose Machine to Machine Applications.`,
		URL:    link("applications"),
	}, {
		Title:  "Authorize it for the Auth0 Management API with exactly these scopes",
		Detail: "Select Auth0 Management API, then tick " + scopes + " and nothing else; Authorize.",
		URL:    link("apis/management/authorized-clients"),
	}}
	appLink := link("applications")
	if id := in.Get(InputClientID); id != "" && validClientID(id) == nil {
		appLink = link("applications/" + id + "/settings")
	}
	if m.ID == MethodPrivateKeyJWT {
		return append(steps, providers.Step{
			Title:  "Register your public key",
			Detail: "Credentials tab → Authentication Method: Private Key JWT; add the public key (PEM) and note the algorithm. tether signs with the private key.",
			URL:    appLink,
		}, providers.Step{
			Title:  "Copy the Domain and Client ID",
			Detail: "From the Settings tab. The domain is the canonical *.auth0.com one.",
			URL:    appLink,
		})
	}
	return append(steps, providers.Step{
		Title:  "Copy the Domain, Client ID and Client Secret",
		Detail: "From the Settings tab. The domain is the canonical *.auth0.com one.",
		URL:    appLink,
	})
}

// credentials returns the client that requests a connection's Management
// API tokens: client_secret_post (Auth0 takes the secret in the body) or
// private_key_jwt, with the audience as a token request parameter.
func (p *Provider) credentials(t tenant, method string, settings map[string]string, secret flows.Secret) (flows.Client, error) {
	c := flows.Client{
		Endpoints:   flows.Endpoints{TokenURL: t.url("/oauth/token")},
		ClientID:    strings.TrimSpace(settings[InputClientID]),
		AuthStyle:   oauth2.AuthStyleInParams,
		TokenParams: map[string][]string{"audience": {t.audience()}},
		HTTPClient:  p.env.HTTP,
	}
	switch method {
	case MethodClientSecret:
		c.ClientSecret = strings.TrimSpace(secret.Get(InputClientSecret))
		if c.ClientSecret == "" {
			return c, errors.New("the stored credential has no client secret; run tether setup auth0 again")
		}
	case MethodPrivateKeyJWT:
		key, err := flows.ParsePrivateKeyPEM(secret.Get(InputPrivateKey))
		if err != nil {
			return c, err
		}
		alg := strings.ToUpper(settings[InputSigningAlg])
		if alg == "" {
			alg = "RS256"
		}
		c.Assertion = &flows.Assertion{Key: key, Algorithm: alg, Audience: t.url("/"), Now: p.env.Clock.Time}
	default:
		return c, fmt.Errorf("unknown method %q", method)
	}
	return c, nil
}

// mint requests a Management API token.
func (p *Provider) mint(ctx context.Context, t tenant, method string, settings map[string]string, secret flows.Secret) (*oauth2.Token, error) {
	c, err := p.credentials(t, method, settings, secret)
	if err != nil {
		return nil, err
	}
	return c.ClientCredentialsToken(ctx)
}

func (p *Provider) Connect(ctx context.Context, m providers.Method, in providers.Inputs, io flows.Interaction) (providers.Connection, flows.Secret, error) {
	events := io.Events
	settings := map[string]string{}
	for _, k := range []string{InputDomain, InputCustomDomain, InputClientID, InputSigningAlg} {
		if v := in.Get(k); v != "" {
			settings[k] = v
		}
	}
	t, err := tenantOf(settings)
	if err != nil {
		return providers.Connection{}, flows.Secret{}, &providers.UsageError{Msg: err.Error()}
	}
	settings[InputDomain] = t.domain
	if settings[InputCustomDomain] != "" {
		settings[InputCustomDomain] = t.base
	}
	if alg := settings[InputSigningAlg]; alg != "" {
		settings[InputSigningAlg] = strings.ToUpper(alg)
	}
	secret := flows.NewSecret(map[string]string{
		InputClientSecret: strings.TrimSpace(in.Get(InputClientSecret)),
		InputPrivateKey:   in.Get(InputPrivateKey),
	})
	events.Emit(flows.Progress{Message: "requesting a Management API token from " + t.base})
	_, err = p.mint(ctx, t, m.ID, settings, secret)
	if err != nil && !isNoGrant(err) {
		return providers.Connection{}, flows.Secret{}, p.signInError(t, settings, err)
	}
	if err != nil {
		events.Emit(flows.Progress{Message: "the credentials are valid, but the application is not yet authorized for the Management API"})
	} else {
		events.Emit(flows.Progress{Message: "signed in to " + t.domain})
	}
	return providers.Connection{Provider: ID, Method: m.ID, Tenant: t.domain, Settings: settings}, secret, nil
}

// isNoGrant reports whether Auth0 authenticated the client but found no
// client grant for the Management API. Auth0 gives no error code to tell
// this 403 access_denied from others, so its description is read.
func isNoGrant(err error) bool {
	var te *flows.TokenError
	return errors.As(err, &te) && te.Status == http.StatusForbidden && te.Code == "access_denied" &&
		strings.HasPrefix(te.Description, "Client is not authorized to access")
}

// signInError explains a failed token request.
func (p *Provider) signInError(t tenant, settings map[string]string, err error) error {
	var te *flows.TokenError
	if !errors.As(err, &te) {
		return err // a NetworkError or a bad key: its message says it
	}
	reason := "Auth0 refused the token request (" + te.Error() + ")"
	settingsURL := t.dashboard("applications/" + settings[InputClientID] + "/settings")
	switch {
	case te.Status == http.StatusUnauthorized:
		return &providers.SignInError{Reason: "Auth0 rejected the client credentials (" + te.Error() + ")",
			Fix: "check the client ID and the client secret (or registered key) on " + settingsURL, Err: err}
	case te.Code == "unauthorized_client":
		return &providers.SignInError{Reason: reason,
			Fix: "enable the Client Credentials grant under Settings → Advanced Settings → Grant Types on " + settingsURL, Err: err}
	case te.Status == http.StatusForbidden && strings.HasPrefix(te.Description, "Service not found"):
		return &providers.SignInError{Reason: reason,
			Fix: "the domain must be the tenant's canonical *.auth0.com domain (Settings → Domain); put a custom domain in " + InputCustomDomain, Err: err}
	case te.Status == http.StatusTooManyRequests:
		fix := "wait a minute and try again"
		if s, perr := strconv.Atoi(strings.TrimSpace(te.Header.Get("Retry-After"))); perr == nil && s > 0 {
			fix = fmt.Sprintf("Auth0 asks to wait %s; try again after that", time.Duration(s)*time.Second)
		}
		return &providers.SignInError{Reason: "Auth0 is rate-limiting token requests for this application (" + te.Error() + ")",
			Fix: fix, Err: err}
	}
	return &providers.SignInError{Reason: reason, Err: err}
}

// grantedScopes reads the granted scopes from the token response's scope,
// or from the access token's scope claim when the response omits it (the
// Authentication API reference does not promise the field). The token
// came over TLS from the tenant itself, so its signature is not checked.
//
// known is false when neither says: the grant is then unknown, not empty.
func grantedScopes(tok *oauth2.Token) (scopes []string, source string, known bool) {
	if s, ok := tok.Extra("scope").(string); ok {
		return strings.Fields(s), "token response scope", true
	}
	parsed, err := jwt.ParseSigned(tok.AccessToken, []jose.SignatureAlgorithm{jose.RS256, jose.HS256, jose.PS256, jose.ES256})
	if err == nil {
		var c map[string]any
		if parsed.UnsafeClaimsWithoutVerification(&c) == nil {
			if s, ok := c["scope"].(string); ok {
				return strings.Fields(s), "access token scope claim", true
			}
		}
	}
	return nil, "the token (it lists no scopes)", false
}
