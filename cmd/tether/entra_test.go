package main

import (
	"encoding/json"
	"fmt"
	"strings"
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

// TestSandboxEntraDeep: verify --deep reads once per permission; in a
// tenant without Entra ID P1/P2 the sign-in logs and risk reads are a
// licence problem, granted with the licence named and a warning, not
// missing, and the exit status stays 0.
func TestSandboxEntraDeep(t *testing.T) {
	isolate(t)
	if r := tether(t, "", nil, "--sandbox", "setup", "entra", "--no-input", "--yes"); r.code != 0 {
		t.Fatalf("setup: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := tether(t, "", nil, "--sandbox", "verify", "entra", "--deep", "--json")
	var doc plain.VerifyDocument
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || r.code != 0 || len(doc.Connections) != 1 || !doc.Connections[0].OK {
		t.Fatalf("verify --deep: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	for _, c := range doc.Connections[0].Checks {
		if c.Status != providers.Granted || c.License != "" || !strings.Contains(c.Evidence, "GET /v1.0/") {
			t.Errorf("deep, all licensed: %+v", c)
		}
	}

	r = tether(t, "", nil, "--sandbox", "--sandbox-deny", "entra:license:p1", "verify", "entra", "--deep", "--json")
	doc = plain.VerifyDocument{}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || r.code != 0 || len(doc.Connections) != 1 {
		t.Fatalf("verify --deep without P1: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	licensed := map[string]string{}
	for _, c := range doc.Connections[0].Checks {
		if c.Status != providers.Granted {
			t.Errorf("without P1, %s is %s, want granted with a licence problem", c.Permission, c.Status)
		}
		if c.License != "" {
			licensed[c.Permission] = c.License
		}
	}
	want := map[string]string{"AuditLog.Read.All": "Microsoft Entra ID P1 or P2", "IdentityRiskEvent.Read.All": "Microsoft Entra ID P1 or P2", "IdentityRiskyUser.Read.All": "Microsoft Entra ID P2"}
	if fmt.Sprint(licensed) != fmt.Sprint(want) {
		t.Errorf("licences %v, want %v", licensed, want)
	}
	if w := strings.Join(doc.Connections[0].Warnings, "\n"); !strings.Contains(w, "licence problem, not a missing permission") {
		t.Errorf("warnings %q name no licence problem", w)
	}

	r = tether(t, "", nil, "--sandbox", "--sandbox-deny", "entra:license:p1", "verify", "entra", "--deep")
	if r.code != 0 || !strings.Contains(r.stdout+r.stderr, "no Microsoft Entra ID P1 or P2 licence") || strings.Contains(r.stdout, "missing  ") {
		t.Errorf("text verify --deep without P1: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := tether(t, "", nil, "--sandbox", "--sandbox-deny", "entra:license:p3", "verify", "entra", "--deep"); r.code == 0 || !strings.Contains(r.stderr, "valid: p1, p2, intune") {
		t.Errorf("an unknown licence: exit %d\n%s", r.code, r.stderr)
	}
}
