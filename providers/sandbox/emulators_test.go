package sandbox_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/providers/registry"
	"github.com/tetherdev/tether/providers/sandbox"
)

func TestClientReachesOnlyEmulators(t *testing.T) {
	cat, _ := catalog.Default()
	sb, err := sandbox.Start(cat, sandbox.Options{Dir: t.TempDir(), Emulators: registry.Emulators(registry.Entries)})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	c := sb.HTTPClient()
	resp, err := c.Get("https://tether-demo.us.auth0.com/api/v2/users")
	if err != nil {
		t.Fatalf("GET emulated host: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /api/v2/users without a token = %d, want 401", resp.StatusCode)
	}
	_, err = c.Get("https://example.com/")
	if !errors.Is(err, sandbox.ErrNotEmulated) {
		t.Errorf("GET https://example.com/ = %v, want sandbox.ErrNotEmulated", err)
	}
	// A host under a provider's domains that is no tenant of its emulator
	// is refused by name, with the demo tenant to use instead.
	for _, tc := range []struct{ url, demo string }{
		{"https://other.us.auth0.com/oauth/token", "tether-demo.us.auth0.com"},
		{"https://other.okta.com/api/v1/users/me", "tether-demo.okta.com"},
		{"https://api-12345678.duosecurity.com/admin/v1/users", "api-7e7e7e7e.duosecurity.com"},
	} {
		_, err := c.Get(tc.url)
		if !errors.Is(err, sandbox.ErrNotEmulated) || !strings.Contains(err.Error(), tc.demo) {
			t.Errorf("GET %s = %v, want sandbox.ErrNotEmulated naming %s", tc.url, err, tc.demo)
		}
	}
	// The default client does not trust the sandbox's authority.
	e, _ := sb.Emulator("auth0")
	if _, err := http.Get("https://" + e.Addr + "/"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("a default client reached the sandbox: %v", err)
	}
}

// TestDemoTenantPersists: a grant fixed in one sandbox run is still
// there in the next, as in a real tenant, and Reset starts it afresh.
func TestDemoTenantPersists(t *testing.T) {
	cat, _ := catalog.Default()
	dir := t.TempDir()
	emulators := registry.Emulators(registry.Entries)
	start := func(deny map[string][]string) *sandbox.Sandbox {
		t.Helper()
		sb, err := sandbox.Start(cat, sandbox.Options{Dir: dir, Deny: deny, Emulators: emulators})
		if err != nil {
			t.Fatal(err)
		}
		return sb
	}
	cp, _ := cat.Provider("auth0")
	logs, _ := cp.Permission("read:logs")
	sb := start(nil)
	e, _ := sb.Emulator("auth0")
	if err := e.Emulator.SetGranted(logs, false); err != nil {
		t.Fatal(err)
	}
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(sandbox.StateFile(dir, "auth0"))
	if err != nil || strings.Contains(string(data), `"read:logs"`) {
		t.Fatalf("saved state %s, %v: want read:logs unticked", data, err)
	}
	sb = start(nil)
	if got := grantedScopes(t, sb); strings.Contains(got, "read:logs ") || !strings.Contains(got, "read:users") {
		t.Errorf("the next run grants %q, want read:logs still unticked", got)
	}
	sb.Close()
	if reset, err := sandbox.Reset(dir); err != nil || !slices.Contains(reset, "auth0") {
		t.Fatalf("Reset() = %v, %v", reset, err)
	}
	sb = start(nil)
	defer sb.Close()
	if got := grantedScopes(t, sb); !strings.Contains(got, "read:logs ") {
		t.Errorf("after Reset the demo tenant grants %q, want everything", got)
	}
}

// TestDenyDoesNotPersist: --sandbox-deny withholds for one run only.
func TestDenyDoesNotPersist(t *testing.T) {
	cat, _ := catalog.Default()
	dir := t.TempDir()
	opts := sandbox.Options{Dir: dir, Deny: map[string][]string{"auth0": {"read:logs"}}, Emulators: registry.Emulators(registry.Entries)}
	sb, err := sandbox.Start(cat, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := grantedScopes(t, sb); strings.Contains(got, "read:logs ") {
		t.Errorf("with the denial the tenant grants %q", got)
	}
	sb.Close()
	opts.Deny = nil
	sb, err = sandbox.Start(cat, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	if got := grantedScopes(t, sb); !strings.Contains(got, "read:logs ") {
		t.Errorf("without the denial the tenant grants %q, want read:logs again", got)
	}
}

// TestCorruptStateIsRefused: a damaged state file is an error that says
// how to start afresh, never a silently different tenant.
func TestCorruptStateIsRefused(t *testing.T) {
	cat, _ := catalog.Default()
	dir := t.TempDir()
	if err := os.MkdirAll(dir+"/tenants", 0o700); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{`{"version":1,"granted":["read:logs"]} trailing`, `{"version":9,"granted":[]}`, `{"version":1,"granted":["../x"]}`, `{"version":1,"extra":1}`} {
		if err := os.WriteFile(sandbox.StateFile(dir, "auth0"), []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := sandbox.Start(cat, sandbox.Options{Dir: dir, Emulators: registry.Emulators(registry.Entries)})
		if err == nil || !strings.Contains(err.Error(), "reset") {
			t.Errorf("Start with state %s = %v, want an error naming the reset", bad, err)
		}
	}
}

// grantedScopes asks the demo tenant's token endpoint what it grants.
func grantedScopes(t *testing.T, sb *sandbox.Sandbox) string {
	t.Helper()
	e, _ := sb.Emulator("auth0")
	form := "grant_type=client_credentials&client_id=" + e.Demo["client_id"] + "&client_secret=" + e.Demo["client_secret"] +
		"&audience=https://" + e.Demo["domain"] + "/api/v2/"
	resp, err := sb.HTTPClient().Post("https://"+e.Demo["domain"]+"/oauth/token", "application/x-www-form-urlencoded", strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		Scope string `json:"scope"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil {
		t.Fatal(err)
	}
	return tok.Scope + " "
}
