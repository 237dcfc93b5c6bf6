package entra

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

func registration(access ...[2]string) *appRegistration {
	a := &appRegistration{}
	a.RequiredResourceAccess = make([]struct {
		ResourceAppID  string `json:"resourceAppId"`
		ResourceAccess []struct {
			ID   string `json:"id"`
			Type string `json:"type"`
		} `json:"resourceAccess"`
	}, 1)
	a.RequiredResourceAccess[0].ResourceAppID = graphAppID
	for _, x := range access {
		a.RequiredResourceAccess[0].ResourceAccess = append(a.RequiredResourceAccess[0].ResourceAccess, struct {
			ID   string `json:"id"`
			Type string `json:"type"`
		}{x[0], x[1]})
	}
	return a
}

// TestObserve is the specification of observe and fixFor.
func TestObserve(t *testing.T) {
	u := graphPermissions["User.Read.All"]
	l := links{cloud: Clouds[0], tenant: "contoso.onmicrosoft.com", client: "535fb089-9ff3-47b6-9bfb-4f1264799865"}
	for _, tt := range []struct {
		name     string
		roles    []string
		app      *appRegistration
		method   string
		status   providers.Status
		evidence string
		fix      string
		fixURL   string
	}{
		{"listed", []string{"User.Read.All"}, nil, MethodClientSecret, providers.Granted, "roles claim lists User.Read.All", "", ""},
		{"absent, registration unknown", nil, nil, MethodClientSecret, providers.Missing, "lacks User.Read.All", "Application permissions → User.Read.All", "CallAnAPI"},
		{"absent, requested as delegated", nil, registration([2]string{u.scope, "Scope"}), MethodClientSecret, providers.Missing, "as a delegated permission", "remove the Delegated User.Read.All", "CallAnAPI"},
		{"absent, requested as both", nil, registration([2]string{u.scope, "Scope"}, [2]string{u.role, "Role"}), MethodClientSecret, providers.Missing, "no admin consent", "Grant admin consent", "/adminconsent?client_id="},
		{"absent, declared, no consent", nil, registration([2]string{u.role, "Role"}), MethodCertificate, providers.Missing, "no admin consent", "Grant admin consent", "/adminconsent?client_id="},
		{"absent, not requested", []string{"Directory.Read.All"}, registration(), MethodClientSecret, providers.Missing, "does not request it", "Add a permission", "CallAnAPI"},
		{"absent, upper-case GUID", nil, registration([2]string{strings.ToUpper(u.role), "Role"}), MethodClientSecret, providers.Missing, "no admin consent", "Grant admin consent", "/adminconsent"},
		{"absent, admin consent method", nil, nil, MethodAdminConsent, providers.Missing, "lacks", "consent again", "/adminconsent?client_id="},
		{"a role of another resource is not Graph's", nil, func() *appRegistration {
			a := registration([2]string{u.role, "Role"})
			a.RequiredResourceAccess[0].ResourceAppID = "00000002-0000-0000-c000-000000000000"
			return a
		}(), MethodClientSecret, providers.Missing, "does not request it", "Add a permission", "CallAnAPI"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := observe("User.Read.All", tt.roles, tt.app)
			if o.Status != tt.status || !strings.Contains(o.Evidence, tt.evidence) {
				t.Errorf("observe = %+v; want %s with %q", o, tt.status, tt.evidence)
			}
			if tt.status == providers.Granted {
				return
			}
			fix, url := fixFor(catalog.Need{Capability: "collect", Permission: catalog.Permission{Name: "User.Read.All"}}, tt.method, tt.app, l)
			if !strings.Contains(fix, tt.fix) || !strings.Contains(url, tt.fixURL) {
				t.Errorf("fix = %q %q; want %q, %q", fix, url, tt.fix, tt.fixURL)
			}
		})
	}
}

func tokenError(status int, code string, n int) error {
	desc := ""
	if n != 0 {
		desc = "AADSTS" + itoa(n) + ": what Entra says.\r\nTrace ID: 1\r\nCorrelation ID: 2\r\nTimestamp: 2026-12-02 10:00:00Z"
	}
	return &flows.TokenError{Status: status, Code: code, Description: desc, Header: http.Header{"Retry-After": {"7"}}}
}

func itoa(n int) string {
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

// TestSignInErrors: every AADSTS code of the table, and what is not in
// it, becomes one sentence and a fix.
func TestSignInErrors(t *testing.T) {
	l := links{cloud: Clouds[0], tenant: "contoso.onmicrosoft.com", client: "535fb089-9ff3-47b6-9bfb-4f1264799865"}
	for _, tt := range []struct {
		n      int
		status int
		code   string
		reason string
		fix    string
	}{
		{7000215, 401, "invalid_client", "rejected the client secret", "not its Secret ID"},
		{7000222, 401, "invalid_client", "has expired", "create a new client secret"},
		{700016, 400, "unauthorized_client", "no application with this client ID", "Application (client) ID"},
		{90002, 400, "invalid_request", "no tenant", "Directory (tenant) ID"},
		{900023, 400, "invalid_request", "no tenant", "Directory (tenant) ID"},
		{65001, 400, "invalid_grant", "not been consented", "/adminconsent?client_id="},
		{7000218, 401, "invalid_client", "neither a client secret", "setup entra again"},
		{700027, 401, "invalid_client", "certificate assertion", "upload the certificate"},
		{700024, 400, "invalid_client", "validity window", "clock"},
		{50012, 401, "invalid_client", "refused the app's authentication", "Certificates & secrets"},
		{70001, 400, "unauthorized_client", "disabled", "Enabled for users to sign in"},
		{7000112, 400, "unauthorized_client", "disabled", "Enabled for users to sign in"},
		{53003, 400, "invalid_grant", "Conditional Access", "Conditional Access policy"},
		{70011, 400, "invalid_scope", "refused the scope", "https://graph.microsoft.com/.default"},
		{500011, 400, "invalid_resource", "not a resource", "cloud setting"},
		{700025, 400, "invalid_client", "public client", "Allow public client flows"},
		{90055, 429, "temporarily_unavailable", "throttling", "wait 7 seconds"},
		{9999999, 400, "invalid_request", "refused the token request", "error?code=9999999"},
		{0, 503, "server_error", "refused the token request", ""},
	} {
		t.Run(itoa(tt.n)+tt.code, func(t *testing.T) {
			err := signInError(l, tokenError(tt.status, tt.code, tt.n))
			var se *providers.SignInError
			if !errors.As(err, &se) {
				t.Fatalf("%T %v", err, err)
			}
			if !strings.Contains(se.Reason, tt.reason) || !strings.Contains(se.Fix, tt.fix) {
				t.Errorf("reason %q fix %q; want %q, %q", se.Reason, se.Fix, tt.reason, tt.fix)
			}
			if strings.Contains(se.Reason, "Trace ID") {
				t.Errorf("the reason keeps the trace lines: %q", se.Reason)
			}
		})
	}
	net := &flows.NetworkError{}
	if err := signInError(l, net); err != net {
		t.Errorf("a network error is not passed through: %v", err)
	}
}

// TestConsentErrors: each documented answer of the admin consent
// endpoint is explained.
func TestConsentErrors(t *testing.T) {
	for _, tt := range []struct {
		err    error
		reason string
		fix    string
	}{
		{&flows.AuthorizationError{Code: "access_denied", Description: "AADSTS65004: User declined to consent to access the app.\r\nTrace ID: x", Err: flows.ErrDenied}, "declined", "choose Accept"},
		{&flows.AuthorizationError{Code: "consent_required", Description: "AADSTS65004: The resource owner or authorization server denied the request.", Err: flows.ErrDenied}, "declined", "choose Accept"},
		{&flows.AuthorizationError{Code: "permission_denied", Description: "The admin canceled the request", Err: flows.ErrDenied}, "declined", "choose Accept"},
		{&flows.AuthorizationError{Code: "access_denied", Description: "AADSTS50020: User account from identity provider does not exist in tenant."}, "not from this tenant", "administrator account of"},
		{&flows.AuthorizationError{Code: "access_denied", Description: "AADSTS90094: Admin consent is required."}, "may not grant consent", "Privileged Role Administrator"},
		{&flows.AuthorizationError{Code: "invalid_request", Description: "AADSTS900144: The request body must contain the following parameter: 'scope'."}, "incomplete", "defect"},
		{&flows.AuthorizationError{Code: "invalid_request", Description: "AADSTS700016: Application not found."}, "not found", "multi-tenant"},
		{&flows.AuthorizationError{Code: "server_error", Description: "boom"}, "failed", "/adminconsent?client_id="},
		{&flows.TimeoutError{}, "in time", "paste"},
	} {
		err := consentError(Clouds[0], "contoso.onmicrosoft.com", "535fb089-9ff3-47b6-9bfb-4f1264799865", tt.err)
		var se *providers.SignInError
		if !errors.As(err, &se) || !strings.Contains(se.Reason, tt.reason) || !strings.Contains(se.Fix, tt.fix) {
			t.Errorf("%v → %v; want %q, %q", tt.err, err, tt.reason, tt.fix)
		}
	}
}

func TestInputs(t *testing.T) {
	for _, tt := range []struct {
		name  string
		check func(string) error
		in    string
		want  string // "" accepts
	}{
		{"tenant GUID", func(s string) error { _, err := CanonicalTenant(s); return err }, " 72F988BF-86F1-41AF-91AB-2D7CD011DB47 ", ""},
		{"tenant domain", func(s string) error { _, err := CanonicalTenant(s); return err }, "Contoso.onmicrosoft.com", ""},
		{"tenant common", func(s string) error { _, err := CanonicalTenant(s); return err }, "common", "names no tenant"},
		{"tenant URL", func(s string) error { _, err := CanonicalTenant(s); return err }, "https://login.microsoftonline.com/contoso", "not a tenant"},
		{"client id", validClientID, "535fb089-9ff3-47b6-9bfb-4f1264799865", ""},
		{"client id not a GUID", validClientID, "tether", "GUID"},
		{"secret", validClientSecret, "abc8Q~0123456789abcdefghijklmnopqrstuvwxy", ""},
		{"secret ID pasted", validClientSecret, "f0b0b335-1d71-4883-8f98-567911bfdca6", "Secret ID"},
		{"secret with a space", validClientSecret, "abc8Q~0123456789 abcdefghij", "spaces"},
		{"secret truncated", validClientSecret, "abc8Q~01", "truncated"},
		{"secret too long", validClientSecret, strings.Repeat("a", 300), "Value column"},
		{"cloud", func(s string) error { _, err := CloudByID(s); return err }, "usgov", ""},
		{"cloud unknown", func(s string) error { _, err := CloudByID(s); return err }, "mars", "global, usgov, usgov-dod, china"},
		{"certificate without certificate", validCertificate, "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n", "in one PEM"},
		{"certificate empty", validCertificate, "nothing", "in one PEM"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.check(tt.in)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("err = %v, want %q", err, tt.want)
			case err != nil && len(tt.in) > 12 && strings.Contains(err.Error(), tt.in) && strings.Contains(tt.name, "secret"):
				t.Errorf("the error quotes the secret: %v", err)
			}
		})
	}
}

func TestCheckClaims(t *testing.T) {
	const app, tid = "535fb089-9ff3-47b6-9bfb-4f1264799865", "72f988bf-86f1-41af-91ab-2d7cd011db47"
	good := accessClaims{Audience: jwt.Audience{"https://graph.microsoft.com"}, TenantID: tid, AppID: app}
	for _, tt := range []struct {
		name   string
		mutate func(*accessClaims)
		cloud  Cloud
		want   string
	}{
		{"good", func(*accessClaims) {}, Clouds[0], ""},
		{"v2 azp", func(c *accessClaims) { c.AppID, c.Azp = "", app }, Clouds[0], ""},
		{"graph app id as aud", func(c *accessClaims) { c.Audience = jwt.Audience{graphAppID} }, Clouds[0], ""},
		{"another app", func(c *accessClaims) { c.AppID = "11111111-2222-4333-8444-555555555555" }, Clouds[0], "issued to application"},
		{"another audience", func(c *accessClaims) { c.Audience = jwt.Audience{"https://management.azure.com"} }, Clouds[0], "not Microsoft Graph"},
		{"another cloud's graph", func(*accessClaims) {}, Clouds[3], "not Microsoft Graph"},
		{"another tenant", func(c *accessClaims) { c.TenantID = "00000000-0000-4000-8000-000000000000" }, Clouds[0], "from tenant"},
		{"delegated", func(c *accessClaims) { c.Scp = "User.Read" }, Clouds[0], "delegated"},
	} {
		c := good
		tt.mutate(&c)
		err := checkClaims(c, tt.cloud, tid, app)
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
}

// TestCatalogRolesKnown: every catalog permission has its app role GUID.
func TestCatalogRolesKnown(t *testing.T) {
	cat, _ := catalog.Default()
	if _, err := New(cat, providers.Env{}); err != nil {
		t.Fatal(err)
	}
	for name, p := range graphPermissions {
		if n, delegated, ok := permissionOf(p.role, "Role"); !ok || delegated || n != name {
			t.Errorf("%s: role %s maps to %q", name, p.role, n)
		}
		if n, delegated, ok := permissionOf(p.scope, "Scope"); !ok || !delegated || n != name {
			t.Errorf("%s: scope %s maps to %q", name, p.scope, n)
		}
	}
}

// TestNotPropagated: only the refusals a newly made app or secret meets
// until Entra has replicated it are waited out.
func TestNotPropagated(t *testing.T) {
	for n, want := range map[int]bool{7000215: true, 700016: true, 7000229: true, 7000222: false, 90002: false, 0: false} {
		if got := notPropagated(tokenError(401, "invalid_client", n)); got != want {
			t.Errorf("AADSTS%d: %v, want %v", n, got, want)
		}
	}
	if notPropagated(errors.New("network")) {
		t.Error("a network error is waited out")
	}
}
