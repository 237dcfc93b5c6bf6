package google

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/oauth2"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

// The browser method's inputs.
const (
	InputClientID     = "client_id"
	InputClientSecret = "client_secret"
)

// MethodBrowser is an admin's consent in the browser, to a Desktop app
// OAuth client of the customer's project.
const MethodBrowser = "browser"

// authURL is Google's authorization endpoint for installed apps (§2.5).
const authURL = "https://accounts.google.com/o/oauth2/v2/auth"

var oauthClientPattern = regexp.MustCompile(`^[0-9]{6,20}-[a-z0-9]{10,40}\.apps\.googleusercontent\.com$`)

func validOAuthClientID(s string) error {
	if !oauthClientPattern.MatchString(strings.TrimSpace(s)) {
		return errors.New("not an OAuth client id: expect the Desktop app client's id, like 406672361802-abc123def456ghi789.apps.googleusercontent.com (APIs & Services → Credentials)")
	}
	return nil
}

// validOAuthSecret never quotes the value.
func validOAuthSecret(s string) error {
	s = strings.TrimSpace(s)
	switch {
	case strings.ContainsAny(s, " \t\r\n"):
		return errors.New("the client secret contains spaces or line breaks: copy it again from the client's page")
	case strings.HasPrefix(s, "GOCSPX-") && len(s) >= 20, len(s) == 24:
		return nil
	}
	return errors.New("not a Desktop client's secret: it starts with GOCSPX- (APIs & Services → Credentials → the client → Client secrets)")
}

func browserMethod() providers.Method {
	admin := adminInput
	admin.Label = "Admin who consents"
	admin.Help = "the Workspace admin who signs in and consents; tether passes it to Google as the sign-in hint"
	return providers.Method{
		ID: MethodBrowser, Name: "Admin consent in the browser", Kind: providers.KindBrowserConsent,
		Summary: "an admin signs in and ticks the scopes; needs a Desktop app OAuth client in your Cloud project",
		Inputs: []providers.Input{{
			Key: InputClientID, Label: "OAuth client ID", Placeholder: "406672361802-abc123def456ghi789.apps.googleusercontent.com",
			Help: "APIs & Services → Credentials → Create credentials → OAuth client ID → Desktop app", Validate: validOAuthClientID,
		}, {
			Key: InputClientSecret, Label: "Client secret", Secret: true,
			Help: "the Desktop client's secret (GOCSPX-…); Google requires it though it is not treated as a secret", Validate: validOAuthSecret,
		}, admin},
	}
}

// installedApp is the Desktop client asking for scopes: offline access
// for a refresh token, the consent screen every time so that one is
// issued, and the admin as the sign-in hint.
func (p *Provider) installedApp(clientID, secret, admin string, scopes []string, incremental bool) flows.Client {
	params := url.Values{"access_type": {"offline"}, "prompt": {"consent"}}
	if admin != "" {
		params.Set("login_hint", admin)
	}
	if incremental {
		params.Set("include_granted_scopes", "true")
	}
	return flows.Client{
		Endpoints: flows.Endpoints{AuthorizationURL: authURL, TokenURL: TokenURL},
		ClientID:  clientID, ClientSecret: secret, AuthStyle: oauth2.AuthStyleInParams,
		Scopes: scopes, AuthParams: params, HTTPClient: p.env.HTTP, Clock: p.env.Clock,
	}
}

// normalScope is a granted scope as tether names it: Google may answer
// email and profile for the userinfo scopes (§2.5).
func normalScope(s string) string {
	switch s {
	case "email":
		return scopePrefix + "userinfo.email"
	case "profile":
		return scopePrefix + "userinfo.profile"
	}
	return s
}

// identityScope is asked beside the Admin SDK scopes so that tokeninfo
// names the account that consented: login_hint only suggests the admin,
// and the account chooser lets anyone signed in to the browser consent.
// It reads the account's address only and is not a grant tether checks.
const identityScope = "email"

// withIdentity is scopes and identityScope.
func withIdentity(scopes []string) []string {
	return append(slices.Clone(scopes), identityScope)
}

// grantedScopes reads the token response's scope, the only record of
// what the admin left ticked (§2.5); known is false when it has none.
// identityScope is left out: it grants nothing in the domain.
func grantedScopes(tok *oauth2.Token) (scopes []string, known bool) {
	s, ok := tok.Extra("scope").(string)
	if !ok {
		return nil, false
	}
	return adminScopes(strings.Fields(s)), true
}

// adminScopes normalizes scopes as tether names them, without
// identityScope.
func adminScopes(fields []string) []string {
	var out []string
	for _, f := range fields {
		if sc := normalScope(f); sc != normalScope(identityScope) {
			out = append(out, sc)
		}
	}
	return out
}

// checkConsenter asks tokeninfo which account consented, and refuses a
// consent given by another account than the admin named: its grants
// would be that account's, in the wrong name. When tokeninfo cannot say,
// the setup goes on with a warning that the account is unconfirmed.
func (p *Provider) checkConsenter(ctx context.Context, tok *oauth2.Token, admin string, ev flows.Events) error {
	info, a := p.tokenInfo(ctx, tok)
	switch {
	case info == nil:
		ev.Emit(flows.Progress{Message: "could not confirm which account consented (tokeninfo: " + a.String() + "); tether keeps " + admin + " as the admin"})
		return nil
	case info.Email == "":
		ev.Emit(flows.Progress{Message: "tokeninfo names no account for the consent; tether keeps " + admin + " as the admin"})
		return nil
	case !strings.EqualFold(info.Email, admin):
		who := flows.Printable(info.Email)
		return &providers.SignInError{
			Reason: "the consent was given by " + who + ", not by " + admin,
			Fix:    "run the setup again and choose " + admin + " in Google's account chooser; or, if " + who + " is the Workspace admin you mean, give it as the admin (--set " + InputAdmin + "=" + who + ")"}
	}
	return nil
}

func missingFrom(needed, granted []string) []string {
	return slices.DeleteFunc(slices.Clone(needed), func(s string) bool { return slices.Contains(granted, s) })
}

func (p *Provider) connectBrowser(ctx context.Context, m providers.Method, in providers.Inputs, io flows.Interaction) (providers.Connection, flows.Secret, error) {
	admin, err := ParseAdmin(in.Get(InputAdmin))
	if err != nil {
		return providers.Connection{}, flows.Secret{}, &providers.InputError{Key: InputAdmin, Label: "Admin who consents", Err: err}
	}
	clientID, secret := strings.TrimSpace(in.Get(InputClientID)), strings.TrimSpace(in.Get(InputClientSecret))
	caps, _ := providers.CapabilitiesOf(ctx)
	needed := p.cat.Scopes(caps)
	tok, err := p.installedApp(clientID, secret, admin, withIdentity(needed), false).BrowserSignIn(ctx, io)
	if err != nil {
		return providers.Connection{}, flows.Secret{}, browserError(clientID, err)
	}
	if err := p.checkConsenter(ctx, tok, admin, io.Events); err != nil {
		return providers.Connection{}, flows.Secret{}, err
	}
	granted, _ := grantedScopes(tok)
	if missing := missingFrom(needed, granted); len(missing) > 0 && io.Ask != nil {
		q := flows.Question{Prompt: fmt.Sprintf("%d scope(s) were left unticked: ask again for only those?", len(missing)),
			Detail: "Yes opens the consent screen for " + strings.Join(missing, ", ") + " alone, keeping what was granted (include_granted_scopes); no keeps the connection as it is, and verify reports them missing."}
		if answer, aerr := io.Ask(ctx, q); aerr == nil && answer == 0 {
			again, err := p.installedApp(clientID, secret, admin, withIdentity(missing), true).BrowserSignIn(ctx, io)
			if err != nil {
				return providers.Connection{}, flows.Secret{}, browserError(clientID, err)
			}
			if err := p.checkConsenter(ctx, again, admin, io.Events); err != nil {
				return providers.Connection{}, flows.Secret{}, err
			}
			tok = again
		}
	}
	if tok.RefreshToken == "" {
		return providers.Connection{}, flows.Secret{}, &providers.SignInError{
			Reason: "Google issued no refresh token, so the connection could not be verified again later",
			Fix:    "remove tether's access under the admin's Google Account → Security → Third-party access, then run the setup again"}
	}
	if g, _ := grantedScopes(tok); len(missingFrom(needed, g)) > 0 {
		io.Events.Emit(flows.Progress{Message: "still unticked: " + strings.Join(missingFrom(needed, g), ", ")})
	}
	s := flows.TokenSecret(flows.NewSecret(map[string]string{InputClientSecret: secret}), tok)
	settings := map[string]string{InputClientID: clientID, InputAdmin: admin}
	return providers.Connection{Provider: ID, Method: m.ID, Tenant: domainOf(admin), Settings: settings}, s, nil
}

// browserError explains a failed browser sign-in.
func browserError(clientID string, err error) error {
	var te *flows.TokenError
	var ae *flows.AuthorizationError
	credentials := consoleURL + "/apis/credentials"
	switch {
	case errors.As(err, &te) && te.Code == "invalid_client":
		return &providers.SignInError{Reason: "Google refused the OAuth client " + clientID + " (" + te.Error() + ")",
			Fix: "check the client id and its secret on " + credentials + "; the client must be of type Desktop app", Err: err}
	case errors.As(err, &te) && te.Code == "invalid_grant":
		return &providers.SignInError{Reason: "Google refused the authorization code (" + te.Error() + ")", Fix: "run the setup again", Err: err}
	case errors.As(err, &ae) && errors.Is(err, flows.ErrDenied):
		return &providers.SignInError{Reason: "the consent was cancelled in the browser", Fix: "run the setup again and choose Continue", Err: err}
	}
	return err
}

// storeOf lets the kit's refresher save a rotated refresh token through
// the credential's Save.
type storeOf struct {
	cred *providers.Credential
}

func (s storeOf) Kind() flows.StoreKind                                 { return "" }
func (s storeOf) Probe(context.Context) error                           { return nil }
func (s storeOf) Load(context.Context, flows.Key) (flows.Secret, error) { return s.cred.Secret, nil }
func (s storeOf) Delete(context.Context, flows.Key) error               { return errors.New("not supported") }
func (s storeOf) Location(flows.Key) string                             { return "the credential store" }
func (s storeOf) Save(ctx context.Context, _ flows.Key, sec flows.Secret) error {
	if err := s.cred.Save(ctx, sec); err != nil {
		return err
	}
	s.cred.Secret = sec
	return nil
}

// errNotConsented marks a scope the token's scope lacks.
var errNotConsented = errors.New("not granted at consent")

// browserTokens refreshes the stored sign-in, saving a rotated refresh
// token, and lays the one access token out scope by scope.
func (p *Provider) browserTokens(ctx context.Context, conn providers.Connection, cred *providers.Credential, scopes []string) (map[string]minted, []string, error) {
	secret := strings.TrimSpace(cred.Secret.Get(InputClientSecret))
	rt := cred.Secret.Get(flows.SecretRefreshToken)
	if rt == "" || secret == "" {
		return nil, nil, errors.New("the stored credential has no refresh token; run tether setup google --method browser again")
	}
	c := p.installedApp(conn.Settings[InputClientID], secret, "", nil, false)
	var tok *oauth2.Token
	pr := p.prober(nil)
	err := pr.Retry(ctx, "the token refresh", func(ctx context.Context) (err error) {
		tok, err = c.TokenSource(ctx, storeOf{cred}, conn.Key(), &oauth2.Token{RefreshToken: rt}).Token()
		return err
	})
	var again *flows.SignInAgainError
	switch {
	case errors.As(err, &again):
		return nil, nil, &providers.SignInError{Reason: "Google no longer accepts the stored sign-in (" + again.Reason + "): the admin removed tether's access, changed their password, or a session policy requires a new sign-in",
			Fix: "run tether setup google --method browser --replace", Err: err}
	case err != nil:
		return nil, nil, browserError(conn.Settings[InputClientID], err)
	}
	granted, known := grantedScopes(tok)
	if !known {
		if granted, err = p.tokenInfoScopes(ctx, tok); err != nil {
			return nil, nil, err
		}
	}
	out := map[string]minted{}
	for _, s := range scopes {
		if slices.Contains(granted, s) {
			out[s] = minted{scope: s, tok: tok, via: "the token's scope grants " + shortScope(s)}
		} else {
			out[s] = minted{scope: s, err: errNotConsented, via: "the token's scope (what the admin left ticked) lacks " + shortScope(s)}
		}
	}
	return out, granted, nil
}

// tokenInfoScopes asks tokeninfo for a token's scopes, when the refresh
// answer left them out.
func (p *Provider) tokenInfoScopes(ctx context.Context, tok *oauth2.Token) ([]string, error) {
	info, a := p.tokenInfo(ctx, tok)
	if info == nil {
		return nil, fmt.Errorf("the refreshed token lists no scopes, and tokeninfo did not say them either: %s", a)
	}
	return adminScopes(strings.Fields(info.Scope)), nil
}

// tokenInfoAnswer is what tether reads of tokeninfo's answer.
type tokenInfoAnswer struct {
	Scope string `json:"scope"`
	Email string `json:"email"`
}

// tokenInfo asks tokeninfo about an access token; nil when it did not
// answer, with the answer that says why.
func (p *Provider) tokenInfo(ctx context.Context, tok *oauth2.Token) (*tokenInfoAnswer, providers.Answer) {
	body := []byte(url.Values{"access_token": {tok.AccessToken}}.Encode())
	a := p.prober(nil).Do(ctx, http.MethodPost, tokenInfoURL, body, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	var ti tokenInfoAnswer
	if !a.OK() || json.Unmarshal(a.Body, &ti) != nil {
		return nil, a
	}
	return &ti, a
}

// consentExcess is a scope the consent granted that no enabled
// capability needs.
func consentExcess(e providers.ExcessGrant, admin string) providers.Check {
	c := providers.Check{Capability: e.Capability, Permission: e.Identifier, Status: providers.Excess,
		Evidence: "the token's scope grants " + e.Identifier + ", which no enabled capability needs",
		Fix:      "least privilege: have " + admin + " remove tether's access (Google Account → Security → Third-party access) and run tether setup google --method browser --replace, which asks for what is needed only",
		FixURL:   "https://myaccount.google.com/connections"}
	if e.Permission != "" {
		c.Permission = e.Permission
		c.Fix += "; or enable the " + e.Capability + " capability"
	}
	return c
}

// reconsentFix is the browser method's fix for a scope left unticked.
func reconsentFix(scopes []string) string {
	return "run tether setup google --method browser --replace and leave " + strings.Join(scopes, ", ") +
		" ticked on the consent screen; if some are unticked again, tether asks for only those (include_granted_scopes)"
}

// browserSteps are the console steps of the browser method.
func browserSteps(scopes, remediate []string, admin string) []providers.Step {
	who := "a Workspace admin"
	if admin != "" {
		who = admin
	}
	return []providers.Step{{
		Title:  "Enable the Admin SDK API",
		Detail: "APIs & Services → Library → Admin SDK API → Enable, in the project that will hold the OAuth client.",
		URL:    apiLink(""),
	}, {
		Title:  "Configure the OAuth consent screen as Internal",
		Detail: "APIs & Services → OAuth consent screen: User type Internal, so that only your domain's accounts can consent and no verification is needed.",
		URL:    consoleURL + "/apis/credentials/consent",
	}, {
		Title:  "Create an OAuth client of type Desktop app",
		Detail: `APIs & Services → Credentials → Create credentials → OAuth client ID → Desktop app, named "tether"; copy its client ID and secret.`,
		URL:    consoleURL + "/apis/credentials/oauthclient",
	}, {
		Title: "Sign in as " + who + " and leave every scope ticked",
		Detail: "The consent screen lists " + strings.Join(scopes, ", ") + extraScopes(remediate) +
			"; the admin's role must be able to read users, groups, roles, devices and reports.",
	}}
}

func extraScopes(remediate []string) string {
	if len(remediate) == 0 {
		return ""
	}
	return " (and, with remediation, " + strings.Join(remediate, ", ") + ")"
}
