package entra

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

// graphCLIClientID is Microsoft Graph Command Line Tools, the public
// client tenants know without registering it (§1.9): the admin signs in
// to it with the device code flow.
const graphCLIClientID = "14d82eec-204b-4c2f-b7e8-296a70dab67e"

// createdTag marks the app registration create made, so that a re-run
// finds it instead of making another.
const createdTag = "tether:connector"

// createdName is its display name.
const createdName = "tether connector"

// defaultSecretDays is the lifetime of the secret create adds.
const defaultSecretDays = 180

// adminScopes are the delegated permissions the admin grants tether for
// the creation only (permissions-grant-via-msgraph.md).
var adminScopes = []string{"Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All"}

func validSecretDays(s string) error {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 || n > 730 {
		return errors.New("the secret's lifetime is a number of days from 1 to 730 (Entra's limit is two years); 180 is the default")
	}
	return nil
}

// created is what create made: the app's client id, its new secret and
// when that expires.
type created struct {
	clientID, secret string
	end              time.Time
}

// graphClient makes the admin's Graph requests, each tried once: a
// retried POST could create a second app.
type graphClient struct {
	pr    *providers.Prober
	cloud Cloud
}

func (g graphClient) do(ctx context.Context, method, path string, body, out any) error {
	var data []byte
	if body != nil {
		var err error
		if data, err = json.Marshal(body); err != nil {
			return err
		}
	}
	a := g.pr.Do(ctx, method, g.cloud.GraphURL(path), data, http.Header{"Content-Type": {"application/json"}})
	if !a.OK() {
		return fmt.Errorf("%s: %s", a.Request, a.String())
	}
	if out != nil {
		if err := json.Unmarshal(a.Body, out); err != nil {
			return fmt.Errorf("%s: the answer is not the JSON expected: %w", a.Request, err)
		}
	}
	return nil
}

// create signs the admin in with the device code flow, asks to go on,
// and creates (or, on a re-run, finds and completes) the app
// registration with exactly the required application permissions, its
// service principal, the app role assignments that are its admin
// consent, and a client secret. It never removes what it did not add.
// The admin's token is used here only, never stored.
func (p *Provider) create(ctx context.Context, cloud Cloud, tenant string, days int, io flows.Interaction) (created, error) {
	scopes := make([]string, len(adminScopes))
	for i, s := range adminScopes {
		scopes[i] = cloud.GraphResource() + "/" + s
	}
	c := flows.Client{
		Endpoints: flows.Endpoints{TokenURL: cloud.TokenURL(tenant),
			DeviceAuthorizationURL: "https://" + cloud.Login + "/" + url.PathEscape(tenant) + "/oauth2/v2.0/devicecode"},
		ClientID: graphCLIClientID, Scopes: scopes, HTTPClient: p.env.HTTP, Clock: p.env.Clock,
	}
	io.Events.Emit(flows.Progress{Message: "sign in as a Global Administrator or Privileged Role Administrator of " + tenant})
	tok, err := c.DeviceSignIn(ctx, io)
	if err != nil && blockedByPolicy(err) {
		// Conditional Access often blocks the device code flow alone: the
		// same sign-in in a browser on this machine may pass.
		q := flows.Question{Prompt: "Conditional Access blocked the device code sign-in. Sign in in a browser on this machine instead?",
			Detail: "tether opens Microsoft's sign-in page and receives the answer on http://localhost; the sign-in is used for the creation only"}
		if qerr := io.Confirm(ctx, q); qerr == nil {
			c.Endpoints.AuthorizationURL = "https://" + cloud.Login + "/" + url.PathEscape(tenant) + "/oauth2/v2.0/authorize"
			c.Loopback = flows.Loopback{Host: "localhost"}
			tok, err = c.BrowserSignIn(ctx, io)
		}
	}
	if err != nil {
		return created{}, deviceError(cloud, tenant, err)
	}
	pr := p.prober(tok.AccessToken, nil)
	pr.NotJSON, pr.Attempts = true, 1
	g := graphClient{pr: pr, cloud: cloud}
	// Exactly what the capabilities the setup enables need (collect alone
	// outside a setup).
	caps, _ := providers.CapabilitiesOf(ctx)
	required := p.cat.Scopes(caps)

	var apps struct {
		Value []appRegistration `json:"value"`
	}
	filter := "?$filter=" + url.QueryEscape("tags/any(t:t eq '"+createdTag+"')") + "&$select=" + url.QueryEscape("id,appId,displayName,requiredResourceAccess,passwordCredentials")
	if err := g.do(ctx, http.MethodGet, "/applications"+filter, nil, &apps); err != nil {
		return created{}, graphFailure("finding an app registration tether made", err)
	}
	if len(apps.Value) > 1 {
		return created{}, &providers.SignInError{Reason: fmt.Sprintf("%d app registrations carry tether's tag %q", len(apps.Value), createdTag),
			Fix: "delete the extra ones under App registrations, keeping one, and run setup again"}
	}
	var app *appRegistration
	if len(apps.Value) == 1 {
		app = &apps.Value[0]
	}
	var add []string
	for _, r := range required {
		if role, _ := app.declared(r); !role {
			add = append(add, r)
		}
	}
	q := flows.Question{
		Prompt: fmt.Sprintf("Create the app registration %q in %s?", createdName, tenant),
		Detail: "with the Microsoft Graph application permissions " + strings.Join(required, ", ") + ", their admin consent, and a client secret valid " + strconv.Itoa(days) + " days",
	}
	if app != nil {
		q.Prompt = fmt.Sprintf("Bring the app registration %q (%s) in %s up to date?", app.DisplayName, app.AppID, tenant)
		q.Detail = "adding what is missing of " + strings.Join(required, ", ") + " and their consent, removing nothing, and adding a client secret valid " + strconv.Itoa(days) + " days"
	}
	if err := io.Confirm(ctx, q); err != nil {
		return created{}, err
	}
	if app == nil {
		body := map[string]any{"displayName": createdName, "signInAudience": "AzureADMyOrg", "tags": []string{createdTag},
			"requiredResourceAccess": []any{map[string]any{"resourceAppId": graphAppID, "resourceAccess": accessOf(required)}}}
		app = &appRegistration{}
		if err := g.do(ctx, http.MethodPost, "/applications", body, app); err != nil {
			return created{}, graphFailure("creating the app registration", err)
		}
		io.Events.Emit(flows.Progress{Message: "created the app registration " + app.AppID})
	} else if len(add) > 0 {
		if err := g.do(ctx, http.MethodPatch, "/applications/"+url.PathEscape(app.ID), map[string]any{"requiredResourceAccess": mergeAccess(app, add)}, nil); err != nil {
			return created{}, graphFailure("adding permissions to the app registration", err)
		}
		io.Events.Emit(flows.Progress{Message: "requested " + strings.Join(add, ", ") + " on the app registration"})
	}
	spID, err := servicePrincipal(ctx, g, app.AppID)
	if err != nil {
		return created{}, err
	}
	if err := assignRoles(ctx, g, spID, required, io.Events); err != nil {
		return created{}, err
	}
	var pw struct {
		SecretText  string    `json:"secretText"`
		EndDateTime time.Time `json:"endDateTime"`
	}
	end := p.env.Clock.Time().Add(time.Duration(days) * 24 * time.Hour).UTC().Truncate(time.Second)
	if err := g.do(ctx, http.MethodPost, "/applications/"+url.PathEscape(app.ID)+"/addPassword",
		map[string]any{"passwordCredential": map[string]any{"displayName": "tether", "endDateTime": end}}, &pw); err != nil {
		return created{}, graphFailure("adding a client secret", err)
	}
	if pw.SecretText == "" {
		return created{}, errors.New("adding a client secret: Entra returned no secretText")
	}
	return created{clientID: strings.ToLower(app.AppID), secret: pw.SecretText, end: pw.EndDateTime.UTC()}, nil
}

func accessOf(perms []string) []map[string]string {
	var out []map[string]string
	for _, r := range perms {
		out = append(out, map[string]string{"id": graphPermissions[r].role, "type": "Role"})
	}
	return out
}

// mergeAccess is the registration's requiredResourceAccess with add
// requested as application permissions, everything else kept.
func mergeAccess(app *appRegistration, add []string) []any {
	var out []any
	graph := false
	for _, r := range app.RequiredResourceAccess {
		acc := []map[string]string{}
		for _, ra := range r.ResourceAccess {
			acc = append(acc, map[string]string{"id": ra.ID, "type": ra.Type})
		}
		if r.ResourceAppID == graphAppID {
			graph = true
			acc = append(acc, accessOf(add)...)
		}
		out = append(out, map[string]any{"resourceAppId": r.ResourceAppID, "resourceAccess": acc})
	}
	if !graph {
		out = append(out, map[string]any{"resourceAppId": graphAppID, "resourceAccess": accessOf(add)})
	}
	return out
}

// servicePrincipal finds or creates the app's service principal.
func servicePrincipal(ctx context.Context, g graphClient, appID string) (string, error) {
	var sps struct {
		Value []struct {
			ID string `json:"id"`
		} `json:"value"`
	}
	if err := g.do(ctx, http.MethodGet, "/servicePrincipals?$filter="+url.QueryEscape("appId eq '"+appID+"'"), nil, &sps); err != nil {
		return "", graphFailure("finding the app's service principal", err)
	}
	if len(sps.Value) == 1 {
		return sps.Value[0].ID, nil
	}
	var sp struct {
		ID string `json:"id"`
	}
	if err := g.do(ctx, http.MethodPost, "/servicePrincipals", map[string]string{"appId": appID}, &sp); err != nil {
		return "", graphFailure("creating the app's service principal", err)
	}
	return sp.ID, nil
}

// assignRoles grants each required role the app has not been assigned:
// assigning Microsoft Graph's app roles is the admin consent.
func assignRoles(ctx context.Context, g graphClient, spID string, required []string, events flows.Events) error {
	var graph struct {
		ID       string `json:"id"`
		AppRoles []struct {
			ID    string `json:"id"`
			Value string `json:"value"`
		} `json:"appRoles"`
	}
	if err := g.do(ctx, http.MethodGet, "/servicePrincipals(appId='"+graphAppID+"')?$select=id,appRoles", nil, &graph); err != nil {
		return graphFailure("reading Microsoft Graph's app roles", err)
	}
	var have struct {
		Value []struct {
			AppRoleID string `json:"appRoleId"`
		} `json:"value"`
	}
	if err := g.do(ctx, http.MethodGet, "/servicePrincipals/"+url.PathEscape(spID)+"/appRoleAssignments", nil, &have); err != nil {
		return graphFailure("reading the app's role assignments", err)
	}
	var granted []string
	for _, r := range required {
		i := slices.IndexFunc(graph.AppRoles, func(x struct {
			ID    string `json:"id"`
			Value string `json:"value"`
		}) bool {
			return x.Value == r
		})
		if i < 0 {
			return fmt.Errorf("Microsoft Graph in this tenant has no app role %s", r)
		}
		id := graph.AppRoles[i].ID
		if slices.ContainsFunc(have.Value, func(x struct {
			AppRoleID string `json:"appRoleId"`
		}) bool {
			return strings.EqualFold(x.AppRoleID, id)
		}) {
			continue
		}
		body := map[string]string{"principalId": spID, "resourceId": graph.ID, "appRoleId": id}
		if err := g.do(ctx, http.MethodPost, "/servicePrincipals/"+url.PathEscape(graph.ID)+"/appRoleAssignedTo", body, nil); err != nil {
			return graphFailure("granting "+r, err)
		}
		granted = append(granted, r)
	}
	if len(granted) > 0 {
		events.Emit(flows.Progress{Message: "granted (admin consent) " + strings.Join(granted, ", ")})
	}
	return nil
}

func graphFailure(what string, err error) error {
	fix := "run setup again; if it persists, check the admin holds Global Administrator or Privileged Role Administrator"
	if strings.Contains(err.Error(), "Authorization_RequestDenied") || strings.Contains(err.Error(), "403") {
		fix = "sign in as a Global Administrator or Privileged Role Administrator: granting Microsoft Graph application permissions needs one"
	}
	return &providers.SignInError{Reason: what + " failed (" + err.Error() + ")", Fix: fix, Err: err}
}

// conditionalAccess are the AADSTS codes of a Conditional Access or
// device policy that refuses the device code sign-in.
var conditionalAccess = []int{53003, 50097, 50158, 53000, 53001, 530033}

func blockedByPolicy(err error) bool {
	var te *flows.TokenError
	return errors.As(err, &te) && slices.Contains(conditionalAccess, AADSTS(te.Description))
}

// deviceError explains a failed device code or browser sign-in.
func deviceError(cloud Cloud, tenant string, err error) error {
	var te *flows.TokenError
	var ae *flows.AuthorizationError
	switch {
	case blockedByPolicy(err):
		errors.As(err, &te)
		return &providers.SignInError{Reason: "Conditional Access blocks the device code sign-in (" + te.Code + ": " + firstLine(te.Description) + ")",
			Fix: "sign in from a device the policy allows, or have the policy exclude Microsoft Graph Command Line Tools for this setup; or create the app by hand and use --method client-secret", Err: err}
	case errors.As(err, &ae) && errors.Is(err, flows.ErrDenied):
		return &providers.SignInError{Reason: "the sign-in was declined", Fix: "run setup again and approve the sign-in", Err: err}
	case errors.As(err, &ae) && errors.Is(err, flows.ErrExpired):
		return &providers.SignInError{Reason: "the sign-in code expired before it was used", Fix: "run setup again and enter the code within 15 minutes", Err: err}
	case errors.As(err, &te):
		return signInError(links{cloud: cloud, tenant: tenant, client: graphCLIClientID}, err)
	}
	return err
}
