package okta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

// ResetHeader is Okta's rate-limit reset header (Unix seconds, §1.3).
const ResetHeader = "X-Rate-Limit-Reset"

// decodeError reads Okta's error envelope, and the OAuth error of a
// WWW-Authenticate challenge (insufficient_scope) when the envelope
// says nothing more precise.
func decodeError(_ int, body []byte) (code, message string) {
	var env struct {
		ErrorCode    string `json:"errorCode"`
		ErrorSummary string `json:"errorSummary"`
		Error        string `json:"error"`
		Description  string `json:"error_description"`
	}
	if json.Unmarshal(body, &env) != nil {
		return "", ""
	}
	if env.ErrorCode != "" {
		return env.ErrorCode, env.ErrorSummary
	}
	return env.Error, env.Description
}

// insufficientScope reports whether an answer is a refusal for a scope
// the OAuth token lacks (WWW-Authenticate … error="insufficient_scope").
func insufficientScope(a providers.Answer) bool {
	if a.Status != http.StatusForbidden || a.Header == nil {
		return false
	}
	for _, c := range flows.ParseChallenges(a.Header.Values("WWW-Authenticate")) {
		if c.Params["error"] == "insufficient_scope" {
			return true
		}
	}
	return false
}

// Admin Console pages (paths on the -admin host) the steps and fixes
// link to.
const (
	rolesPage     = "/admin/access/admins/roles"
	resourcesPage = "/admin/access/admins/resource-sets"
)

// appPage is an app's General tab in the Admin Console.
func appPage(id string) string {
	return "/admin/app/oidc_client/instance/" + url.PathEscape(id) + "/#tab-general"
}

// prober makes an org's API requests with one authorization.
func (p *Provider) prober(warn func(string), authorize func(*http.Request) error) *providers.Prober {
	return &providers.Prober{Provider: "Okta", Env: p.env, ResetHeader: ResetHeader, DecodeError: decodeError,
		Warn: warn, Authorize: authorize}
}

func sswsAuth(token string) func(*http.Request) error {
	return func(r *http.Request) error { r.Header.Set("Authorization", "SSWS "+token); return nil }
}

// discover reads the org's /.well-known/okta-organization, which maps a
// custom domain to the org's Okta domain, and returns the org tether
// calls. An Okta domain that does not answer it is used as given; a
// custom domain must prove that it is an Okta org.
func (p *Provider) discover(ctx context.Context, o Org, events flows.Events) (Org, error) {
	pr := p.prober(nil, nil)
	a := pr.Get(ctx, o.URL("/.well-known/okta-organization"))
	if !a.OK() {
		if o.IsOktaDomain() && a.Err == nil {
			return o, nil
		}
		return o, &providers.SignInError{Reason: o.Host + " does not answer as an Okta org (" + a.String() + ")",
			Fix: "check the org URL: it is the address you sign in to Okta at, like acme.okta.com"}
	}
	var doc struct {
		Links struct {
			Organization struct {
				Href string `json:"href"`
			} `json:"organization"`
		} `json:"_links"`
	}
	if err := json.Unmarshal(a.Body, &doc); err != nil || doc.Links.Organization.Href == "" {
		return o, &providers.SignInError{Reason: o.Host + "/.well-known/okta-organization does not name the org", Fix: "check the org URL"}
	}
	canon, err := ParseOrg(doc.Links.Organization.Href)
	if err != nil || !canon.IsOktaDomain() {
		return o, &providers.SignInError{Reason: fmt.Sprintf("%s names its org as %q, which is not an Okta domain", o.Host, doc.Links.Organization.Href),
			Fix: "use the org's Okta domain (like acme.okta.com) as the org URL"}
	}
	if canon.Host != o.Host {
		events.Emit(flows.Progress{Message: o.Host + " is a custom domain of " + canon.Host + "; tether calls " + canon.Host})
	}
	return canon, nil
}

// owner is the user an SSWS token acts as.
type owner struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	Profile struct {
		Login string `json:"login"`
	} `json:"profile"`
}

func parseOwner(body []byte) (owner, error) {
	var u owner
	if err := json.Unmarshal(body, &u); err != nil || !userIDPattern.MatchString(u.ID) {
		return owner{}, errors.New("the answer of GET /api/v1/users/me is not an Okta user")
	}
	return u, nil
}

// tokenError explains a refused SSWS request: 401 E0000011 is a bad,
// expired or revoked token; 403 E0000005 a malformed header.
func tokenError(o Org, a providers.Answer) error {
	tokens := o.Admin("/admin/access/api/tokens")
	switch {
	case a.Status == http.StatusUnauthorized && a.Code == "E0000011":
		return &providers.SignInError{Reason: "Okta rejected the API token: it is unknown, expired (30 days unused) or revoked (" + a.String() + ")",
			Fix: "create a new token under Security → API → Tokens (" + tokens + ") and run setup again"}
	case a.Status == http.StatusForbidden && a.Code == "E0000005":
		return &providers.SignInError{Reason: "Okta did not read the Authorization header (" + a.String() + ")",
			Fix: "paste the token alone, as Security → API → Tokens showed it"}
	case a.Err != nil:
		return a.Err
	}
	return &providers.SignInError{Reason: "Okta refused GET /api/v1/users/me (" + a.String() + ")", Fix: providers.Answer{Status: a.Status}.Advice("Okta")}
}

// whoAmI reads the token's owner.
func (p *Provider) whoAmI(ctx context.Context, o Org, pr *providers.Prober) (owner, providers.Answer, error) {
	a := pr.Get(ctx, o.URL("/api/v1/users/me"))
	if !a.OK() {
		return owner{}, a, tokenError(o, a)
	}
	u, err := parseOwner(a.Body)
	return u, a, err
}

func (p *Provider) Connect(ctx context.Context, m providers.Method, in providers.Inputs, io flows.Interaction) (providers.Connection, flows.Secret, error) {
	events := io.Events
	o, err := ParseOrg(in.Get(InputOrg))
	if err != nil {
		return providers.Connection{}, flows.Secret{}, &providers.UsageError{Msg: err.Error()}
	}
	if o.Corrected != "" {
		events.Emit(flows.Progress{Message: in.Get(InputOrg) + ": " + o.Corrected})
	}
	if o, err = p.discover(ctx, o, events); err != nil {
		return providers.Connection{}, flows.Secret{}, err
	}
	settings := map[string]string{InputOrg: o.Host}
	switch m.ID {
	case MethodAPIToken:
		token := strings.TrimSpace(in.Get(InputToken))
		events.Emit(flows.Progress{Message: "reading the API token's owner from " + o.Host})
		u, _, err := p.whoAmI(ctx, o, p.prober(nil, sswsAuth(token)))
		if err != nil {
			return providers.Connection{}, flows.Secret{}, err
		}
		settings[settingOwnerID], settings[settingOwnerLogin] = u.ID, u.Profile.Login
		events.Emit(flows.Progress{Message: "the token acts as " + u.Profile.Login + ", with exactly that admin's privileges, which change when theirs do"})
		return providers.Connection{Provider: ID, Method: m.ID, Tenant: o.Host, Settings: settings},
			flows.NewSecret(map[string]string{InputToken: token}), nil
	case MethodServiceApp:
		return p.connectServiceApp(ctx, m, o, settings, in, events)
	case MethodCreate:
		return p.connectCreate(ctx, m, o, settings, in, io)
	}
	return providers.Connection{}, flows.Secret{}, &providers.UsageError{Msg: "okta has no method " + m.ID}
}

func (p *Provider) Steps(m providers.Method, in providers.Inputs) []providers.Step {
	o, err := ParseOrg(in.Get(InputOrg))
	link := func(path string) string {
		if err != nil {
			return "https://login.okta.com/"
		}
		return o.Admin(path)
	}
	roles := providers.Step{
		Title: `Create the custom admin role "tether Help Desk" for remediation (only if you enable it)`,
		Detail: "Security → Administrators → Roles → Create new role with exactly " + strings.Join(remediationPermissions(p.cat), ", ") +
			"; then Resources (" + link(resourcesPage) + ") → Create new resource set with All users. A custom role cannot read the System Log, so pair it with the standard Read-Only Administrator role.",
		URL: link(rolesPage),
	}
	switch m.ID {
	case MethodCreate:
		return []providers.Step{{
			Title:  "Create a temporary API token as a Super Administrator",
			Detail: "Security → API → Tokens → Create token. tether uses it once to create the API Services app \"tether\" with exactly the scopes and roles it needs, never stores it, and offers to revoke it at the end.",
			URL:    link("/admin/access/api/tokens"),
		}}
	case MethodServiceApp:
		app := link("/admin/apps/active")
		if id := in.Get(InputClientID); id != "" && validClientID(id) == nil {
			app = link(appPage(id))
		}
		return []providers.Step{{
			Title:  "Create an API Services app",
			Detail: `Applications → Create App Integration → API Services; name it "tether".`,
			URL:    link("/admin/apps/active"),
		}, {
			Title:  "Register tether's public key",
			Detail: "General → Client Credentials → Edit → Public key / Private key; Add key and paste the JWK tether shows. Leave DPoP as it is: tether follows either setting.",
			URL:    app,
		}, {
			Title:  "Grant the okta.* scopes",
			Detail: "Okta API Scopes tab: Grant " + strings.Join(serviceScopes(false), ", ") + " (and okta.users.manage, okta.roles.read for remediation).",
			URL:    app,
		}, {
			Title:  "Assign the app the Read-Only Administrator role",
			Detail: "Admin roles tab → Edit assignments → Read-Only Administrator. The scopes alone do nothing: Okta checks the app's admin roles too.",
			URL:    app,
		}, roles}
	}
	return []providers.Step{{
		Title:  "Sign in as the admin tether should act as",
		Detail: "The token carries its creator's privileges: use a dedicated admin with the Read-Only Administrator role (and the custom role below for remediation), not a Super Administrator.",
		URL:    link("/admin/access/admins"),
	}, roles, {
		Title:  "Create an API token",
		Detail: `Security → API → Tokens → Create token; name it "tether" and copy the value (Okta shows it once).`,
		URL:    link("/admin/access/api/tokens"),
	}}
}
