package providers

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/tetherdev/tether/flows"
)

// canaryValue stands for a secret that must never be shown.
const canaryValue = "CANARY-5ecret-d0-not-print-7f3a9c"

// goodRecord is a record a setup with the fake provider writes.
func goodRecord(name string) map[string]any {
	return map[string]any{
		"provider": "auth0", "name": name, "method": "key", "tenant": "acme.us.auth0.com",
		"settings":     map[string]string{"domain": "acme.us.auth0.com"},
		"capabilities": []string{"collect"}, "store": "keyring",
		"created_at": "2026-11-28T12:00:00Z", "updated_at": "2026-11-28T12:00:00Z",
	}
}

func writeRecords(t *testing.T, c Config, conns []any, drafts []any) {
	t.Helper()
	doc := map[string]any{"version": 1, "connections": conns}
	if drafts != nil {
		doc["drafts"] = drafts
	}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.Path(), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestRecordsAreCheckedAsSetupChecksInput: each record that a setup would
// not have written is left out with its reason, and the good record
// beside it is still used.
func TestRecordsAreCheckedAsSetupChecksInput(t *testing.T) {
	with := func(k string, v any) map[string]any {
		r := goodRecord("bad")
		if v == nil {
			delete(r, k)
		} else {
			r[k] = v
		}
		return r
	}
	tests := []struct {
		name   string
		record any
		want   string
	}{
		{"unknown provider", with("provider", "github"), `unknown provider "github"`},
		{"provider not supported", with("provider", "okta"), "okta: not supported yet"},
		{"path for a name", with("name", "../../../../victim/precious"), `connection name "../../../../victim/precious" is not valid`},
		{"unknown method", with("method", "sso"), `auth0 has no method "sso"`},
		{"no method", with("method", nil), "no method"},
		{"setting fails its check", with("settings", map[string]string{"domain": "evil.example"}), "Domain (domain): want acme.us.auth0.com"},
		{"required setting missing", with("settings", map[string]string{}), "Domain (domain): required"},
		{"secret in the metadata", with("settings", map[string]string{"domain": "acme.us.auth0.com", "secret": canaryValue}), `a secret is in the connections file: "secret" belongs in the credential store only`},
		{"unknown capability", with("capabilities", []string{"collect", "devices"}), `no capability "devices"`},
		{"unknown store", with("store", "cloud"), `unknown store "cloud"`},
		{"tenant with escapes", with("tenant", "acme\x1b]0;owned\a"), "control characters"},
		{"bad verdict", with("last_verification", map[string]any{"at": "2026-11-28T12:00:00Z", "verdict": "fine", "counts": map[string]int{}}), `verdict "fine"`},
		{"bad count", with("last_verification", map[string]any{"at": "2026-11-28T12:00:00Z", "verdict": "ok", "counts": map[string]int{"great": 4}}), `as "great"`},
		{"wrong type", with("capabilities", "collect"), `field "capabilities" is a JSON string where tether expects a list`},
		{"not an object", 42, "a JSON number where tether expects an object"},
		{"same key twice", goodRecord("good"), "an earlier record is auth0/good too"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := newManager(t, &fakeProvider{})
			writeRecords(t, m.Config, []any{goodRecord("good"), tt.record}, nil)
			f, err := m.Records()
			if err != nil {
				t.Fatalf("Records() = %v", err)
			}
			if len(f.Connections) != 1 || f.Connections[0].Name != "good" {
				t.Errorf("usable connections = %+v, want only auth0/good", f.Connections)
			}
			if len(f.Unusable) != 1 {
				t.Fatalf("unusable = %v, want one", f.Unusable)
			}
			got := f.Unusable[0].Error()
			if !strings.Contains(got, tt.want) || !strings.Contains(got, "connection 2 ") || strings.Contains(got, "\n") {
				t.Errorf("unusable record: %q, want one line naming connection 2 and %q", got, tt.want)
			}
			if strings.Contains(got, canaryValue) || strings.ContainsAny(got, "\x1b\a") {
				t.Errorf("the reason shows the secret or a control character: %q", got)
			}
			// Rewriting the file keeps the bad record as it was.
			if err := m.config().Update(func(*ConfigFile) error { return nil }); err != nil {
				t.Fatal(err)
			}
			if f, _ := m.Config.Load(); len(f.Connections)+len(f.Unusable) != 2 {
				t.Errorf("after a rewrite, %d records, want 2", len(f.Connections)+len(f.Unusable))
			}
		})
	}
}

// TestUnusableRecordIsNamedByCommandsThatNeedIt: Resolve names the bad
// record a reference selects, Select hands it to the command beside the
// good ones, Forget refuses it, and a new setup of its name replaces it.
func TestUnusableRecordIsNamedByCommandsThatNeedIt(t *testing.T) {
	m, store := newManager(t, &fakeProvider{})
	bad := goodRecord("eu")
	bad["method"] = "sso"
	writeRecords(t, m.Config, []any{goodRecord("default"), bad}, nil)
	store.items[flows.Key{Provider: "auth0", Name: "eu"}] = flows.NewSecret(map[string]string{"secret": "s"})

	var re *RecordError
	if _, err := m.Resolve([]string{"auth0/eu"}); !errors.As(err, &re) || re.Key.Name != "eu" {
		t.Errorf("Resolve(auth0/eu) = %v, want the RecordError of auth0/eu", err)
	}
	if conns, err := m.Resolve([]string{"auth0/default"}); err != nil || len(conns) != 1 {
		t.Errorf("Resolve(auth0/default) = %v, %v", conns, err)
	}
	conns, badRecs, err := m.Select(nil)
	if err != nil || len(conns) != 1 || len(badRecs) != 1 || !strings.Contains(badRecs[0].Error(), "run tether setup auth0 --name eu to replace it, or remove it from the file") {
		t.Errorf("Select(nil) = %v, %v, %v", conns, badRecs, err)
	}
	if _, err := m.Forget(context.Background(), flows.Key{Provider: "auth0", Name: "eu"}); !errors.As(err, &re) {
		t.Errorf("Forget(auth0/eu) = %v, want its RecordError", err)
	}
	if _, ok := store.items[flows.Key{Provider: "auth0", Name: "eu"}]; !ok {
		t.Error("Forget of an unusable record deleted a secret")
	}
	req := request("acme.us.auth0.com")
	req.Name = "eu"
	plan, err := m.Plan(req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Setup(context.Background(), plan, flows.Interaction{}, nopReporter{}); err != nil {
		t.Fatal(err)
	}
	if f, _ := m.Records(); len(f.Connections) != 2 || len(f.Unusable) != 0 {
		t.Errorf("after a new setup of auth0/eu: %d usable, unusable %v", len(f.Connections), f.Unusable)
	}
}

// TestDraftsAreChecked: a setup in progress with a secret among its
// inputs or a path for a name is not offered for resuming.
func TestDraftsAreChecked(t *testing.T) {
	m, _ := newManager(t, &fakeProvider{})
	good := map[string]any{"provider": "auth0", "name": "eu", "step": "inputs", "updated_at": "2026-11-28T12:00:00Z",
		"inputs": map[string]string{"domain": "acme.eu"}} // typed half-way: kept as typed
	secret := map[string]any{"provider": "auth0", "name": "x", "method": "key", "step": "inputs", "updated_at": "2026-11-28T12:00:00Z",
		"inputs": map[string]string{"secret": canaryValue}}
	path := map[string]any{"provider": "auth0", "name": "../x", "step": "inputs", "updated_at": "2026-11-28T12:00:00Z"}
	writeRecords(t, m.Config, []any{}, []any{good, secret, path})
	f, err := m.Records()
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Drafts) != 1 || f.Drafts[0].Name != "eu" || len(f.Unusable) != 2 {
		t.Fatalf("drafts %+v, unusable %v", f.Drafts, f.Unusable)
	}
	for _, u := range f.Unusable {
		if !u.Draft || strings.Contains(u.Error(), canaryValue) || !strings.Contains(u.Error(), "setup in progress") {
			t.Errorf("unusable draft: %v", u)
		}
	}
}

// TestConfigProblemsStopSetupBeforeSignIn: a connections file from a
// newer tether, or a config dir others can write, ends a setup before
// the sign-in, so no credential is obtained and then lost.
func TestConfigProblemsStopSetupBeforeSignIn(t *testing.T) {
	tests := []struct {
		name  string
		spoil func(t *testing.T, c Config)
		is    any
	}{
		{"newer file", func(t *testing.T, c Config) {
			if err := os.WriteFile(c.Path(), []byte(`{"version": 2, "connections": []}`), 0o600); err != nil {
				t.Fatal(err)
			}
		}, new(*ConfigError)},
		{"dir others can write", func(t *testing.T, c Config) {
			if runtime.GOOS == "windows" {
				t.Skip("mode bits")
			}
			if err := os.Chmod(c.Dir, 0o777); err != nil {
				t.Fatal(err)
			}
		}, new(*UnsafeConfigError)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &fakeProvider{}
			m, _ := newManager(t, p)
			plan, err := m.Plan(request("acme.us.auth0.com"))
			if err != nil {
				t.Fatal(err)
			}
			tt.spoil(t, m.Config)
			_, err = m.Setup(context.Background(), plan, flows.Interaction{}, nopReporter{})
			if !errors.As(err, tt.is) || p.connects != 0 {
				t.Errorf("Setup() = %v after %d sign-ins; want %T before any", err, p.connects, tt.is)
			}
		})
	}
}

// countingStore counts the secrets read.
type countingStore struct {
	*memStore
	loads int
}

func (c *countingStore) Load(ctx context.Context, k flows.Key) (flows.Secret, error) {
	c.loads++
	return c.memStore.Load(ctx, k)
}

// TestVerifyReadsNoSecretThroughAnUnsafeDir: once others can write the
// config dir, verification reads no credential and says what to run.
func TestVerifyReadsNoSecretThroughAnUnsafeDir(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("mode bits")
	}
	m, mem := newManager(t, &fakeProvider{})
	plan, _ := m.Plan(request("acme.us.auth0.com"))
	if _, err := m.Setup(context.Background(), plan, flows.Interaction{}, nopReporter{}); err != nil {
		t.Fatal(err)
	}
	cs := &countingStore{memStore: mem}
	m.Store = func(flows.StoreKind) (flows.Store, error) { return cs, nil }
	conns, _ := m.Resolve(nil)
	for _, target := range []string{m.Config.Path(), m.Config.Dir} {
		mode := os.FileMode(0o666)
		if target == m.Config.Dir {
			mode = 0o775
		}
		if err := os.Chmod(target, mode); err != nil {
			t.Fatal(err)
		}
		res := m.Verify(context.Background(), conns[0], nopReporter{})
		var ue *UnsafeConfigError
		if !errors.As(res.Err, &ue) || cs.loads != 0 || res.Verdict() != VerdictNone {
			t.Fatalf("Verify() with %s at %o: %v, %d secrets read", target, mode, res.Err, cs.loads)
		}
		if want := "chmod " + map[bool]string{true: "700", false: "600"}[ue.Dir] + " " + target; !strings.Contains(res.Err.Error(), want) {
			t.Errorf("Verify() error %q does not say %q", res.Err, want)
		}
		if err := os.Chmod(target, mode&^0o022); err != nil {
			t.Fatal(err)
		}
	}
	if res := m.Verify(context.Background(), conns[0], nopReporter{}); res.Err != nil || cs.loads != 1 {
		t.Errorf("Verify() once fixed = %v after %d reads", res.Err, cs.loads)
	}
}

func TestShown(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"acme.okta.com", `"acme.okta.com"`},
		{" admin@acme.com ", `"admin@acme.com"`},
		{"72f988bf-86f1-41af-91ab-2d7cd011db47", `"72f988bf-86f1-41af-91ab-2d7cd011db47"`},
		{"00a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8s9t0", "the value given (42 characters, not shown: it may be a secret)"},
		{"-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----", "the value given (57 characters, not shown: it may be a secret)"},
		{strings.Repeat("a.", 50), "the value given (100 characters, not shown: it may be a secret)"},
	} {
		if got := Shown(tc.in); got != tc.want {
			t.Errorf("Shown(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
