package sandbox_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/flows/oauthtest"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/providers/registry"
	"github.com/tetherdev/tether/providers/sandbox"
)

// memStore keeps credentials in memory.
type memStore struct {
	mu    sync.Mutex
	items map[flows.Key]flows.Secret
}

func (m *memStore) Kind() flows.StoreKind       { return flows.StoreFile }
func (m *memStore) Probe(context.Context) error { return nil }
func (m *memStore) Save(_ context.Context, k flows.Key, s flows.Secret) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.items[k] = s
	return nil
}
func (m *memStore) Load(_ context.Context, k flows.Key) (flows.Secret, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.items[k]
	if !ok {
		return flows.Secret{}, flows.ErrNotFound
	}
	return s, nil
}
func (m *memStore) Delete(_ context.Context, k flows.Key) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.items, k)
	return nil
}
func (m *memStore) Location(k flows.Key) string { return "memory " + k.String() }

// fixture is every registered provider connected to its demo tenant.
type fixture struct {
	sb    *sandbox.Sandbox
	m     *providers.Manager
	conns []providers.Connection
}

// connectAll starts the sandbox with every registered emulator and sets
// up each demo tenant, with env's options for the providers.
func connectAll(t testing.TB, env providers.Env, opts sandbox.Options) fixture {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	opts.Emulators = registry.Emulators(registry.Entries)
	sb, err := sandbox.Start(cat, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	env.HTTP = sb.HTTPClient()
	ps, err := registry.Providers(registry.Entries, cat, env)
	if err != nil {
		t.Fatal(err)
	}
	store := &memStore{items: map[flows.Key]flows.Secret{}}
	m := &providers.Manager{Catalog: cat, Providers: ps, Config: providers.Config{Dir: t.TempDir()},
		Store: func(flows.StoreKind) (flows.Store, error) { return store, nil }, StoreKind: flows.StoreFile}
	f := fixture{sb: sb, m: m}
	for _, e := range sb.Emulators {
		p, ok := m.Provider(e.Provider)
		if !ok {
			continue
		}
		method, err := providers.FindMethod(p, e.DemoMethod)
		if err != nil {
			t.Fatal(err)
		}
		in := providers.Inputs{Values: map[string]string{}}
		secrets := map[string]string{}
		for _, input := range method.Inputs {
			if v := e.Demo[input.Key]; v != "" && input.Secret {
				secrets[input.Key] = v
			} else if v != "" {
				in.Values[input.Key] = v
			}
		}
		in.Secret = flows.NewSecret(secrets)
		plan, err := m.Plan(providers.SetupRequest{Provider: e.Provider, Name: "default", Method: method.ID, Inputs: in})
		if err != nil {
			t.Fatal(err)
		}
		res, err := m.Setup(context.Background(), plan, flows.Interaction{Ask: func(context.Context, flows.Question) (int, error) { return 0, nil }}, discard{})
		if err != nil {
			t.Fatalf("%s: setup of the demo tenant: %v", e.Provider, err)
		}
		if res.Verification.Verdict() != providers.VerdictOK {
			t.Fatalf("%s: the demo tenant does not verify: %+v", e.Provider, res.Verification.Checks)
		}
		f.conns = append(f.conns, res.Connection)
	}
	return f
}

type discard struct{}

func (discard) Check(providers.Check) {}
func (discard) Warn(string)           {}

// TestFaultsNeverGrant: for every provider and every fault kind, verify
// ends within its deadline with an honest verdict (no permission granted
// on a broken answer) and a readable reason; added latency changes
// nothing.
func TestFaultsNeverGrant(t *testing.T) {
	f := connectAll(t, providers.Env{}, sandbox.Options{})
	f.m.Timeout = 3 * time.Second
	kinds := []oauthtest.FaultKind{oauthtest.FaultTooMany, oauthtest.FaultInternal, oauthtest.FaultUnavailable, oauthtest.FaultReset,
		oauthtest.FaultTruncate, oauthtest.FaultNonJSON, oauthtest.FaultOversize, oauthtest.FaultTrickle, oauthtest.FaultTLS}
	for i, conn := range f.conns {
		e := f.sb.Emulators[i]
		for _, kind := range kinds {
			t.Run(conn.Provider+"/"+string(kind), func(t *testing.T) {
				if err := e.Faults.Set(oauthtest.Fault{Kind: kind}); err != nil {
					t.Fatal(err)
				}
				defer func() { _ = e.Faults.Set() }()
				res := f.m.Verify(context.Background(), conn, discard{})
				if res.Verdict() != providers.VerdictNone {
					t.Errorf("verdict %s under %s, want no verdict: %+v", res.Verdict(), kind, res.Checks)
				}
				if len(res.Checks) == 0 {
					t.Fatalf("no checks under %s", kind)
				}
				for _, c := range res.Checks {
					if c.Status == providers.Granted || c.Status == providers.Missing || c.Status == providers.Excess {
						t.Errorf("%s is %s under %s (%s): a broken answer proves nothing", c.Permission, c.Status, kind, c.Evidence)
					}
					if c.Status == providers.Error && (len(c.Evidence) < 10 || c.Fix == "") {
						t.Errorf("%s: error without a readable reason or remedy: %+v", c.Permission, c)
					}
				}
				if e.Faults.Injected(kind) == 0 {
					t.Errorf("the %s fault was never injected", kind)
				}
			})
		}
		t.Run(conn.Provider+"/latency", func(t *testing.T) {
			if err := e.Faults.Set(oauthtest.Fault{Kind: oauthtest.FaultLatency, Latency: 20 * time.Millisecond}); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = e.Faults.Set() }()
			if res := f.m.Verify(context.Background(), conn, discard{}); res.Verdict() != providers.VerdictOK {
				t.Errorf("latency changed the verdict to %s: %+v", res.Verdict(), res.Checks)
			}
		})
	}
}

// TestFaultsFromTheFlag: --sandbox-fault values reach the emulators, and
// a provider the catalog does not know is refused.
func TestFaultsFromTheFlag(t *testing.T) {
	cat, _ := catalog.Default()
	faults, err := sandbox.ParseFaults(cat, []string{"auth0:latency=50ms,auth0:503"})
	if err != nil || len(faults["auth0"]) != 2 {
		t.Fatalf("ParseFaults = %v, %v", faults, err)
	}
	if _, err := sandbox.ParseFaults(cat, []string{"nope:503"}); err == nil || !strings.Contains(err.Error(), "unknown provider") {
		t.Errorf("ParseFaults(nope) = %v", err)
	}
	if _, err := sandbox.ParseFaults(cat, []string{"auth0:explode"}); err == nil {
		t.Error("ParseFaults(auth0:explode) accepted an unknown kind")
	}
	sb, err := sandbox.Start(cat, sandbox.Options{Faults: faults, Emulators: registry.Emulators(registry.Entries)})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	e, _ := sb.Emulator("auth0")
	if got := len(e.Faults.Active()); got != 2 {
		t.Errorf("active faults = %d, want 2", got)
	}
}
