package okta

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

// MethodCreate creates (or converges) the service app itself, with a
// Super Administrator's temporary API token that is never stored.
const MethodCreate = "create"

// InputBootstrap is the temporary Super Administrator token of create.
const InputBootstrap = "bootstrap_token"

// Names of what create makes, by which a re-run finds them.
const (
	appLabel         = "tether"
	resourceSetLabel = "tether: all users"
)

// isServiceApp reports whether a connection of method signs in as a
// service app (the created one included).
func isServiceApp(method string) bool { return method == MethodServiceApp || method == MethodCreate }

var bootstrapInput = providers.Input{
	Key: InputBootstrap, Label: "Temporary Super Administrator API token", Secret: true,
	Help:        "Security → API → Tokens → Create token, as a Super Administrator; tether uses it to create the app, never stores it, and offers to revoke it",
	Placeholder: "00QCjAl4MlV-WPXM…0HmjFx-vbGua",
	Validate:    validToken,
}

// roleLabel names the custom role create makes for a capability.
func roleLabel(c catalog.Capability) string { return "tether: " + c.Name }

// admin is create's session with the bootstrap token.
type admin struct {
	p   *Provider
	org Org
	pr  *providers.Prober
	ev  flows.Events
}

func (a *admin) get(ctx context.Context, path string, v any) error {
	ans := a.pr.Get(ctx, a.org.URL(path))
	if !ans.OK() {
		return fmt.Errorf("GET %s: %s", path, ans.String())
	}
	if err := json.Unmarshal(ans.Body, v); err != nil {
		return fmt.Errorf("GET %s: the answer is not what Okta sends: %w", path, err)
	}
	return nil
}

func (a *admin) post(ctx context.Context, path string, body, v any) error {
	data, err := json.Marshal(body)
	if err != nil {
		return err
	}
	ans := a.pr.Do(ctx, http.MethodPost, a.org.URL(path), data, http.Header{"Content-Type": {"application/json"}})
	if !ans.OK() {
		return fmt.Errorf("POST %s: %s%s", path, ans.String(), ifMessage(ans))
	}
	if v != nil {
		if err := json.Unmarshal(ans.Body, v); err != nil {
			return fmt.Errorf("POST %s: the answer is not what Okta sends: %w", path, err)
		}
	}
	return nil
}

func ifMessage(a providers.Answer) string {
	if a.Message != "" {
		return " (" + a.Message + ")"
	}
	return ""
}

type named struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

func (p *Provider) connectCreate(ctx context.Context, m providers.Method, o Org, settings map[string]string, in providers.Inputs, io flows.Interaction) (providers.Connection, flows.Secret, error) {
	caps, _ := providers.CapabilitiesOf(ctx)
	caps, err := p.cat.Normalize(caps)
	if err != nil {
		return providers.Connection{}, flows.Secret{}, err
	}
	boot := strings.TrimSpace(in.Get(InputBootstrap))
	a := &admin{p: p, org: o, pr: p.prober(nil, sswsAuth(boot)), ev: io.Events}
	u, _, err := p.whoAmI(ctx, o, a.pr)
	if err != nil {
		return providers.Connection{}, flows.Secret{}, err
	}
	var roles []roleAssignment
	if err := a.get(ctx, "/api/v1/users/"+url.PathEscape(u.ID)+"/roles", &roles); err != nil {
		return providers.Connection{}, flows.Secret{}, err
	}
	if !slices.ContainsFunc(roles, func(r roleAssignment) bool {
		return r.Type == "SUPER_ADMIN" && (r.Status == "" || r.Status == "ACTIVE")
	}) {
		return providers.Connection{}, flows.Secret{}, &providers.SignInError{
			Reason: "the bootstrap token's owner " + u.Profile.Login + " is not a Super Administrator, and only one may grant okta.* scopes to an app",
			Fix:    "create the temporary token while signed in as a Super Administrator (" + o.Admin("/admin/access/api/tokens") + "), or use --method service-app and set the app up in the console"}
	}
	remediation := p.remediationCaps(caps)
	scopes := serviceScopes(len(remediation) > 0)
	detail := "It gets exactly the scopes " + strings.Join(scopes, ", ") + " and the Read-Only Administrator role"
	for _, c := range remediation {
		detail += `, and the custom role "` + roleLabel(c) + `" (` + strings.Join(c.Permissions, ", ") + ") over all users"
	}
	detail += ". A re-run finds what it made and adds what is missing; nothing else is changed. Its private key stays in tether's store."
	// From here on the bootstrap token is a proven Super Administrator
	// token: whatever happens next, tether offers to revoke it.
	id, priv, err := a.converge(ctx, io, detail, scopes, remediation)
	a.revoke(ctx, io)
	if err != nil {
		return providers.Connection{}, flows.Secret{}, err
	}
	settings[InputClientID] = id
	return providers.Connection{Provider: ID, Method: m.ID, Tenant: o.Host, Settings: settings},
		flows.NewSecret(map[string]string{InputPrivateKey: priv}), nil
}

// converge asks before it writes, then makes or brings up to date the
// app, its grants and its roles, and returns the app's id and the new
// private key. A key it added to an existing app is taken off again when
// a later step fails, so that no key is left whose private half nobody
// keeps.
func (a *admin) converge(ctx context.Context, io flows.Interaction, detail string, scopes []string, remediation []catalog.Capability) (string, string, error) {
	if err := io.Confirm(ctx, flows.Question{Prompt: fmt.Sprintf("Create the API Services app %q in %s (or bring an existing one up to date)?", appLabel, a.org.Host), Detail: detail}); err != nil {
		return "", "", fmt.Errorf("the app was not created: %w", err)
	}
	key, err := flows.GenerateKey()
	if err != nil {
		return "", "", err
	}
	jwkText, err := publicJWK(key)
	if err != nil {
		return "", "", err
	}
	var jwk map[string]any
	if err := json.Unmarshal([]byte(jwkText), &jwk); err != nil {
		return "", "", err
	}
	id, keyID, err := a.ensureApp(ctx, jwk)
	if err != nil {
		return "", "", err
	}
	err = a.ensureGrants(ctx, id, scopes)
	if err == nil {
		err = a.ensureRoles(ctx, id, remediation)
	}
	var priv string
	if err == nil {
		priv, err = flows.PrivateKeyPEM(key)
	}
	if err != nil {
		if keyID != "" {
			a.removeKey(ctx, id, keyID)
		}
		return "", "", err
	}
	return id, priv, nil
}

// removeKey deactivates and deletes a key create added to an app, also
// after the setup was cancelled, for at most keyCleanupTime.
func (a *admin) removeKey(ctx context.Context, appID, keyID string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), keyCleanupTime)
	defer cancel()
	path := "/api/v1/apps/" + url.PathEscape(appID) + "/credentials/jwks/" + url.PathEscape(keyID)
	pr := *a.pr
	pr.NotJSON = true
	ans := pr.Do(ctx, http.MethodPost, a.org.URL(path+"/lifecycle/deactivate"), nil, nil)
	if ans.OK() {
		ans = pr.Do(ctx, http.MethodDelete, a.org.URL(path), nil, nil)
	}
	if !ans.OK() {
		a.ev.Emit(flows.Progress{Message: "the key added to the app " + appID + " could not be taken off (" + ans.String() + "): remove key " + keyID +
			" under Applications → tether → General → Public keys (" + a.org.Admin("/admin/app/oidc_client/instance/"+appID+"/#tab-general") + ")"})
		return
	}
	a.ev.Emit(flows.Progress{Message: "took the new key off the app " + appID + " again"})
}

// keyCleanupTime bounds removeKey.
const keyCleanupTime = 15 * time.Second

// remediationCaps are the enabled remediation capabilities.
func (p *Provider) remediationCaps(enabled []string) []catalog.Capability {
	var out []catalog.Capability
	for _, c := range p.cat.Capabilities {
		if c.Tier == catalog.TierRemediate && slices.Contains(enabled, c.ID) {
			out = append(out, c)
		}
	}
	return out
}

// ensureApp finds the service app labelled "tether" and adds the new key
// to it, or creates it with that key. It returns the app's id and, for a
// key added to an existing app, the key's id.
func (a *admin) ensureApp(ctx context.Context, jwk map[string]any) (string, string, error) {
	var apps []struct {
		ID       string `json:"id"`
		Label    string `json:"label"`
		Settings struct {
			OAuthClient struct {
				Type string `json:"application_type"`
			} `json:"oauthClient"`
		} `json:"settings"`
	}
	if err := a.get(ctx, "/api/v1/apps?q="+url.QueryEscape(appLabel)+"&limit=200", &apps); err != nil {
		return "", "", err
	}
	for _, app := range apps {
		if app.Label == appLabel && app.Settings.OAuthClient.Type == "service" && validClientID(app.ID) == nil {
			var added struct {
				ID string `json:"id"`
			}
			if err := a.post(ctx, "/api/v1/apps/"+url.PathEscape(app.ID)+"/credentials/jwks", jwk, &added); err != nil {
				return "", "", err
			}
			if !objectID.MatchString(added.ID) {
				added.ID = ""
			}
			a.ev.Emit(flows.Progress{Message: "found the app " + app.ID + " and added a new key to it"})
			return app.ID, added.ID, nil
		}
	}
	body := map[string]any{"name": "oidc_client", "label": appLabel, "signOnMode": "OPENID_CONNECT",
		"credentials": map[string]any{"oauthClient": map[string]any{"token_endpoint_auth_method": "private_key_jwt", "autoKeyRotation": false}},
		"settings": map[string]any{"oauthClient": map[string]any{"application_type": "service", "grant_types": []string{"client_credentials"},
			"response_types": []string{"token"}, "jwks": map[string]any{"keys": []any{jwk}}}}}
	var created named
	if err := a.post(ctx, "/api/v1/apps", body, &created); err != nil {
		return "", "", err
	}
	if validClientID(created.ID) != nil {
		return "", "", fmt.Errorf("POST /api/v1/apps: Okta answered no valid app id")
	}
	a.ev.Emit(flows.Progress{Message: "created the API Services app " + created.ID})
	return created.ID, "", nil
}

// ensureGrants grants the scopes the app is not yet granted.
func (a *admin) ensureGrants(ctx context.Context, id string, scopes []string) error {
	var grants []struct {
		ScopeID string `json:"scopeId"`
		Status  string `json:"status"`
	}
	if err := a.get(ctx, "/api/v1/apps/"+url.PathEscape(id)+"/grants", &grants); err != nil {
		return err
	}
	for _, sc := range scopes {
		if slices.ContainsFunc(grants, func(g struct {
			ScopeID string `json:"scopeId"`
			Status  string `json:"status"`
		}) bool {
			return g.ScopeID == sc && (g.Status == "" || g.Status == "ACTIVE")
		}) {
			continue
		}
		if err := a.post(ctx, "/api/v1/apps/"+url.PathEscape(id)+"/grants", map[string]string{"scopeId": sc, "issuer": a.org.URL("")}, nil); err != nil {
			return err
		}
		a.ev.Emit(flows.Progress{Message: "granted " + sc})
	}
	return nil
}

// ensureRoles assigns Read-Only Administrator and, for each remediation
// capability, its custom role bound to the resource set of all users,
// each only when the app does not hold it yet.
func (a *admin) ensureRoles(ctx context.Context, id string, remediation []catalog.Capability) error {
	path := "/oauth2/v1/clients/" + url.PathEscape(id) + "/roles"
	var held []roleAssignment
	if err := a.get(ctx, path, &held); err != nil {
		return err
	}
	if !slices.ContainsFunc(held, func(r roleAssignment) bool { return r.Type == "READ_ONLY_ADMIN" }) {
		if err := a.post(ctx, path, map[string]string{"type": "READ_ONLY_ADMIN"}, nil); err != nil {
			return err
		}
		a.ev.Emit(flows.Progress{Message: "assigned the Read-Only Administrator role"})
	}
	if len(remediation) == 0 {
		return nil
	}
	set, err := a.ensureNamed(ctx, "/api/v1/iam/resource-sets", "resource-sets", resourceSetLabel, map[string]any{
		"label": resourceSetLabel, "description": "All users, for the platform's remediation (made by tether)",
		"resources": []string{a.org.URL("/api/v1/users")}})
	if err != nil {
		return err
	}
	for _, c := range remediation {
		role, err := a.ensureNamed(ctx, "/api/v1/iam/roles", "roles", roleLabel(c), map[string]any{
			"label": roleLabel(c), "description": "The platform's " + c.Name + " remediation (made by tether)", "permissions": c.Permissions})
		if err != nil {
			return err
		}
		if err := a.topUp(ctx, role, c); err != nil {
			return err
		}
		if slices.ContainsFunc(held, func(r roleAssignment) bool { return r.Type == "CUSTOM" && r.Role == role && r.ResourceSet == set }) {
			continue
		}
		if err := a.post(ctx, path, map[string]string{"type": "CUSTOM", "role": role, "resource-set": set}, nil); err != nil {
			return err
		}
		a.ev.Emit(flows.Progress{Message: `assigned the custom role "` + roleLabel(c) + `" over all users`})
	}
	return nil
}

// topUp adds to the custom role of c the permissions it lacks: a role an
// earlier run made, or one an admin narrowed, is brought up to what c
// needs. Permissions c does not need are left as they are.
func (a *admin) topUp(ctx context.Context, role string, c catalog.Capability) error {
	path := "/api/v1/iam/roles/" + url.PathEscape(role) + "/permissions"
	var page struct {
		Permissions []struct {
			Label string `json:"label"`
		} `json:"permissions"`
	}
	if err := a.get(ctx, path, &page); err != nil {
		return err
	}
	pr := *a.pr
	pr.NotJSON = true
	for _, perm := range c.Permissions {
		if slices.ContainsFunc(page.Permissions, func(p struct {
			Label string `json:"label"`
		}) bool {
			return p.Label == perm
		}) {
			continue
		}
		ans := pr.Do(ctx, http.MethodPost, a.org.URL(path+"/"+url.PathEscape(perm)), nil, nil)
		if !ans.OK() {
			return fmt.Errorf("POST %s/%s: %s%s", path, perm, ans.String(), ifMessage(ans))
		}
		a.ev.Emit(flows.Progress{Message: "added " + perm + ` to the custom role "` + roleLabel(c) + `"`})
	}
	return nil
}

// ensureNamed finds the custom role or resource set labelled label, or
// creates it with body, and returns its id.
func (a *admin) ensureNamed(ctx context.Context, path, field, label string, body map[string]any) (string, error) {
	var page map[string]json.RawMessage
	if err := a.get(ctx, path, &page); err != nil {
		return "", err
	}
	var items []named
	if err := json.Unmarshal(page[field], &items); err != nil {
		return "", fmt.Errorf("GET %s: no %s list in the answer", path, field)
	}
	for _, it := range items {
		if it.Label == label && objectID.MatchString(it.ID) {
			return it.ID, nil
		}
	}
	var created named
	if err := a.post(ctx, path, body, &created); err != nil {
		return "", err
	}
	if !objectID.MatchString(created.ID) {
		return "", fmt.Errorf("POST %s: Okta answered no valid id", path)
	}
	a.ev.Emit(flows.Progress{Message: "created " + strings.TrimSuffix(field, "s") + ` "` + label + `"`})
	return created.ID, nil
}

// revoke offers to revoke the bootstrap token, recommended: no standing
// Super Administrator token should be left behind.
func (a *admin) revoke(ctx context.Context, io flows.Interaction) {
	tokens := a.org.Admin("/admin/access/api/tokens")
	err := io.Confirm(ctx, flows.Question{Prompt: "Revoke the temporary Super Administrator token now? (recommended)",
		Detail: "tether never stores it; revoking it leaves no standing Super Administrator token behind."})
	if err != nil {
		a.ev.Emit(flows.Progress{Message: "the temporary token was left as it is: revoke it under Security → API → Tokens (" + tokens + ")"})
		return
	}
	pr := *a.pr
	pr.NotJSON = true
	ans := pr.Do(ctx, http.MethodDelete, a.org.URL("/api/v1/api-tokens/current"), nil, nil)
	if ans.Status != http.StatusNoContent {
		a.ev.Emit(flows.Progress{Message: "revoking the temporary token failed (" + ans.String() + "): revoke it under Security → API → Tokens (" + tokens + ")"})
		return
	}
	a.ev.Emit(flows.Progress{Message: "revoked the temporary Super Administrator token"})
}
