package main

import (
	"encoding/json"
	"testing"

	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/ui/plain"
)

// TestSandboxSalesforceMethods: each Salesforce method sets up against
// the demo org with no input and verifies granted; with the api scope
// denied exactly that is missing, with a fix, and nothing else changes.
func TestSandboxSalesforceMethods(t *testing.T) {
	for _, method := range []string{"jwt-bearer", "web", "device"} {
		t.Run(method, func(t *testing.T) {
			isolate(t)
			r := tether(t, "", nil, "--sandbox", "setup", "salesforce", "--method", method, "--no-input")
			if r.code != 0 {
				t.Fatalf("setup: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			verify := func(args ...string) plain.VerifyDocument {
				t.Helper()
				r := tether(t, "", nil, append(append([]string{"--sandbox"}, args...), "verify", "--json")...)
				var doc plain.VerifyDocument
				if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || len(doc.Connections) != 1 {
					t.Fatalf("verify --json: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
				}
				return doc
			}
			doc := verify()
			c := doc.Connections[0]
			if !c.OK || len(c.Checks) != 1 || c.Checks[0].Status != providers.Granted {
				t.Fatalf("verify = %+v", c)
			}
			doc = verify("--sandbox-deny", "salesforce:api")
			c = doc.Connections[0]
			if c.OK || len(c.Checks) != 1 {
				t.Fatalf("verify with api denied = %+v", c)
			}
			if m := c.Checks[0]; m.Status != providers.Missing || m.Permission != "Manage user data via APIs (api)" || m.Fix == "" || m.FixURL == "" {
				t.Errorf("with api denied: %+v; want api missing with a fix", m)
			}
			if doc := verify(); !doc.Connections[0].OK {
				t.Errorf("the denial outlived its run: %+v", doc.Connections[0])
			}
		})
	}
}
