package flows

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// MicrosoftLogin is the Microsoft identity platform's sign-in host in the
// global cloud. The sovereign clouds have their own:
// https://login.microsoftonline.us (US Government) and
// https://login.chinacloudapi.cn (China, operated by 21Vianet).
const MicrosoftLogin = "https://login.microsoftonline.com"

// AdminConsent asks a Microsoft Entra administrator to grant an
// application's permissions for their whole tenant: the v2 endpoint
// /{tenant}/v2.0/adminconsent for the scopes given, or the v1 endpoint
// /{tenant}/adminconsent for every permission of the app registration
// (shared/providers/entra-google-salesforce.md §1.3).
type AdminConsent struct {
	// BaseURL is the sign-in host; "" means MicrosoftLogin.
	BaseURL string
	// Tenant is the tenant id or a verified domain; "organizations"
	// lets the admin pick. The v2 endpoint refuses "common".
	Tenant   string
	ClientID string
	// Scopes are what the v2 endpoint requests; application permissions
	// are asked for as "{resource}/.default", for example
	// https://graph.microsoft.com/.default.
	Scopes []string
	// V1 selects the v1 endpoint, which takes no scope.
	V1 bool
	// Loopback receives the redirect. Its Host defaults to "localhost":
	// Entra ignores the port of a localhost redirect URI, and its portal
	// cannot register an http://127.0.0.1 one.
	Loopback Loopback
	Clock    Clock
}

// AdminConsentResult is what the consent redirect reports.
type AdminConsentResult struct {
	// Tenant is the id of the tenant that consented. Microsoft warns that
	// it is not proof of anything: verify with a token.
	Tenant string
	// Scope lists what the v2 endpoint says was granted.
	Scope []string
}

// URL returns the admin consent URL for redirectURI and state.
func (a AdminConsent) URL(redirectURI, state string) string {
	base := strings.TrimSuffix(a.BaseURL, "/")
	if base == "" {
		base = MicrosoftLogin
	}
	tenant := a.Tenant
	if tenant == "" {
		tenant = "organizations"
	}
	v := url.Values{"client_id": {a.ClientID}, "redirect_uri": {redirectURI}, "state": {state}}
	if a.V1 {
		return base + "/" + url.PathEscape(tenant) + "/adminconsent?" + v.Encode()
	}
	v.Set("scope", strings.Join(a.Scopes, " "))
	return base + "/" + url.PathEscape(tenant) + "/v2.0/adminconsent?" + v.Encode()
}

// Run opens the admin consent page and waits for its redirect, on the
// loopback server or pasted on in.Paste, with BrowserSignIn's checks. The
// redirect must carry this request's state and admin_consent=True. A
// refusal is an *AuthorizationError that matches ErrDenied when the admin
// declined (access_denied, v1's permission_denied, or AADSTS65004, which
// Microsoft also sends as consent_required).
func (a AdminConsent) Run(ctx context.Context, in Interaction) (AdminConsentResult, error) {
	if a.ClientID == "" {
		return AdminConsentResult{}, errors.New("admin consent needs the application (client) id")
	}
	if !a.V1 && len(a.Scopes) == 0 {
		return AdminConsentResult{}, errors.New("the v2 admin consent endpoint needs a scope, such as https://graph.microsoft.com/.default")
	}
	if !a.V1 && strings.EqualFold(a.Tenant, "common") {
		return AdminConsentResult{}, errors.New(`the v2 admin consent endpoint refuses the tenant "common": give the tenant id or domain, or "organizations"`)
	}
	if a.BaseURL != "" {
		if err := CheckURL(a.BaseURL); err != nil {
			return AdminConsentResult{}, err
		}
	}
	lbc := a.Loopback
	if lbc.Host == "" {
		lbc.Host = "localhost"
	}
	lb, err := listenLoopback(lbc)
	if err != nil {
		return AdminConsentResult{}, err
	}
	defer lb.close()

	state := rand.Text()
	var res AdminConsentResult
	err = lb.await(ctx, in, a.Clock, lbc.timeout(), a.URL(lb.redirectURI, state), state, func(_ context.Context, q url.Values) error {
		if code := q.Get("error"); code != "" {
			return adminConsentError(code, q.Get("error_description"), q.Get("error_uri"))
		}
		if !strings.EqualFold(q.Get("admin_consent"), "True") {
			return fmt.Errorf("the redirect did not confirm the consent (admin_consent=%q)", q.Get("admin_consent"))
		}
		res = AdminConsentResult{Tenant: q.Get("tenant"), Scope: strings.Fields(q.Get("scope"))}
		return nil
	})
	if err != nil {
		var ae *AuthorizationError
		if errors.As(err, &ae) && errors.Is(err, ErrDenied) {
			in.Events.Emit(Denied{Reason: ae.Description})
		}
		return AdminConsentResult{}, err
	}
	in.Events.Emit(Approved{})
	return res, nil
}

// adminConsentError explains an admin consent error redirect.
func adminConsentError(code, desc, uri string) *AuthorizationError {
	e := authorizationError(code, desc, uri)
	switch {
	case code == "permission_denied" || strings.HasPrefix(desc, "AADSTS65004"):
		e.Explanation, e.Err = "the administrator declined to grant the permissions", ErrDenied
	case strings.HasPrefix(desc, "AADSTS50020"):
		e.Explanation = "the account that signed in belongs to another tenant: sign in as an administrator of the tenant being connected"
	case strings.HasPrefix(desc, "AADSTS90094"):
		e.Explanation = "the account that signed in may not grant these permissions: a Global Administrator or Privileged Role Administrator must consent"
	}
	return e
}
