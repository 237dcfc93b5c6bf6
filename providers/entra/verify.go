package entra

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/providers"
)

// decodeError reads Microsoft Graph's error envelope (§1.8.1).
func decodeError(_ int, body []byte) (code, message string) {
	var env struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &env)
	return env.Error.Code, env.Error.Message
}

// prober makes Microsoft Graph requests with accessToken.
func (p *Provider) prober(accessToken string, warn func(string)) *providers.Prober {
	return &providers.Prober{Provider: "Microsoft Entra", Env: p.env, DecodeError: decodeError, Warn: warn,
		Authorize: func(req *http.Request) error {
			if accessToken != "" {
				req.Header.Set("Authorization", "Bearer "+accessToken)
			}
			return nil
		}}
}

// appRegistration is what tether reads of an application object
// (application-get.md, §1.9, §1.11).
type appRegistration struct {
	ID                     string `json:"id"`
	AppID                  string `json:"appId"`
	DisplayName            string `json:"displayName"`
	RequiredResourceAccess []struct {
		ResourceAppID  string `json:"resourceAppId"`
		ResourceAccess []struct {
			ID   string `json:"id"`
			Type string `json:"type"`
		} `json:"resourceAccess"`
	} `json:"requiredResourceAccess"`
	PasswordCredentials []struct {
		KeyID       string     `json:"keyId"`
		Hint        string     `json:"hint"`
		EndDateTime *time.Time `json:"endDateTime"`
	} `json:"passwordCredentials"`
}

// declared says how the registration requests a Microsoft Graph
// permission: as an application permission (Role), as a delegated one
// (Scope), both, or not at all.
func (a *appRegistration) declared(perm string) (role, scope bool) {
	if a == nil {
		return false, false
	}
	for _, r := range a.RequiredResourceAccess {
		if r.ResourceAppID != graphAppID {
			continue
		}
		for _, ra := range r.ResourceAccess {
			if name, delegated, ok := permissionOf(strings.ToLower(ra.ID), ra.Type); ok && name == perm {
				role = role || !delegated
				scope = scope || delegated
			}
		}
	}
	return role, scope
}

func canReadApps(roles []string) bool {
	return slices.ContainsFunc(appReaders, func(r string) bool { return slices.Contains(roles, r) })
}

// readApp reads the app registration of clientID, listed by appId: the
// list accepts Directory.Read.All, which the required set holds, where a
// get by id does not (§1.11).
func readApp(ctx context.Context, pr *providers.Prober, cloud Cloud, clientID string) (*appRegistration, providers.Answer) {
	q := "?$filter=" + url.QueryEscape("appId eq '"+clientID+"'") +
		"&$select=" + url.QueryEscape("id,appId,displayName,requiredResourceAccess,passwordCredentials")
	a := pr.Get(ctx, cloud.GraphURL("/applications"+q))
	if !a.OK() {
		return nil, a
	}
	var page struct {
		Value []appRegistration `json:"value"`
	}
	if err := json.Unmarshal(a.Body, &page); err != nil || len(page.Value) != 1 || !strings.EqualFold(page.Value[0].AppID, clientID) {
		a.Err = errors.New("the applications answer does not hold exactly this app")
		return nil, a
	}
	return &page.Value[0], a
}

// Verify mints a fresh token (a cached one would hide a consent given or
// revoked since) and compares its roles claim, the application
// permissions granted, with what the enabled capabilities need. When
// something is missing and the app may read its own registration, the
// registration says why: a delegated permission configured instead, or
// a declared one without admin consent.
func (p *Provider) Verify(ctx context.Context, conn providers.Connection, cred providers.Credential, r providers.Reporter) error {
	cloud, tenant, err := tenantOf(conn.Settings)
	if err != nil {
		return err
	}
	clientID := conn.Settings[InputClientID]
	l := links{cloud: cloud, tenant: tenant, client: clientID}
	needs := p.cat.Needs(conn.Capabilities)

	pr := p.prober("", r.Warn)
	var tok *oauth2.Token
	err = pr.Retry(ctx, "the token request", func(ctx context.Context) (err error) {
		tok, err = p.mint(ctx, cloud, tenant, conn.Method, conn.Settings, cred.Secret)
		return err
	})
	if err != nil {
		return signInError(l, err)
	}
	claims, err := readClaims(tok.AccessToken)
	if err == nil {
		err = checkClaims(claims, cloud, tenant, clientID)
	}
	if err != nil {
		return fmt.Errorf("Entra answered with an unexpected token: %w", err)
	}
	roles := claims.Roles
	if len(roles) == 0 {
		r.Warn("the token has no roles claim: the app holds no Microsoft Graph application permission yet (app-only tokens are issued without consent, they just carry no roles)")
	}

	var app *appRegistration
	missing := slices.ContainsFunc(needs, func(n catalog.Need) bool {
		return slices.ContainsFunc(n.Permission.Identifiers(), func(id string) bool { return !slices.Contains(roles, id) })
	})
	if missing && canReadApps(roles) {
		var a providers.Answer
		if app, a = readApp(ctx, p.prober(tok.AccessToken, r.Warn), cloud, clientID); app == nil {
			r.Warn("the app registration could not be read to say why permissions are missing: " + a.String())
		}
	}
	v := providers.Verifier{
		Provider: "Microsoft Entra", Needs: needs, Sequential: p.env.Sequential,
		Observe: func(id string, _ providers.Answer) providers.Observation {
			return observe(id, roles, app)
		},
		Fix: func(n catalog.Need) (string, string) { return fixFor(n, conn.Method, app, l) },
	}
	deep := providers.DeepOf(ctx)
	if deep {
		v.Probes = deepProbes(p.prober(tok.AccessToken, r.Warn), cloud, roles)
		v.Observe = func(id string, a providers.Answer) providers.Observation {
			return deepObserve(id, roles, app, a)
		}
	}
	answers := v.Run(ctx, r)
	if deep {
		for _, w := range licenseWarnings(answers) {
			r.Warn(w)
		}
	}
	for _, e := range providers.ExcessGrants(p.cat, conn.Capabilities, roles) {
		r.Check(excessCheck(e, l))
	}
	return nil
}

// observe decides one permission from the roles claim of a fresh token,
// which is the grant itself: listed is granted, absent is missing. The
// app registration, when read, says why one is absent. It is pure; the
// table in verify_internal_test.go is its specification.
func observe(perm string, roles []string, app *appRegistration) providers.Observation {
	o := providers.Observation{Identifier: perm}
	if slices.Contains(roles, perm) {
		o.Status = providers.Granted
		o.Evidence = "a fresh client-credentials token's roles claim lists " + perm
		return o
	}
	o.Status = providers.Missing
	o.Evidence = "a fresh client-credentials token's roles claim lacks " + perm
	if app == nil {
		return o
	}
	switch role, scope := app.declared(perm); {
	case scope && !role:
		o.Evidence += "; the app registration requests " + perm + " as a delegated permission, which app-only tokens never carry: it must be an application permission"
	case role:
		o.Evidence += "; the app registration requests it as an application permission, but it has no admin consent yet (or the consent has not reached new tokens)"
	default:
		o.Evidence += "; the app registration does not request it"
	}
	return o
}

// fixFor says how to grant a missing permission, from what the
// registration shows.
func fixFor(n catalog.Need, method string, app *appRegistration, l links) (string, string) {
	perm := n.Permission.Name
	if method == MethodAdminConsent {
		return "consent again as an administrator of the tenant (the platform's app requests " + perm + "): open the admin consent page", l.cloud.adminConsentURL(l.tenant, l.client)
	}
	switch role, scope := app.declared(perm); {
	case scope && !role:
		return "on API permissions remove the Delegated " + perm + ", then Add a permission → Microsoft Graph → Application permissions → " + perm + ", and Grant admin consent", l.permissions()
	case role:
		return "grant admin consent for " + perm + ": API permissions → Grant admin consent for the tenant", l.cloud.adminConsentURL(l.tenant, l.client)
	}
	return "API permissions → Add a permission → Microsoft Graph → Application permissions → " + perm + ", then Grant admin consent", l.permissions()
}

// selfGranting are roles that let an app grant itself any permission.
var selfGranting = []string{"Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All", "RoleManagement.ReadWrite.Directory"}

func excessCheck(e providers.ExcessGrant, l links) providers.Check {
	c := providers.Check{Capability: e.Capability, Permission: e.Identifier, Status: providers.Excess,
		Evidence: "a fresh client-credentials token's roles claim lists " + e.Identifier + ", which no enabled capability needs",
		Fix:      "API permissions → the … menu of " + e.Identifier + " → Revoke admin consent, then Remove permission (least privilege)",
		FixURL:   l.permissions()}
	if e.Permission != "" {
		c.Permission = e.Permission
		c.Fix += fmt.Sprintf(", or enable the %s capability", e.Capability)
	}
	if slices.Contains(selfGranting, e.Identifier) {
		c.Evidence += "; it lets the app grant itself further permissions"
	}
	return c
}

// CriticalPath is the round trips a verification cannot avoid: the
// token, whose roles claim decides every permission.
func (p *Provider) CriticalPath(providers.Connection) int { return 1 }

var _ providers.CriticalPather = (*Provider)(nil)
