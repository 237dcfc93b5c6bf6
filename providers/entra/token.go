package entra

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

// credentials returns the client that requests a connection's Microsoft
// Graph tokens: the secret in the body (client_secret_post, which Entra
// documents first), or a PS256 assertion naming its certificate by
// x5t#S256 (certificate-credentials.md).
func (p *Provider) credentials(cloud Cloud, tenant, method string, settings map[string]string, secret flows.Secret) (flows.Client, error) {
	c := flows.Client{
		Endpoints:  flows.Endpoints{TokenURL: cloud.TokenURL(tenant)},
		ClientID:   strings.ToLower(strings.TrimSpace(settings[InputClientID])),
		Scopes:     []string{cloud.DefaultScope()},
		AuthStyle:  oauth2.AuthStyleInParams,
		HTTPClient: p.env.HTTP,
	}
	switch method {
	case MethodClientSecret, MethodAdminConsent, MethodCreate:
		c.ClientSecret = strings.TrimSpace(secret.Get(InputClientSecret))
		if c.ClientSecret == "" {
			return c, errors.New("the stored credential has no client secret; run tether setup entra again")
		}
	case MethodCertificate:
		kp, err := parseKeyPair(secret.Get(InputCertificate))
		if err != nil {
			return c, fmt.Errorf("the stored certificate: %w; run tether setup entra again", err)
		}
		c.Assertion = &flows.Assertion{Key: kp.key, Algorithm: "PS256", Certificate: kp.cert,
			Audience: c.Endpoints.TokenURL, Lifetime: 0, Now: p.env.Clock.Time}
	default:
		return c, fmt.Errorf("unknown method %q", method)
	}
	return c, nil
}

// mint requests a fresh app-only Microsoft Graph token.
func (p *Provider) mint(ctx context.Context, cloud Cloud, tenant, method string, settings map[string]string, secret flows.Secret) (*oauth2.Token, error) {
	c, err := p.credentials(cloud, tenant, method, settings, secret)
	if err != nil {
		return nil, err
	}
	return c.ClientCredentialsToken(ctx)
}

// accessClaims are the claims of a Graph app-only token that tether
// reads (access-token-claims-reference.md, §1.2.4). Graph tokens are
// v1.0 tokens: appid names the client; v2.0 ones say azp.
type accessClaims struct {
	Audience jwt.Audience `json:"aud"`
	TenantID string       `json:"tid"`
	AppID    string       `json:"appid"`
	Azp      string       `json:"azp"`
	Roles    []string     `json:"roles"`
	Scp      string       `json:"scp"`
	IDType   string       `json:"idtyp"`
}

func (c accessClaims) client() string {
	if c.AppID != "" {
		return c.AppID
	}
	return c.Azp
}

// readClaims decodes an access token's claims without verifying its
// signature: it came over TLS from the token endpoint itself, and
// Microsoft says clients must not validate Graph tokens. A token whose
// roles claim is absent is one granted no application permission.
func readClaims(accessToken string) (accessClaims, error) {
	tok, err := jwt.ParseSigned(accessToken, []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.ES256})
	if err != nil {
		return accessClaims{}, errors.New("the access token is not a JWT, so its roles cannot be read")
	}
	var c accessClaims
	if err := tok.UnsafeClaimsWithoutVerification(&c); err != nil {
		return accessClaims{}, fmt.Errorf("the access token's claims do not decode: %w", err)
	}
	return c, nil
}

// checkClaims refuses a token that is not an app-only Graph token for
// this client and tenant.
func checkClaims(c accessClaims, cloud Cloud, tenant, clientID string) error {
	switch {
	case !strings.EqualFold(c.client(), clientID):
		return fmt.Errorf("the token was issued to application %q, not %s", c.client(), clientID)
	case !c.Audience.Contains(cloud.GraphResource()) && !c.Audience.Contains(graphAppID) && !c.Audience.Contains(cloud.GraphResource()+"/"):
		return fmt.Errorf("the token is for %v, not Microsoft Graph (%s)", []string(c.Audience), cloud.GraphResource())
	case guidPattern.MatchString(tenant) && !strings.EqualFold(c.TenantID, tenant):
		return fmt.Errorf("the token is from tenant %q, not %s", c.TenantID, tenant)
	case c.Scp != "":
		return errors.New("the token carries delegated scopes (scp): it is not an app-only token")
	}
	return nil
}

var aadstsPattern = regexp.MustCompile(`AADSTS(\d{4,8})\b`)

// AADSTS returns the AADSTS code an Entra error description starts with
// ("AADSTS7000215: Invalid client secret provided…"), or 0.
func AADSTS(description string) int {
	m := aadstsPattern.FindStringSubmatch(description)
	if m == nil {
		return 0
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return 0
	}
	return n
}

// firstLine is an Entra description without its Trace ID, Correlation ID
// and Timestamp lines.
func firstLine(desc string) string {
	line, _, _ := strings.Cut(desc, "\r\n")
	line, _, _ = strings.Cut(line, "\n")
	return strings.TrimSpace(line)
}

// signInProblem is what one AADSTS code means and how to fix it.
type signInProblem struct {
	reason string
	fix    func(l links) string
}

// links are the pages a fix points to, built from what was typed.
type links struct {
	cloud          Cloud
	tenant, client string
}

func (l links) credentials() string { return l.cloud.appBlade(l.client, "Credentials") }
func (l links) permissions() string { return l.cloud.appBlade(l.client, "CallAnAPI") }

// signInProblems maps the AADSTS codes an admin meets at the token
// endpoint (reference-error-codes.md, §1.7) to one plain sentence and
// the fix.
var signInProblems = map[int]signInProblem{
	7000215: {"Entra rejected the client secret", func(l links) string {
		return "paste the secret's Value, not its Secret ID, from Certificates & secrets (" + l.credentials() + "); create a new one if the value is lost"
	}},
	7000222: {"the client secret has expired", func(l links) string {
		return "create a new client secret under Certificates & secrets (" + l.credentials() + ") and run tether setup entra again (or use a certificate)"
	}},
	700016: {"no application with this client ID exists in the tenant", func(l links) string {
		return "check the Application (client) ID and that the Directory (tenant) ID is the app's tenant (" + l.cloud.appBlade(l.client, "Overview") + "); a multi-tenant app needs admin consent in this tenant first"
	}},
	90002: {"Entra found no tenant by that name", func(l links) string {
		return "use the Directory (tenant) ID from the app's Overview page, or a verified domain of the tenant; check the cloud too (" + l.cloud.ID + " was asked)"
	}},
	900023: {"Entra found no tenant by that name", func(l links) string {
		return "use the Directory (tenant) ID from the app's Overview page"
	}},
	65001: {"the application's permissions have not been consented", func(l links) string {
		return "grant admin consent on " + l.cloud.adminConsentURL(l.tenant, l.client)
	}},
	7000218: {"the request carried neither a client secret nor a certificate assertion", func(links) string {
		return "run tether setup entra again and give the secret or the certificate"
	}},
	700027: {"Entra could not verify the certificate assertion: the certificate is not registered for the app, or has expired", func(l links) string {
		return "upload the certificate tether holds under Certificates & secrets → Certificates (" + l.credentials() + "), or run setup again with the registered one"
	}},
	700024: {"the certificate assertion is outside its validity window", func(links) string {
		return "check this machine's clock (it must be within 5 minutes of the real time), then try again"
	}},
	50012: {"Entra refused the app's authentication", func(l links) string {
		return "check the certificate or secret registered under Certificates & secrets (" + l.credentials() + ")"
	}},
	70001: {"the application is disabled in the tenant", func(l links) string {
		return "enable it: Enterprise applications → the app → Properties → Enabled for users to sign in"
	}},
	7000112: {"the application is disabled in the tenant", func(l links) string {
		return "enable it: Enterprise applications → the app → Properties → Enabled for users to sign in"
	}},
	53003: {"Conditional Access blocked the sign-in", func(links) string {
		return "exclude the app's service principal from the Conditional Access policy that applies to workload identities, or sign in from an allowed location"
	}},
	70011: {"Entra refused the scope", func(l links) string {
		return "the scope must be " + l.cloud.DefaultScope() + "; check the cloud setting"
	}},
	500011: {"Microsoft Graph is not a resource in this cloud's tenant", func(links) string {
		return "check the cloud setting: global, usgov, usgov-dod or china"
	}},
	700025: {"the app is a public client, which cannot use a secret or certificate", func(l links) string {
		return "turn off Authentication → Allow public client flows for the app (" + l.cloud.appBlade(l.client, "Authentication") + ")"
	}},
}

// signInError explains a failed token request by its AADSTS code.
func signInError(l links, err error) error {
	var te *flows.TokenError
	if !errors.As(err, &te) {
		return err // a NetworkError or a bad key: its message says it
	}
	code := AADSTS(te.Description)
	said := te.Code
	if line := firstLine(te.Description); line != "" {
		said += ": " + line
	}
	if prob, ok := signInProblems[code]; ok {
		return &providers.SignInError{Reason: prob.reason + " (" + said + ")", Fix: prob.fix(l), Err: err}
	}
	if te.Status == http.StatusTooManyRequests {
		fix := "wait a minute and try again"
		if s, perr := strconv.Atoi(strings.TrimSpace(te.Header.Get("Retry-After"))); perr == nil && s > 0 {
			fix = fmt.Sprintf("Entra asks to wait %d seconds; try again after that", s)
		}
		return &providers.SignInError{Reason: "Entra is throttling token requests (" + said + ")", Fix: fix, Err: err}
	}
	reason := "Entra refused the token request (" + said + ")"
	fix := ""
	if code != 0 {
		fix = fmt.Sprintf("look the code up on https://login.microsoftonline.com/error?code=%d", code)
	}
	return &providers.SignInError{Reason: reason, Fix: fix, Err: err}
}
