package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/ui/plain"
)

// TestSandboxGoogleServiceAccount: the service-account method sets up the
// demo domain with every scope granted, and each permission denied with
// --sandbox-deny is the one missing, with the delegation fix and its
// pre-filled link, and nothing else changes.
func TestSandboxGoogleServiceAccount(t *testing.T) {
	sandboxGoogle(t, "service-account", "Domain-wide delegation", "domainwidedelegation?")
}

// TestSandboxGoogleBrowser: the same for the browser method, whose demo
// admin unticks the denied scopes on the consent screen.
func TestSandboxGoogleBrowser(t *testing.T) {
	sandboxGoogle(t, "browser", "include_granted_scopes", "apis/credentials/consent")
}

func sandboxGoogle(t *testing.T, method, fix, fixURL string) {
	isolate(t)
	r := tether(t, "", nil, "--sandbox", "setup", "google", "--method", method, "--with", "user-security", "--no-input")
	if r.code != 0 || strings.Count(r.stdout, "✓ granted") != 7 {
		t.Fatalf("setup: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	r = tether(t, "", nil, "--sandbox", "verify", "--json")
	if r.code != 0 {
		t.Fatalf("verify --json: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	cat, _ := catalog.Default()
	cp, _ := cat.Provider("google")
	for _, perm := range cp.Permissions {
		r = tether(t, "", nil, "--sandbox", "--sandbox-deny", "google:"+perm.Name, "verify", "--json")
		if r.code != 1 {
			t.Fatalf("verify with %s denied: exit %d, want 1\n%s%s", perm.Name, r.code, r.stdout, r.stderr)
		}
		var doc plain.VerifyDocument
		if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
			t.Fatal(err)
		}
		var notGranted []providers.Check
		for _, c := range doc.Connections[0].Checks {
			if c.Status != providers.Granted {
				notGranted = append(notGranted, c)
			}
		}
		if len(notGranted) != 1 || notGranted[0].Permission != perm.Name || notGranted[0].Status != providers.Missing ||
			!strings.Contains(notGranted[0].Fix, fix) || !strings.Contains(notGranted[0].FixURL, fixURL) {
			t.Errorf("with %s denied, not granted = %+v", perm.Name, notGranted)
		}
		if got := len(doc.Connections[0].Checks); got != 7 || !slices.ContainsFunc(doc.Connections[0].Checks, func(c providers.Check) bool { return c.Status == providers.Granted }) {
			t.Errorf("with %s denied, %d checks", perm.Name, got)
		}
	}
}
