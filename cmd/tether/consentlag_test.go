package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/providers/registry"
	"github.com/tetherdev/tether/providers/sandbox"
)

// laggingAcme is acme with a method whose grants take a while to reach
// new tokens.
type laggingAcme struct{ acmeProvider }

func (p *laggingAcme) Methods() []providers.Method {
	ms := p.acmeProvider.Methods()
	ms[0].ConsentLag = []time.Duration{5 * time.Second, 15 * time.Second}
	return ms
}

// TestPlainSetupWaitsOutConsentLag: plain `tether setup` of a method that
// declares consent lag says it checks again, waits, and settles on the
// grant that arrived during the wait; the waits are the method's.
func TestPlainSetupWaitsOutConsentLag(t *testing.T) {
	isolate(t)
	a := newAcmeApp(t)
	var emu *acmeEmulator
	for i, e := range a.registry {
		if e.ID == "acme" {
			a.registry[i] = registry.Entry{ID: "acme",
				New: func(_ *catalog.Catalog, env providers.Env) (providers.Provider, error) {
					return &laggingAcme{acmeProvider{env: env}}, nil
				},
				Emulator: func(c sandbox.Config) (sandbox.Emulator, error) {
					emu = &acmeEmulator{granted: c.Granted()}
					return emu, nil
				}}
		}
	}
	var waited []time.Duration
	a.wait = func(_ context.Context, d time.Duration) error {
		waited = append(waited, d)
		// The grant reaches tokens during the first wait.
		return emu.SetGranted(catalog.Permission{Name: "audit:read"}, true)
	}
	r := tether(t, "", a, "--sandbox", "--sandbox-deny", "acme:audit:read", "setup", "acme", "--no-input", "--yes")
	if r.code != 0 || strings.Count(r.stdout, "✓ granted") < 3 {
		t.Fatalf("setup: exit %d\n%s%s, want the grant found on the re-check", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "still missing: audit:read") || !strings.Contains(r.stdout, "checking again in 5s (1 of 2)") {
		t.Errorf("setup did not say it checks again:\n%s", r.stdout)
	}
	if len(waited) != 1 || waited[0] != 5*time.Second {
		t.Errorf("waited %v, want one wait of 5s", waited)
	}
}
