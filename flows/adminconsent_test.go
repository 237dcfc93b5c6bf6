package flows

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tetherdev/tether/flows/oauthtest"
)

func TestAdminConsentURL(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    AdminConsent
		want string
	}{
		{"v2", AdminConsent{Tenant: "contoso.onmicrosoft.com", ClientID: "app", Scopes: []string{"https://graph.microsoft.com/.default"}},
			"https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0/adminconsent?client_id=app&redirect_uri=http%3A%2F%2Flocalhost%3A1234%2F&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&state=st"},
		{"v1", AdminConsent{Tenant: "common", ClientID: "app", V1: true},
			"https://login.microsoftonline.com/common/adminconsent?client_id=app&redirect_uri=http%3A%2F%2Flocalhost%3A1234%2F&state=st"},
		{"US Government cloud, no tenant", AdminConsent{BaseURL: "https://login.microsoftonline.us/", ClientID: "app", Scopes: []string{"a", "b"}},
			"https://login.microsoftonline.us/organizations/v2.0/adminconsent?client_id=app&redirect_uri=http%3A%2F%2Flocalhost%3A1234%2F&scope=a+b&state=st"},
	} {
		if got := tc.a.URL("http://localhost:1234/", "st"); got != tc.want {
			t.Errorf("%s: URL() = %s, want %s", tc.name, got, tc.want)
		}
	}
}

func adminConsentOf(srv *oauthtest.Server) AdminConsent {
	return AdminConsent{
		BaseURL:  srv.URL,
		Tenant:   "organizations",
		ClientID: publicID,
		Scopes:   []string{"https://graph.microsoft.com/.default"},
		Loopback: Loopback{Timeout: 10 * time.Second},
	}
}

func adminClients() []oauthtest.Client {
	return []oauthtest.Client{{ID: publicID, RedirectURIs: []string{"http://localhost"}}}
}

func TestAdminConsentApproved(t *testing.T) {
	for _, v1 := range []bool{false, true} {
		srv, _ := startServer(t, oauthtest.Options{Clients: adminClients()})
		a := adminConsentOf(srv)
		a.V1 = v1
		rec := &recorder{}
		b := &oauthtest.Browser{}
		res, err := a.Run(bounded(t), Interaction{Events: rec.Events(), Browser: b})
		if err != nil {
			t.Fatalf("v1=%v: Run() = %v", v1, err)
		}
		if res.Tenant != oauthtest.DefaultTenantID {
			t.Errorf("v1=%v: tenant = %q", v1, res.Tenant)
		}
		if !v1 && !slices.Equal(res.Scope, a.Scopes) {
			t.Errorf("scope = %v", res.Scope)
		}
		if _, ok := srv.AdminConsented(publicID); !ok {
			t.Error("the emulator recorded no consent")
		}
		aw := rec.find("AwaitingRedirect")[0].(AwaitingRedirect)
		if !strings.HasPrefix(aw.RedirectURI, "http://localhost:") {
			t.Errorf("RedirectURI = %s, want localhost (Entra ignores its port)", aw.RedirectURI)
		}
		if visits, err := b.Wait(); err != nil || !strings.Contains(visits[0].Body, `data-result="success"`) {
			t.Errorf("browser: %v %+v", err, visits)
		}
	}
}

func TestAdminConsentDeclined(t *testing.T) {
	srv, _ := startServer(t, oauthtest.Options{Clients: adminClients()})
	rec := &recorder{}
	_, err := adminConsentOf(srv).Run(bounded(t), Interaction{Events: rec.Events(), Browser: &oauthtest.Browser{Decision: "deny"}})
	var ae *AuthorizationError
	if !errors.Is(err, ErrDenied) || !errors.As(err, &ae) || !strings.HasPrefix(ae.Description, "AADSTS65004: User declined") {
		t.Fatalf("Run() = %v, want AADSTS65004 verbatim", err)
	}
	if ae.URI == "" || !strings.Contains(ae.Explanation, "declined") {
		t.Errorf("AuthorizationError = %+v", ae)
	}
	if len(rec.find("Denied")) != 1 {
		t.Errorf("events = %v", rec.kinds())
	}
}

// fakeConsent redirects with query to the redirect_uri it is given.
func fakeConsent(t *testing.T, query string) string {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		http.Redirect(w, r, q.Get("redirect_uri")+"?"+query+"&state="+q.Get("state"), http.StatusFound)
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

func TestAdminConsentRedirectErrors(t *testing.T) {
	for _, tc := range []struct {
		name, query string
		denied      bool
		want        string
	}{
		{"no admin_consent", "tenant=t1", false, "did not confirm"},
		{"admin_consent=False", "admin_consent=False&tenant=t1", false, "did not confirm"},
		{"consent_required AADSTS65004", "admin_consent=True&error=consent_required&error_description=AADSTS65004%3a+The+resource+owner+or+authorization+server+denied+the+request.", true, "declined"},
		{"v1 permission_denied", "error=permission_denied&error_description=The+admin+canceled+the+request", true, "declined"},
		{"another tenant's user", "error=access_denied&error_description=AADSTS50020%3a+User+account+from+identity+provider+does+not+exist+in+tenant", true, "another tenant"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := AdminConsent{BaseURL: fakeConsent(t, tc.query), ClientID: "app", Scopes: []string{"x/.default"}}
			b := &oauthtest.Browser{}
			_, err := a.Run(bounded(t), Interaction{Browser: openerFunc(func(u string) error {
				go func() {
					resp, err := http.Get(u)
					if err == nil {
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
				}()
				return nil
			})})
			b.Wait()
			if err == nil || errors.Is(err, ErrDenied) != tc.denied || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Run() = %v, want %q (denied %v)", err, tc.want, tc.denied)
			}
		})
	}
}

func TestAdminConsentRefusesBadInput(t *testing.T) {
	for _, a := range []AdminConsent{
		{Scopes: []string{"x"}},
		{ClientID: "app"},
		{ClientID: "app", Tenant: "common", Scopes: []string{"x"}},
		{ClientID: "app", Scopes: []string{"x"}, BaseURL: "http://login.example.com"},
	} {
		if _, err := a.Run(bounded(t), Interaction{}); err == nil {
			t.Errorf("Run(%+v) succeeded", a)
		}
	}
}
