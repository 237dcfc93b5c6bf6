package salesforce

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/oauth2"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

// Settings kept as the connection's metadata, besides the inputs.
const (
	settingInstanceURL = "instance_url"
	settingOrgID       = "org_id"
	settingUserID      = "user_id"
)

// session is what a token response says: the access token, where to use
// it, whose it is and what it may do.
type session struct {
	token    *oauth2.Token
	instance Host
	orgID    string
	userID   string
	scopes   []string
	// scoped is false when the response names no scopes.
	scoped bool
}

// idPattern is the identity URL's path: /id/{orgId18}/{userId18}
// (sfdx-core parseIdUrl takes its last two segments).
var idPattern = regexp.MustCompile(`^/id/(00D[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?)/(005[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?)$`)

// parseSession validates a token response like input: an access token,
// an instance_url of a Salesforce host, and an identity URL naming the org
// and the user.
func parseSession(tok *oauth2.Token, loginHost string) (session, error) {
	s := session{token: tok}
	if tok == nil || tok.AccessToken == "" {
		return s, errors.New("the token response holds no access token")
	}
	raw, _ := tok.Extra("instance_url").(string)
	h, err := InstanceURL(raw, loginHost)
	if err != nil {
		return s, err
	}
	s.instance = h
	id, _ := tok.Extra("id").(string)
	u, err := url.Parse(id)
	if err != nil || u.Scheme != "https" {
		return s, fmt.Errorf("the token response's id %q is not an identity URL like https://login.salesforce.com/id/00D…/005…", id)
	}
	m := idPattern.FindStringSubmatch(u.Path)
	if m == nil {
		return s, fmt.Errorf("the token response's id %q does not name an org and a user (/id/00D…/005…)", id)
	}
	s.orgID, s.userID = m[1], m[2]
	if sc, ok := tok.Extra("scope").(string); ok {
		s.scopes, s.scoped = strings.Fields(sc), true
	}
	return s, nil
}

// loginOf returns the login host of a connection's settings.
func loginOf(settings map[string]string) (Host, error) {
	return LoginHost(settings[InputLoginHost])
}

// client is the OAuth client of a connection against its login host.
func (p *Provider) client(h Host, settings map[string]string) flows.Client {
	return flows.Client{
		Endpoints: flows.Endpoints{
			AuthorizationURL: h.url("/services/oauth2/authorize"),
			TokenURL:         h.url("/services/oauth2/token"),
		},
		ClientID:   strings.TrimSpace(settings[InputClientID]),
		AuthStyle:  oauth2.AuthStyleInParams,
		HTTPClient: p.env.HTTP,
		Clock:      p.env.Clock,
	}
}

// jwtBearer requests a session for the integration user with a JWT signed
// by the app's certificate key (RFC 7523 §2.1): iss the consumer key, sub
// the username, aud the generic login host of the org's kind.
func (p *Provider) jwtBearer(ctx context.Context, h Host, settings map[string]string, secret flows.Secret) (*oauth2.Token, error) {
	key, err := flows.ParsePrivateKeyPEM(secret.Get(InputPrivateKey))
	if err != nil {
		return nil, fmt.Errorf("the stored private key: %w; run tether setup salesforce again", err)
	}
	aud := h.audience()
	if a := settings[InputAudience]; a != "" {
		if aud, err = Audience(a); err != nil {
			return nil, err
		}
	}
	c := p.client(h, settings)
	return c.JWTBearerToken(ctx, flows.BearerAssertion{
		Key: key, Algorithm: "RS256", Issuer: c.ClientID,
		Subject:  strings.TrimSpace(settings[InputUsername]),
		Audience: aud, Now: p.env.Clock.Time,
	})
}

// mint requests a fresh session with a connection's credential.
// save, for a web sign-in, keeps the refreshed (and any rotated) token.
func (p *Provider) mint(ctx context.Context, method string, settings map[string]string, secret flows.Secret, save func(context.Context, flows.Secret) error) (session, error) {
	h, err := loginOf(settings)
	if err != nil {
		return session{}, err
	}
	var tok *oauth2.Token
	switch method {
	case MethodJWTBearer:
		tok, err = p.jwtBearer(ctx, h, settings, secret)
	case MethodWeb, MethodDevice:
		tok, err = p.refresh(ctx, h, settings, secret, save)
	default:
		return session{}, fmt.Errorf("unknown method %q", method)
	}
	if err != nil {
		return session{}, err
	}
	return parseSession(tok, settings[InputLoginHost])
}

func (p *Provider) Connect(ctx context.Context, m providers.Method, in providers.Inputs, io flows.Interaction) (providers.Connection, flows.Secret, error) {
	settings := map[string]string{}
	for _, k := range []string{InputLoginHost, InputClientID, InputUsername, InputAudience, InputPort} {
		if v := in.Get(k); v != "" {
			settings[k] = v
		}
	}
	h, err := loginOf(settings)
	if err != nil {
		return providers.Connection{}, flows.Secret{}, &providers.UsageError{Msg: err.Error()}
	}
	settings[InputLoginHost] = h.String()
	if a := settings[InputAudience]; a != "" {
		if settings[InputAudience], err = Audience(a); err != nil {
			return providers.Connection{}, flows.Secret{}, &providers.UsageError{Msg: err.Error()}
		}
	}
	var secret flows.Secret
	var s session
	switch m.ID {
	case MethodJWTBearer:
		secret = flows.NewSecret(map[string]string{InputPrivateKey: in.Get(InputPrivateKey)})
		io.Events.Emit(flows.Progress{Message: "requesting a session for " + settings[InputUsername] + " from " + h.String()})
		s, err = p.mint(ctx, m.ID, settings, secret, nil)
	case MethodWeb:
		if settings[InputPort] != "" {
			port, perr := Port(settings[InputPort])
			if perr != nil {
				return providers.Connection{}, flows.Secret{}, &providers.UsageError{Msg: perr.Error()}
			}
			settings[InputPort] = strconv.Itoa(port)
		}
		secret = flows.NewSecret(map[string]string{InputClientSecret: strings.TrimSpace(in.Get(InputClientSecret))})
		secret, s, err = p.webSignIn(ctx, h, settings, secret, io)
	case MethodDevice:
		var tok *oauth2.Token
		if tok, err = p.deviceSignIn(ctx, h, settings, io); err == nil {
			secret, s, err = signedIn(tok, settings)
		}
	default:
		return providers.Connection{}, flows.Secret{}, &providers.UsageError{Msg: "unknown method " + m.ID}
	}
	if err != nil {
		return providers.Connection{}, flows.Secret{}, signInError(h, settings, err)
	}
	settings[settingInstanceURL] = "https://" + s.instance.String()
	settings[settingOrgID], settings[settingUserID] = s.orgID, s.userID
	io.Events.Emit(flows.Progress{Message: "signed in to org " + s.orgID + " at " + s.instance.String()})
	return providers.Connection{Provider: ID, Method: m.ID, Tenant: s.instance.Name, Settings: settings}, secret, nil
}

// signInError explains a refused token request, by the error and the
// description Salesforce answers (§3.3, §3.6).
func signInError(h Host, settings map[string]string, err error) error {
	var te *flows.TokenError
	var se *providers.SignInError
	if errors.As(err, &se) || !errors.As(err, &te) {
		return err // explained already, or a NetworkError, a bad key or a bad response: its message says it
	}
	reason := "Salesforce refused the token request (" + te.Error() + ")"
	user := settings[InputUsername]
	desc := strings.ToLower(te.Description)
	fix := ""
	switch {
	case te.Code == "invalid_client_id" || te.Code == "invalid_client":
		fix = "check the consumer key (App Manager → the External Client App → Settings → OAuth Settings → Consumer Key and Secret), and that " + h.String() + " signs in to the app's org: production at login.salesforce.com, sandboxes at test.salesforce.com"
	case strings.Contains(desc, "hasn't approved") || strings.Contains(desc, "not admin approved") || te.Code == "invalid_app_access":
		fix = "in the app's Policies, set Permitted Users to \"Admin approved users are pre-authorized\" and add a profile or permission set of " + user + "; the user must be pre-authorized for the app"
	case strings.Contains(desc, "audience"):
		fix = "the assertion's audience must be https://login.salesforce.com for production or https://test.salesforce.com for a sandbox; check the login host (" + h.String() + ") and leave " + InputAudience + " empty unless you sign in through an Experience Cloud site"
	case strings.Contains(desc, "invalid assertion") || strings.Contains(desc, "signature"):
		fix = "upload the certificate tether generated under the app's OAuth Settings → Use digital signatures (it must be the one for this private key), and enable the JWT Bearer Flow"
	case strings.Contains(desc, "ip restricted") || strings.Contains(desc, "ip address"):
		reason = "Salesforce refused the sign-in from this network address (" + te.Error() + ")"
		fix = "relax IP restrictions in the app's Policies (IP Relaxation) or add this address to the trusted IP ranges of " + user + "'s profile"
	case strings.Contains(desc, "authentication failure") || strings.Contains(desc, "user"):
		fix = "check the username " + user + " (active, and in an org reached through " + h.String() + ": sandboxes sign in at test.salesforce.com)"
	case te.Code == "unsupported_grant_type" || strings.Contains(desc, "not supported"):
		fix = "enable the flow in the app's OAuth Settings → Flow Enablement (JWT Bearer Flow, with the certificate uploaded)"
	case te.Status == http.StatusTooManyRequests:
		fix = "wait a minute and try again"
	}
	return &providers.SignInError{Reason: reason, Fix: fix, Err: err}
}
