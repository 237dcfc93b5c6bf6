package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/ui/plain"
)

// TestSandboxOktaMethods: each Okta method sets up against the sandbox's
// demo org without input, verifies all granted in the next command, and
// a permission withheld with --sandbox-deny is the only one missing,
// with its fix.
func TestSandboxOktaMethods(t *testing.T) {
	caps := "clear-sessions,reset-factors,suspend-users"
	for _, m := range []string{"api-token", "service-app", "create"} {
		t.Run(m, func(t *testing.T) {
			isolate(t)
			r := tether(t, "", nil, "--sandbox", "setup", "okta", "--method", m, "--no-input", "--yes", "--with", caps)
			if r.code != 0 || strings.Count(r.stdout, "✓ granted") != 12 {
				t.Fatalf("setup: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			doc := oktaVerifyJSON(t, 0)
			if len(doc.Connections) != 1 || !doc.Connections[0].OK || len(doc.Connections[0].Checks) != 12 {
				t.Fatalf("verify --json = %+v", doc)
			}
			for _, deny := range []string{"okta:/api/v1/*", "okta:okta.users.lifecycle.suspend"} {
				doc := oktaVerifyJSON(t, 1, "--sandbox-deny", deny)
				perm := strings.TrimPrefix(deny, "okta:")
				for _, c := range doc.Connections[0].Checks {
					switch {
					case c.Permission == perm && (c.Status != providers.Missing || c.Fix == "" || c.FixURL == ""):
						t.Errorf("%s denied: %+v, want missing with a fix", perm, c)
					case c.Permission != perm && c.Status != providers.Granted:
						t.Errorf("%s denied changed %s: %+v", perm, c.Label(), c)
					}
				}
			}
			for _, secret := range []string{"00TthrDemoSswsTokenSandboxOnly", "00TthrDemoSuperAdminToken", "PRIVATE KEY"} {
				if strings.Contains(r.stdout+r.stderr, secret) {
					t.Errorf("setup printed a secret (%s)", secret)
				}
			}
		})
	}
}

func oktaVerifyJSON(t *testing.T, code int, flags ...string) plain.VerifyDocument {
	t.Helper()
	r := tether(t, "", nil, append(append([]string{"--sandbox"}, flags...), "verify", "--json")...)
	if r.code != code {
		t.Fatalf("verify %v: exit %d, want %d\n%s%s", flags, r.code, code, r.stdout, r.stderr)
	}
	var doc plain.VerifyDocument
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("verify --json: %v\n%s", err, r.stdout)
	}
	return doc
}
