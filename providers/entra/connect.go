package entra

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

// Connect signs in with the app's credential (after the admin's consent,
// for admin-consent), checks that the token is an app-only Microsoft
// Graph token of this app and tenant, and records when the credential
// expires where that is knowable: a certificate says so itself, and a
// client secret's end date is read from the app registration when the
// app may read it.
func (p *Provider) Connect(ctx context.Context, m providers.Method, in providers.Inputs, io flows.Interaction) (providers.Connection, flows.Secret, error) {
	events := io.Events
	cloud, err := CloudByID(in.Get(InputCloud))
	if err != nil {
		return providers.Connection{}, flows.Secret{}, &providers.UsageError{Msg: err.Error()}
	}
	tenant, err := CanonicalTenant(in.Get(InputTenant))
	if err != nil {
		return providers.Connection{}, flows.Secret{}, &providers.UsageError{Msg: err.Error()}
	}
	clientID := strings.ToLower(strings.TrimSpace(in.Get(InputClientID)))
	values := map[string]string{}
	var made *created
	switch m.ID {
	case MethodCreate:
		days := defaultSecretDays
		if d := in.Get(InputSecretDays); d != "" {
			if err := validSecretDays(d); err != nil {
				return providers.Connection{}, flows.Secret{}, &providers.UsageError{Msg: err.Error()}
			}
			days, _ = strconv.Atoi(strings.TrimSpace(d))
		}
		c, err := p.create(ctx, cloud, tenant, days, io)
		if err != nil {
			return providers.Connection{}, flows.Secret{}, err
		}
		made, clientID = &c, c.clientID
		values[InputClientSecret] = c.secret
	case MethodCertificate:
		values[InputCertificate] = strings.TrimSpace(in.Get(InputCertificate)) + "\n"
	default:
		values[InputClientSecret] = strings.TrimSpace(in.Get(InputClientSecret))
	}
	if err := validClientID(clientID); err != nil {
		return providers.Connection{}, flows.Secret{}, &providers.UsageError{Msg: err.Error()}
	}
	settings := map[string]string{InputTenant: tenant, InputClientID: clientID}
	if in.Get(InputCloud) != "" {
		settings[InputCloud] = cloud.ID
	}
	secret := flows.NewSecret(values)
	l := links{cloud: cloud, tenant: tenant, client: clientID}

	if m.ID == MethodAdminConsent {
		if err := p.adminConsent(ctx, cloud, tenant, clientID, io); err != nil {
			return providers.Connection{}, flows.Secret{}, err
		}
	}
	events.Emit(flows.Progress{Message: "requesting a Microsoft Graph token from " + cloud.Login})
	tok, err := p.mint(ctx, cloud, tenant, m.ID, settings, secret)
	for i, wait := range propagation {
		if m.ID != MethodCreate || !notPropagated(err) {
			break
		}
		// A secret or service principal made a moment ago takes a while
		// to reach the token endpoint (§1.9).
		events.Emit(flows.Progress{Message: fmt.Sprintf("the new app is not known to the sign-in service yet; trying again in %s (%d of %d)", wait, i+1, len(propagation))})
		if werr := p.env.Clock.Wait(ctx, wait); werr != nil {
			break
		}
		tok, err = p.mint(ctx, cloud, tenant, m.ID, settings, secret)
	}
	if err != nil {
		return providers.Connection{}, flows.Secret{}, signInError(l, err)
	}
	claims, err := readClaims(tok.AccessToken)
	if err == nil {
		err = checkClaims(claims, cloud, tenant, clientID)
	}
	if err != nil {
		return providers.Connection{}, flows.Secret{}, &providers.SignInError{Reason: "Entra answered with an unexpected token: " + err.Error(),
			Fix: "check the tenant and the cloud setting", Err: err}
	}
	conn := providers.Connection{Provider: ID, Method: m.ID, Tenant: claims.TenantID, Settings: settings}
	events.Emit(flows.Progress{Message: fmt.Sprintf("signed in to tenant %s as application %s; the token carries %d application permissions", claims.TenantID, clientID, len(claims.Roles))})

	switch m.ID {
	case MethodCreate:
		conn.SecretExpiresAt = &made.end
	case MethodCertificate:
		kp, err := parseKeyPair(secret.Get(InputCertificate))
		if err == nil {
			end := kp.cert.NotAfter.UTC()
			conn.SecretExpiresAt = &end
		}
	default:
		if end, ok := p.secretEnd(ctx, cloud, clientID, tok.AccessToken, claims.Roles, secret.Get(InputClientSecret)); ok {
			conn.SecretExpiresAt = &end
		} else {
			events.Emit(flows.Progress{Message: "the client secret's expiry could not be read (the app may not read its own registration); check it under Certificates & secrets"})
		}
	}
	return conn, secret, nil
}

// adminConsent opens the admin consent page for the app's Microsoft
// Graph application permissions and explains each refusal.
func (p *Provider) adminConsent(ctx context.Context, cloud Cloud, tenant, clientID string, io flows.Interaction) error {
	ac := flows.AdminConsent{BaseURL: "https://" + cloud.Login, Tenant: tenant, ClientID: clientID,
		Scopes: []string{cloud.DefaultScope()}, Loopback: flows.Loopback{Host: "localhost"}, Clock: p.env.Clock}
	io.Events.Emit(flows.Progress{Message: "opening Microsoft's admin consent page: sign in as an administrator of " + tenant + " and Accept"})
	res, err := ac.Run(ctx, io)
	if err != nil {
		return consentError(cloud, tenant, clientID, err)
	}
	if res.Tenant != "" && guidPattern.MatchString(tenant) && !strings.EqualFold(res.Tenant, tenant) {
		return &providers.SignInError{Reason: "the consent was given in tenant " + res.Tenant + ", not " + tenant,
			Fix: "sign in with an administrator of " + tenant + " and consent again"}
	}
	io.Events.Emit(flows.Progress{Message: "the administrator consented; new tokens carry the permissions once Entra has applied it"})
	return nil
}

// consentProblems explain the documented answers of the admin consent
// endpoint (§1.3), by AADSTS code.
var consentProblems = map[int]signInProblem{
	65004: {"the administrator declined the consent", func(l links) string {
		return "run setup again and choose Accept on the consent page, or ask an administrator to open " + l.cloud.adminConsentURL(l.tenant, l.client)
	}},
	50020: {"the account that signed in is not from this tenant", func(l links) string {
		return "sign in with an administrator account of " + l.tenant + " (a guest from another directory cannot consent for it)"
	}},
	90094: {"the account that signed in may not grant consent for the whole tenant", func(l links) string {
		return "sign in as a Global Administrator or Privileged Role Administrator, or send them " + l.cloud.adminConsentURL(l.tenant, l.client)
	}},
	90008: {"the account that signed in may not grant consent for the whole tenant", func(l links) string {
		return "sign in as a Global Administrator or Privileged Role Administrator"
	}},
	700016: {"the platform's app was not found", func(links) string {
		return "check the platform app's client ID: it must be a multi-tenant app registration"
	}},
	900144: {"the consent request was incomplete", func(links) string {
		return "this is a defect of tether; please report it"
	}},
	50011: {"the consent page refused the redirect address", func(links) string {
		return "the platform's app must register http://localhost as a redirect URI (Authentication → Mobile and desktop applications)"
	}},
}

func consentError(cloud Cloud, tenant, clientID string, err error) error {
	var ae *flows.AuthorizationError
	if !errors.As(err, &ae) {
		var te *flows.TimeoutError
		if errors.As(err, &te) {
			return &providers.SignInError{Reason: "no answer came from the admin consent page in time",
				Fix: "run setup again; where no browser opens, paste the final address from the browser's address bar", Err: err}
		}
		return err
	}
	l := links{cloud: cloud, tenant: tenant, client: clientID}
	said := ae.Code
	if line := firstLine(ae.Description); line != "" {
		said += ": " + line
	}
	code := AADSTS(ae.Description)
	if prob, ok := consentProblems[code]; ok {
		return &providers.SignInError{Reason: prob.reason + " (" + said + ")", Fix: prob.fix(l), Err: err}
	}
	if errors.Is(err, flows.ErrDenied) {
		return &providers.SignInError{Reason: "the administrator declined the consent (" + said + ")", Fix: consentProblems[65004].fix(l), Err: err}
	}
	return &providers.SignInError{Reason: "the admin consent failed (" + said + ")",
		Fix: "ask an administrator of the tenant to open " + cloud.adminConsentURL(tenant, clientID), Err: err}
}

// secretEnd reads the client secret's end date from the app
// registration, finding the secret by its hint (its first three
// characters), when the token's roles let the app read it.
func (p *Provider) secretEnd(ctx context.Context, cloud Cloud, clientID, accessToken string, roles []string, secret string) (time.Time, bool) {
	if !canReadApps(roles) || len(secret) < 3 {
		return time.Time{}, false
	}
	pr := p.prober(accessToken, nil)
	app, _ := readApp(ctx, pr, cloud, clientID)
	if app == nil {
		return time.Time{}, false
	}
	var found []time.Time
	for _, pc := range app.PasswordCredentials {
		if pc.Hint != "" && strings.HasPrefix(secret, pc.Hint) && pc.EndDateTime != nil {
			found = append(found, pc.EndDateTime.UTC())
		}
	}
	if len(found) != 1 {
		return time.Time{}, false // none, or two secrets share the hint
	}
	return found[0], true
}

// propagation are the waits for a newly created app's secret to reach
// the token endpoint.
var propagation = []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 30 * time.Second}

// notPropagated reports a refusal that a newly created app or secret
// gets until Entra has replicated it.
func notPropagated(err error) bool {
	var te *flows.TokenError
	if !errors.As(err, &te) {
		return false
	}
	switch AADSTS(te.Description) {
	case 7000215, 700016, 7000229:
		return true
	}
	return false
}
