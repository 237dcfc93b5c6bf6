package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/providers/registry"
	"github.com/tetherdev/tether/providers/sandbox"
)

// This file registers a seventh provider, "acme", the way a real one is
// added: a catalog entry, a provider built on the kit, an emulator, and
// one registry entry. Nothing in cmd/, ui/ or providers/sandbox names it,
// and yet setup, verify, --sandbox-deny and the question it asks all work.

const acmeCatalog = `
version: 1
providers:
  - id: acme
    name: Acme Identity
    grant: API key roles
    permissions:
      - name: things:read
        description: Read things
      - name: audit:read
        description: Read the audit log
    capabilities:
      - id: collect
        name: Collect
        tier: collect
        permissions: [things:read, audit:read]
`

const acmeKey = "acme-demo-key-0123456789abcdef"

type acmeProvider struct{ env providers.Env }

func (p *acmeProvider) ID() string { return "acme" }
func (p *acmeProvider) Methods() []providers.Method {
	return []providers.Method{{ID: "api-key", Name: "API key", Kind: providers.KindKeyEntry, Inputs: []providers.Input{
		{Key: "org", Label: "Org", Validate: func(s string) error {
			if !strings.HasSuffix(s, ".acme.test") {
				return errors.New("want an org like demo.acme.test")
			}
			return nil
		}},
		{Key: "api_key", Label: "API key", Secret: true},
	}}}
}
func (p *acmeProvider) Steps(providers.Method, providers.Inputs) []providers.Step { return nil }
func (p *acmeProvider) Describe(c providers.Connection) providers.Description {
	return providers.Description{Tenant: c.Settings["org"], Principal: "API key", APIHost: c.Settings["org"]}
}

func (p *acmeProvider) Connect(ctx context.Context, m providers.Method, in providers.Inputs, io flows.Interaction) (providers.Connection, flows.Secret, error) {
	if err := io.Confirm(ctx, flows.Question{Prompt: "Create the tether role in " + in.Get("org") + "?", Detail: "It grants read access only."}); err != nil {
		return providers.Connection{}, flows.Secret{}, err
	}
	return providers.Connection{Tenant: in.Get("org"), Settings: map[string]string{"org": in.Get("org")}}, in.Secret, nil
}

func (p *acmeProvider) Verify(ctx context.Context, conn providers.Connection, cred providers.Credential, r providers.Reporter) error {
	cat, _ := catalog.Parse([]byte(acmeCatalog))
	cp, _ := cat.Provider("acme")
	pr := &providers.Prober{Provider: "Acme", Env: p.env, Authorize: func(req *http.Request) error {
		req.Header.Set("Authorization", "Key "+cred.Secret.Get("api_key"))
		return nil
	}}
	base := "https://" + conn.Settings["org"]
	get := func(path string) func(context.Context, map[string]providers.Answer) providers.Answer {
		return func(ctx context.Context, _ map[string]providers.Answer) providers.Answer {
			return pr.Get(ctx, base+path)
		}
	}
	providers.Verifier{Provider: "Acme", Needs: cp.Needs(conn.Capabilities),
		Probes: []providers.Probe{
			{ID: "things", Decides: []string{"things:read"}, Run: get("/api/things")},
			{ID: "audit", Decides: []string{"audit:read"}, Run: get("/api/audit")},
		},
		Observe: func(_ string, a providers.Answer) providers.Observation {
			switch {
			case a.OK():
				return providers.Observation{Status: providers.Granted, Evidence: a.String()}
			case a.Err == nil && a.Status == http.StatusForbidden:
				return providers.Observation{Status: providers.Missing, Evidence: a.String()}
			}
			return providers.Observation{Status: providers.Error, Evidence: a.String()}
		},
		Fix: func(n catalog.Need) (string, string) { return "give the key the " + n.Permission.Name + " role", "" },
	}.Run(ctx, r)
	return nil
}

// acmeEmulator answers for *.acme.test: a key and the roles it holds.
type acmeEmulator struct {
	mu      sync.Mutex
	granted []string
}

func (e *acmeEmulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Key "+acmeKey {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":"bad key"}`))
		return
	}
	need := map[string]string{"/api/things": "things:read", "/api/audit": "audit:read"}[r.URL.Path]
	e.mu.Lock()
	ok := slices.Contains(e.granted, need)
	e.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if !ok {
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"error":"forbidden"}`))
		return
	}
	_ = json.NewEncoder(w).Encode([]string{"one"})
}
func (e *acmeEmulator) Hosts() []string { return []string{"*.acme.test"} }
func (e *acmeEmulator) Demo() (string, map[string]string) {
	return "api-key", map[string]string{"org": "demo.acme.test", "api_key": acmeKey}
}
func (e *acmeEmulator) SetGranted(p catalog.Permission, granted bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.granted = slices.DeleteFunc(e.granted, func(s string) bool { return s == p.Name })
	if granted {
		e.granted = append(e.granted, p.Name)
	}
	return nil
}

// TestRegisteringAProviderIsOneEntry runs the whole life cycle of a
// provider that only the registry knows of.
func TestRegisteringAProviderIsOneEntry(t *testing.T) {
	isolate(t)
	newApp := func() *app { return newAcmeApp(t) }

	r := tether(t, "", newApp(), "--sandbox", "setup", "acme", "--no-input")
	if r.code != 2 || !strings.Contains(r.stderr, "Create the tether role in demo.acme.test") || !strings.Contains(r.stderr, "--yes") {
		t.Fatalf("setup --no-input without --yes: exit %d\n%s%s, want exit 2 naming --yes", r.code, r.stdout, r.stderr)
	}
	r = tether(t, "", newApp(), "--sandbox", "setup", "acme", "--no-input", "--yes")
	if r.code != 0 || strings.Count(r.stdout, "✓ granted") != 2 || !strings.Contains(r.stdout, "via demo.acme.test") {
		t.Fatalf("setup --yes: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = tether(t, "", newApp(), "--sandbox", "--sandbox-deny", "acme:audit:read", "verify", "--json")
	var doc struct {
		Connections []struct {
			Checks []providers.Check `json:"checks"`
		} `json:"connections"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || r.code != 1 || len(doc.Connections) != 1 {
		t.Fatalf("verify with a denial: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	for _, c := range doc.Connections[0].Checks {
		want := providers.Granted
		if c.Permission == "audit:read" {
			want = providers.Missing
		}
		if c.Status != want {
			t.Errorf("%s = %s (%s), want %s", c.Permission, c.Status, c.Evidence, want)
		}
	}
}

// newAcmeApp is tether with acme registered: its catalog entry and its
// one registry line.
func newAcmeApp(t *testing.T) *app {
	t.Helper()
	acme, err := catalog.Parse([]byte(acmeCatalog))
	if err != nil {
		t.Fatal(err)
	}
	def, _ := catalog.Default()
	cat := &catalog.Catalog{Version: def.Version, Providers: append(slices.Clone(def.Providers), acme.Providers...)} // the catalog entry
	if err := cat.Validate(); err != nil {
		t.Fatal(err)
	}
	entries := append(slices.Clone(registry.Entries), registry.Entry{ // the one registry line
		ID: "acme",
		New: func(_ *catalog.Catalog, env providers.Env) (providers.Provider, error) {
			return &acmeProvider{env: env}, nil
		},
		Emulator: func(c sandbox.Config) (sandbox.Emulator, error) { return &acmeEmulator{granted: c.Granted()}, nil },
	})
	return &app{cat: cat, registry: entries}
}
