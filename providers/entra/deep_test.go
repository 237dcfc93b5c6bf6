package entra_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/providers/entra"
	"github.com/tetherdev/tether/providers/entra/entratest"
)

var devices = []string{"DeviceManagementApps.Read.All", "DeviceManagementConfiguration.Read.All", "DeviceManagementManagedDevices.Read.All"}

// failing fails every request whose path holds one of paths, as a
// broken network would, and passes the others on.
type failing struct {
	next  http.RoundTripper
	paths []string
}

func (f failing) RoundTrip(r *http.Request) (*http.Response, error) {
	if slices.ContainsFunc(f.paths, func(p string) bool { return strings.Contains(r.URL.Path, p) }) {
		return nil, errors.New("connection reset by peer")
	}
	return f.next.RoundTrip(r)
}

// deepVerify sets up the client-secret method against tn and verifies it
// deep with collect and devices enabled.
func deepVerify(t *testing.T, tn entratest.Tenant, failPaths ...string) *reporter {
	t.Helper()
	f := start(t, entratest.Options{Tenants: []entratest.Tenant{tn}}, providers.Env{})
	if failPaths != nil {
		hc := *f.sb.HTTPClient()
		hc.Transport = failing{next: hc.Transport, paths: failPaths}
		// Retries wait on a clock that does not: no test hangs on time.
		p, err := entra.New(f.cat, providers.Env{HTTP: &hc, Clock: flows.Clock{Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }}})
		if err != nil {
			t.Fatal(err)
		}
		f.p = p
	}
	m := method(t, f.p, entra.MethodClientSecret)
	in := inputs(entra.MethodClientSecret, nil)
	if err := m.Validate(in); err != nil {
		t.Fatal(err)
	}
	conn, secret, err := f.p.Connect(context.Background(), m, in, flows.Interaction{})
	if err != nil {
		t.Fatal(err)
	}
	conn.Capabilities = []string{"collect", "devices"}
	r := &reporter{}
	if err := f.p.Verify(providers.WithDeep(context.Background()), conn, providers.Credential{Secret: secret}, r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestDeepVerify: through the emulator, each outcome of a deep read: a
// working read keeps the grant and shows its answer; a licence the
// tenant lacks keeps the grant, names the licence and warns; Graph
// refusing a role the token holds, or a read with no answer, is an
// error; a permission the token lacks is missing, read or not.
func TestDeepVerify(t *testing.T) {
	all := append(slices.Clone(collect), devices...)
	for _, tt := range []struct {
		name       string
		roles      []string
		unlicensed []string
		lagging    []string
		fail       []string
		want       map[string]providers.Status // the rest granted
		license    map[string]string
		warnings   []string
	}{
		{name: "all granted and readable", roles: all},
		{name: "no P1 or P2", roles: all, unlicensed: []string{entratest.NoPremium},
			license:  map[string]string{"AuditLog.Read.All": "Microsoft Entra ID P1 or P2", "IdentityRiskEvent.Read.All": "Microsoft Entra ID P1 or P2", "IdentityRiskyUser.Read.All": "Microsoft Entra ID P2"},
			warnings: []string{"no Microsoft Entra ID P1 or P2 licence, so AuditLog.Read.All, IdentityRiskEvent.Read.All are granted", "no Microsoft Entra ID P2 licence, so IdentityRiskyUser.Read.All"}},
		{name: "P1 without P2", roles: all, unlicensed: []string{entratest.NoP2},
			license: map[string]string{"IdentityRiskyUser.Read.All": "Microsoft Entra ID P2"}, warnings: []string{"IdentityRiskyUser.Read.All"}},
		{name: "no Intune", roles: all, unlicensed: []string{entratest.NoIntune},
			license:  map[string]string{devices[0]: "Microsoft Intune", devices[1]: "Microsoft Intune", devices[2]: "Microsoft Intune"},
			warnings: []string{"no Microsoft Intune licence"}},
		{name: "Graph lags a role the token holds", roles: all, lagging: []string{"AuditLog.Read.All", "DeviceManagementApps.Read.All"},
			want: map[string]providers.Status{"AuditLog.Read.All": providers.Error, "DeviceManagementApps.Read.All": providers.Error}},
		{name: "a read breaks off", roles: all, fail: []string{"/auditLogs/signIns", "/users"},
			want: map[string]providers.Status{"AuditLog.Read.All": providers.Error, "User.Read.All": providers.Error, "UserAuthenticationMethod.Read.All": providers.Error}},
		{name: "missing stays missing", roles: slices.DeleteFunc(slices.Clone(all), func(s string) bool { return s == "IdentityRiskyUser.Read.All" }), unlicensed: []string{entratest.NoP2},
			want: map[string]providers.Status{"IdentityRiskyUser.Read.All": providers.Missing}},
		{name: "no list to take a user id from", roles: slices.DeleteFunc(slices.Clone(all), func(s string) bool { return s == "User.Read.All" || s == "Directory.Read.All" }),
			want: map[string]providers.Status{"User.Read.All": providers.Missing, "Directory.Read.All": providers.Missing}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tn := tenant(tt.roles)
			tn.Unlicensed, tn.NotEffective = tt.unlicensed, tt.lagging
			r := deepVerify(t, tn, tt.fail...)
			// Neither the secret nor the access token the reads carry shows.
			if all := fmt.Sprintf("%+v %q", r.checks, r.warnings); strings.Contains(all, canary) || strings.Contains(all, "eyJ") {
				t.Fatalf("a secret or token leaked: %s", all)
			}
			if len(r.checks) != len(all) {
				t.Fatalf("%d checks, want %d: %+v", len(r.checks), len(all), r.checks)
			}
			for _, c := range r.checks {
				want, ok := tt.want[c.Permission]
				if !ok {
					want = providers.Granted
				}
				if c.Status != want {
					t.Errorf("%s = %s (%s), want %s", c.Permission, c.Status, c.Evidence, want)
				}
				if c.License != tt.license[c.Permission] || (c.License != "" && c.LicenseURL == "") {
					t.Errorf("%s licence %q (%q), want %q", c.Permission, c.License, c.LicenseURL, tt.license[c.Permission])
				}
				if c.Status == providers.Granted && tt.fail == nil && !strings.Contains(c.Evidence, "GET /v1.0/") && !strings.Contains(c.Evidence, "did not run") {
					t.Errorf("%s granted without its read: %s", c.Permission, c.Evidence)
				}
				if c.Status == providers.Error && c.Fix == "" {
					t.Errorf("%s is an error without advice", c.Permission)
				}
			}
			var licences []string
			for _, w := range r.warnings {
				if strings.HasPrefix(w, "licence problem") {
					licences = append(licences, w)
				}
			}
			if len(licences) != len(tt.warnings) {
				t.Errorf("licence warnings %q, want %d", licences, len(tt.warnings))
			}
			for i, w := range tt.warnings {
				if i < len(licences) && (!strings.Contains(licences[i], w) || !strings.Contains(licences[i], "not a missing permission") || !strings.Contains(licences[i], "https://")) {
					t.Errorf("warning %q lacks %q", licences[i], w)
				}
			}
		})
	}
}

// TestNotDeepMakesNoRead: without providers.WithDeep the roles claim
// alone decides: no Graph read is made.
func TestNotDeepMakesNoRead(t *testing.T) {
	tn := tenant(collect)
	tn.Unlicensed = entratest.Unlicensed
	f := start(t, entratest.Options{Tenants: []entratest.Tenant{tn}}, providers.Env{})
	r, _, err := connectAndVerify(t, f, method(t, f.p, entra.MethodClientSecret), inputs(entra.MethodClientSecret, nil), []string{"collect"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range r.checks {
		if c.Status != providers.Granted || c.License != "" {
			t.Errorf("%s = %s, licence %q", c.Permission, c.Status, c.License)
		}
	}
	if n := f.emu.Hits("/v1.0/auditLogs/signIns") + f.emu.Hits("/v1.0/users"); n != 0 {
		t.Errorf("%d reads without --deep", n)
	}
}
