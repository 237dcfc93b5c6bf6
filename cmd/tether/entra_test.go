package main

import (
	"encoding/json"
	"testing"

	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/ui/plain"
)

// TestSandboxEntraMethods: each Entra method sets up in the sandbox with
// --no-input, verify --json then passes, and a permission withheld with
// --sandbox-deny is the one check missing, with its fix.
func TestSandboxEntraMethods(t *testing.T) {
	for _, method := range []string{"client-secret", "certificate", "admin-consent", "create"} {
		t.Run(method, func(t *testing.T) {
			isolate(t)
			r := tether(t, "", nil, "--sandbox", "setup", "entra", "--method", method, "--no-input", "--yes")
			if r.code != 0 {
				t.Fatalf("setup: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			r = tether(t, "", nil, "--sandbox", "verify", "--json")
			var doc plain.VerifyDocument
			if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || r.code != 0 || len(doc.Connections) != 1 || !doc.Connections[0].OK {
				t.Fatalf("verify --json: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
			}
			granted := 0
			for _, c := range doc.Connections[0].Checks {
				if c.Status == providers.Granted {
					granted++
				}
			}
			r = tether(t, "", nil, "--sandbox", "--sandbox-deny", "entra:Group.Read.All", "verify", "--json")
			doc = plain.VerifyDocument{}
			_ = json.Unmarshal([]byte(r.stdout), &doc)
			if r.code != 1 || len(doc.Connections) != 1 {
				t.Fatalf("verify with Group.Read.All denied: exit %d\n%s", r.code, r.stdout)
			}
			var missing []providers.Check
			still := 0
			for _, c := range doc.Connections[0].Checks {
				switch c.Status {
				case providers.Granted:
					still++
				case providers.Missing:
					missing = append(missing, c)
				}
			}
			if len(missing) != 1 || missing[0].Permission != "Group.Read.All" || missing[0].Fix == "" || missing[0].FixURL == "" || still != granted-1 {
				t.Errorf("with Group.Read.All denied: missing %+v, %d granted of %d", missing, still, granted)
			}
		})
	}
}
