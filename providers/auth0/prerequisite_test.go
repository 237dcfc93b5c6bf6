package auth0_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/providers/auth0"
	"github.com/tetherdev/tether/providers/auth0/auth0test"
	"github.com/tetherdev/tether/providers/sandbox"
)

// failing answers 503 for the paths it is given and passes the rest on.
type failing struct {
	*auth0test.Emulator
	paths []string
}

func (f failing) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for _, p := range f.paths {
		if r.URL.Path == p {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"statusCode":503,"error":"Service Unavailable","message":"down"}`))
			return
		}
	}
	f.Emulator.ServeHTTP(w, r)
}

// TestFailedPrerequisiteIsNoVerdict: when neither the users probe nor the
// logs probe answers, the user-logs probe has no user to read and must
// not be counted as granted on the token's word.
func TestFailedPrerequisiteIsNoVerdict(t *testing.T) {
	cat, _ := catalog.Default()
	opts := auth0test.Options{Tenants: []auth0test.Tenant{auth0test.Demo(collect)}}
	sb, err := sandbox.Start(cat, sandbox.Options{Emulators: []sandbox.Entry{{Provider: auth0.ID, New: func(c sandbox.Config) (sandbox.Emulator, error) {
		e, err := auth0test.EmulatorWith(opts)(c)
		return failing{Emulator: e.(*auth0test.Emulator), paths: []string{"/api/v2/users", "/api/v2/logs"}}, err
	}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	p, _ := auth0.New(cat, providers.Env{HTTP: sb.HTTPClient()})
	conn := providers.Connection{Provider: "auth0", Method: auth0.MethodClientSecret, Capabilities: []string{"collect"},
		Settings: map[string]string{"domain": auth0test.DemoDomain, "client_id": auth0test.DemoClientID}}
	r := &reporter{}
	if err := p.Verify(context.Background(), conn, providers.Credential{Secret: flows.NewSecret(map[string]string{"client_secret": auth0test.DemoClientSecret})}, r); err != nil {
		t.Fatal(err)
	}
	for perm, want := range map[string]providers.Status{"read:users": providers.Error, "read:logs": providers.Error,
		"read:user_logs": providers.Error, "read:guardian_factors": providers.Granted} {
		c := r.status(perm)
		if c.Status != want {
			t.Errorf("%s = %s (%s), want %s", perm, c.Status, c.Evidence, want)
		}
		if want == providers.Error && (strings.Contains(c.Fix, "tick") || c.FixURL != "") {
			t.Errorf("%s is an error with the grant fix %q %q", perm, c.Fix, c.FixURL)
		}
	}
	if c := r.status("read:user_logs"); !strings.Contains(c.Evidence, "not run") {
		t.Errorf("read:user_logs evidence %q, want it to say why it did not run", c.Evidence)
	}
}
