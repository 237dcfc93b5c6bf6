package providers

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/flows"
)

// fakeProvider grants what it is told and counts its calls.
type fakeProvider struct {
	connectErr error
	verifyErr  error
	missing    string
	excess     string // reported as an excess grant
	evidence   string // reported on every check, and warned
	connects   int
}

func (f *fakeProvider) ID() string { return "auth0" }
func (f *fakeProvider) Methods() []Method {
	return []Method{{ID: "key", Name: "Key", Inputs: []Input{
		{Key: "domain", Label: "Domain", Validate: func(s string) error {
			if !strings.HasSuffix(s, ".auth0.com") {
				return errors.New("want acme.us.auth0.com")
			}
			return nil
		}},
		{Key: "secret", Label: "Secret", Secret: true},
	}}}
}
func (f *fakeProvider) Steps(Method, Inputs) []Step { return nil }
func (f *fakeProvider) Connect(_ context.Context, m Method, in Inputs, io flows.Interaction) (Connection, flows.Secret, error) {
	f.connects++
	io.Events.Emit(flows.Progress{Message: "connecting"})
	if f.connectErr != nil {
		return Connection{}, flows.Secret{}, f.connectErr
	}
	return Connection{Tenant: in.Get("domain"), Settings: map[string]string{"domain": in.Get("domain")}}, in.Secret, nil
}
func (f *fakeProvider) Describe(c Connection) Description { return Description{Tenant: c.Tenant} }
func (f *fakeProvider) Verify(_ context.Context, conn Connection, cred Credential, r Reporter) error {
	s := cred.Secret
	if s.Get("secret") == "" {
		return errors.New("no secret given to Verify")
	}
	cat, _ := catalog.Default()
	cp, _ := cat.Provider("auth0")
	for _, n := range cp.Needs(conn.Capabilities) {
		if n.Permission.Name == "read:users" && f.verifyErr != nil {
			return f.verifyErr // after nothing reported
		}
		st := Granted
		if n.Permission.Name == f.missing {
			st = Missing
		}
		r.Check(Check{Capability: n.Capability, Permission: n.Permission.Name, Status: st, Evidence: f.evidence})
	}
	if f.excess != "" {
		r.Check(Check{Permission: f.excess, Status: Excess, Evidence: "granted, not needed"})
	}
	if f.evidence != "" {
		r.Warn("warned: " + f.evidence)
	}
	return nil
}

type memStore struct {
	mu       sync.Mutex
	kind     flows.StoreKind
	probeErr error
	items    map[flows.Key]flows.Secret
}

func (m *memStore) Kind() flows.StoreKind { return m.kind }
func (m *memStore) Probe(context.Context) error {
	return m.probeErr
}
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

type nopReporter struct{}

func (nopReporter) Check(Check) {}
func (nopReporter) Warn(string) {}

func newManager(t *testing.T, p *fakeProvider) (*Manager, *memStore) {
	t.Helper()
	cat, _ := catalog.Default()
	store := &memStore{kind: flows.StoreKeyring, items: map[flows.Key]flows.Secret{}}
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	return &Manager{
		Catalog: cat, Providers: []Provider{p}, Config: Config{Dir: t.TempDir()},
		Store:     func(flows.StoreKind) (flows.Store, error) { return store, nil },
		StoreKind: flows.StoreKeyring, Now: func() time.Time { return now },
	}, store
}

func request(domain string) SetupRequest {
	return SetupRequest{Provider: "auth0", Name: "default", Inputs: Inputs{
		Values: map[string]string{"domain": domain},
		Secret: flows.NewSecret(map[string]string{"secret": "s3cret"}),
	}}
}

func TestPlanValidatesBeforeAnyNetwork(t *testing.T) {
	m, _ := newManager(t, &fakeProvider{})
	tests := []struct {
		name string
		req  SetupRequest
		want string
	}{
		{"unknown provider", SetupRequest{Provider: "github", Name: "x"}, `unknown provider "github"`},
		{"not implemented", SetupRequest{Provider: "okta", Name: "x"}, "not supported yet"},
		{"bad name", SetupRequest{Provider: "auth0", Name: "Bad Name"}, "connection name"},
		{"bad capability", SetupRequest{Provider: "auth0", Name: "x", Capabilities: []string{"devices"}}, `no capability "devices"`},
		{"bad method", SetupRequest{Provider: "auth0", Name: "x", Method: "sso"}, `no method "sso"`},
		{"bad input", request("acme.example.com"), "Domain (domain): want acme.us.auth0.com"},
		{"missing secret", SetupRequest{Provider: "auth0", Name: "x", Inputs: Inputs{Values: map[string]string{"domain": "a.auth0.com"}}}, "Secret (secret): required"},
		{"unknown input", SetupRequest{Provider: "auth0", Name: "x", Inputs: Inputs{Values: map[string]string{"domain": "a.auth0.com", "tenant": "x"},
			Secret: flows.NewSecret(map[string]string{"secret": "s"})}}, "method key takes domain, secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.req.Name == "" {
				tt.req.Name = "default"
			}
			_, err := m.Plan(tt.req)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Plan() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestSetupProbesTheStoreFirst(t *testing.T) {
	p := &fakeProvider{}
	m, store := newManager(t, p)
	store.probeErr = &flows.StoreUnavailableError{Store: "OS keyring", Cause: "no bus"}
	plan, err := m.Plan(request("acme.us.auth0.com"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Setup(context.Background(), plan, flows.Interaction{}, nopReporter{})
	var sue *flows.StoreUnavailableError
	if !errors.As(err, &sue) || p.connects != 0 {
		t.Errorf("Setup() = %v after %d sign-ins; want StoreUnavailableError before any", err, p.connects)
	}
}

func TestSetupStoresAndRecords(t *testing.T) {
	p := &fakeProvider{missing: "read:logs"}
	m, store := newManager(t, p)
	plan, err := m.Plan(request("acme.us.auth0.com"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Setup(context.Background(), plan, flows.Interaction{}, nopReporter{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Verification.Verdict() != VerdictMissing || res.Replaced {
		t.Errorf("verdict %s replaced %v", res.Verification.Verdict(), res.Replaced)
	}
	if _, ok := store.items[flows.Key{Provider: "auth0", Name: "default"}]; !ok {
		t.Error("secret not stored")
	}
	f, _ := m.Config.Load()
	c, ok := f.Find(flows.Key{Provider: "auth0", Name: "default"})
	if !ok || c.Tenant != "acme.us.auth0.com" || c.Store != flows.StoreKeyring || c.LastVerification == nil ||
		c.LastVerification.Verdict != VerdictMissing || c.LastVerification.Missing[0] != "read:logs" || c.Method != "key" {
		t.Errorf("recorded %+v %+v", c, c.LastVerification)
	}
	if _, ok := c.Settings["secret"]; ok {
		t.Error("the secret input landed in the metadata")
	}
	// A failed re-setup keeps the old credential.
	p.connectErr = &SignInError{Reason: "rejected"}
	plan2, _ := m.Plan(request("other.us.auth0.com"))
	if _, err := m.Setup(context.Background(), plan2, flows.Interaction{}, nopReporter{}); err == nil {
		t.Fatal("Setup() with a refused sign-in succeeded")
	}
	f, _ = m.Config.Load()
	if c, _ := f.Find(flows.Key{Provider: "auth0", Name: "default"}); c.Tenant != "acme.us.auth0.com" {
		t.Errorf("a failed setup replaced the connection: %+v", c)
	}
	p.connectErr = nil
	res, err = m.Setup(context.Background(), plan2, flows.Interaction{}, nopReporter{})
	if err != nil || !res.Replaced || res.Connection.Tenant != "other.us.auth0.com" {
		t.Errorf("replacing setup = %+v, %v", res, err)
	}
}

func TestVerifyAccountsForEveryPermission(t *testing.T) {
	p := &fakeProvider{}
	m, store := newManager(t, p)
	plan, _ := m.Plan(request("acme.us.auth0.com"))
	if _, err := m.Setup(context.Background(), plan, flows.Interaction{}, nopReporter{}); err != nil {
		t.Fatal(err)
	}
	conns, _ := m.Resolve([]string{"auth0/default"})
	p.verifyErr = &flows.NetworkError{Host: "acme.us.auth0.com", Reason: "connection refused"}
	res := m.Verify(context.Background(), conns[0], nopReporter{})
	if res.Verdict() != VerdictNone || len(res.Checks) != 4 {
		t.Fatalf("verdict %s with %d checks, want no-verdict with 4", res.Verdict(), len(res.Checks))
	}
	for _, c := range res.Checks {
		if c.Status != Error || !strings.Contains(c.Evidence, "connection refused") {
			t.Errorf("check %+v", c)
		}
	}
	delete(store.items, conns[0].Key())
	p.verifyErr = nil
	res = m.Verify(context.Background(), conns[0], nopReporter{})
	if res.Verdict() != VerdictNone || res.Err == nil || !strings.Contains(res.Err.Error(), "run tether setup auth0 --name default again") {
		t.Errorf("verify without a secret: %s %v", res.Verdict(), res.Err)
	}
}

func TestExpiryWarnings(t *testing.T) {
	m, _ := newManager(t, &fakeProvider{})
	now := m.Now()
	tests := []struct {
		expires time.Duration
		want    string
	}{
		{12 * 24 * time.Hour, "expires in 12 days"},
		{-time.Hour, "expired on"},
		{90 * 24 * time.Hour, ""},
	}
	for _, tt := range tests {
		at := now.Add(tt.expires)
		col := &collector{}
		m.warnExpiry(Connection{Provider: "auth0", Name: "x", SecretExpiresAt: &at}, col)
		got := strings.Join(col.warnings, "")
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("expiry in %v: warnings %q, want %q", tt.expires, got, tt.want)
		}
	}
}

func TestResolveAndForget(t *testing.T) {
	m, store := newManager(t, &fakeProvider{})
	for _, name := range []string{"default", "eu"} {
		req := request("acme.us.auth0.com")
		req.Name = name
		plan, _ := m.Plan(req)
		if _, err := m.Setup(context.Background(), plan, flows.Interaction{}, nopReporter{}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		refs []string
		n    int
		err  string
	}{
		{nil, 2, ""}, {[]string{"auth0"}, 2, ""}, {[]string{"auth0/eu", "auth0"}, 2, ""}, {[]string{"auth0/eu"}, 1, ""},
		{[]string{"okta"}, 0, "no connection okta"}, {[]string{"nope/x"}, 0, `unknown provider "nope"`},
	}
	for _, tt := range tests {
		got, err := m.Resolve(tt.refs)
		if len(got) != tt.n || (tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err))) {
			t.Errorf("Resolve(%q) = %d, %v", tt.refs, len(got), err)
		}
	}
	if _, err := m.Forget(context.Background(), flows.Key{Provider: "auth0", Name: "eu"}); err != nil {
		t.Fatal(err)
	}
	if _, ok := store.items[flows.Key{Provider: "auth0", Name: "eu"}]; ok {
		t.Error("Forget left the secret")
	}
	if conns, _ := m.Connections(); len(conns) != 1 || conns[0].Name != "default" {
		t.Errorf("after Forget: %+v", conns)
	}
	if _, err := m.Forget(context.Background(), flows.Key{Provider: "auth0", Name: "eu"}); err == nil {
		t.Error("forgetting twice succeeded")
	}
}

func TestCancelledVerifyKeepsTheLastVerdict(t *testing.T) {
	m, _ := newManager(t, &fakeProvider{})
	plan, _ := m.Plan(request("acme.us.auth0.com"))
	if _, err := m.Setup(context.Background(), plan, flows.Interaction{}, nopReporter{}); err != nil {
		t.Fatal(err)
	}
	conns, _ := m.Resolve(nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m.Verify(ctx, conns[0], nopReporter{})
	conns, _ = m.Resolve(nil)
	if v := conns[0].LastVerification; v == nil || v.Verdict != VerdictOK {
		t.Errorf("after a cancelled verify, last verification = %+v, want the earlier ok", v)
	}
}

// panicky panics in Verify, as a buggy provider might.
type panicky struct{ fakeProvider }

func (*panicky) Verify(context.Context, Connection, Credential, Reporter) error { panic("boom") }

func TestProviderPanicIsAnError(t *testing.T) {
	m, _ := newManager(t, &fakeProvider{})
	plan, _ := m.Plan(request("acme.us.auth0.com"))
	if _, err := m.Setup(context.Background(), plan, flows.Interaction{}, nopReporter{}); err != nil {
		t.Fatal(err)
	}
	m.Providers = []Provider{&panicky{}}
	conns, _ := m.Resolve(nil)
	res := m.Verify(context.Background(), conns[0], nopReporter{})
	if res.Err == nil || !strings.Contains(res.Err.Error(), "internal error: boom") || res.Verdict() != VerdictNone {
		t.Errorf("Verify with a panicking provider = %v, %s", res.Err, res.Verdict())
	}
}

// TestProviderTextCannotDriveTheTerminal: what a provider reports (its
// evidence quotes the tenant's answers) reaches the reporter and the
// result without control characters.
func TestProviderTextCannotDriveTheTerminal(t *testing.T) {
	p := &fakeProvider{evidence: "user \x1b]52;c;ZXZpbA==\x07 named \x1b[2J"}
	m, _ := newManager(t, p)
	plan, err := m.Plan(request("acme.us.auth0.com"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Setup(context.Background(), plan, flows.Interaction{}, nopReporter{})
	if err != nil {
		t.Fatal(err)
	}
	texts := res.Verification.Warnings
	for _, c := range res.Verification.Checks {
		texts = append(texts, c.Evidence)
	}
	if len(texts) < 2 {
		t.Fatalf("nothing reported: %+v", res.Verification)
	}
	for _, s := range texts {
		if strings.ContainsAny(s, "\x1b\x07") {
			t.Errorf("reported text keeps control characters: %q", s)
		}
	}
}
