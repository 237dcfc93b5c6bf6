package entra_test

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/providers/entra"
	"github.com/tetherdev/tether/providers/entra/entratest"
	"github.com/tetherdev/tether/providers/sandbox"
)

// canary is a recognisable fake client secret that must never leave the
// credential store.
const canary = "CANARY~7a1f.do-not-leak_000000000000000"

var collect = []string{"AuditLog.Read.All", "Directory.Read.All", "Group.Read.All", "GroupMember.Read.All", "Reports.Read.All",
	"User.Read.All", "Policy.Read.All", "IdentityRiskyUser.Read.All", "IdentityRiskEvent.Read.All", "UserAuthenticationMethod.Read.All"}

// keyPair is one RSA key and a self-signed certificate for it, made once:
// RSA key generation is slow.
var keyPair = sync.OnceValues(func() (string, *x509.Certificate) {
	key, err := flows.GenerateKey()
	if err != nil {
		panic(err)
	}
	keyPEM, _ := flows.PrivateKeyPEM(key)
	certPEM, err := flows.SelfSignedCertificate(key, "tether test", time.Now(), 24*time.Hour)
	if err != nil {
		panic(err)
	}
	cert, _ := flows.ParseCertificatePEM(certPEM)
	return keyPEM + certPEM, cert
})

type fixture struct {
	p   *entra.Provider
	sb  *sandbox.Sandbox
	cat *catalog.Catalog
	emu *entratest.Emulator
}

func start(t *testing.T, opts entratest.Options, env providers.Env) fixture {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.Start(cat, sandbox.Options{Emulators: []sandbox.Entry{{Provider: entra.ID, New: entratest.EmulatorWith(opts)}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	if env.HTTP == nil {
		env.HTTP = sb.HTTPClient()
	}
	p, err := entra.New(cat, env)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := sb.Emulator(entra.ID)
	return fixture{p: p, sb: sb, cat: cat, emu: e.Emulator.(*entratest.Emulator)}
}

// tenant is the demo tenant with the canary as the secret, the test
// certificate registered, and roles assigned.
func tenant(roles []string, mutate ...func(*entratest.App)) entratest.Tenant {
	_, cert := keyPair()
	tn := entratest.Demo(collect, roles, time.Now(), cert)
	tn.Apps[0].Secrets[0].Value = canary
	for _, m := range mutate {
		m(&tn.Apps[0])
	}
	return tn
}

func inputs(method string, extra map[string]string) providers.Inputs {
	v := map[string]string{"tenant": entratest.DemoDomain, "client_id": entratest.DemoClientID}
	for k, x := range extra {
		v[k] = x
	}
	s := map[string]string{"client_secret": canary}
	if method == entra.MethodCertificate {
		pem, _ := keyPair()
		s = map[string]string{"certificate": pem}
	}
	return providers.Inputs{Values: v, Secret: flows.NewSecret(s)}
}

type reporter struct {
	mu       sync.Mutex
	checks   []providers.Check
	warnings []string
}

func (r *reporter) Check(c providers.Check) {
	r.mu.Lock()
	r.checks = append(r.checks, c)
	r.mu.Unlock()
}
func (r *reporter) Warn(w string) { r.mu.Lock(); r.warnings = append(r.warnings, w); r.mu.Unlock() }

func (r *reporter) status(perm string) providers.Check {
	for _, c := range r.checks {
		if c.Permission == perm {
			return c
		}
	}
	return providers.Check{Status: "absent"}
}

func method(t *testing.T, p providers.Provider, id string) providers.Method {
	t.Helper()
	m, err := providers.FindMethod(p, id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func connectAndVerify(t *testing.T, f fixture, m providers.Method, in providers.Inputs, caps []string) (*reporter, providers.Connection, error) {
	t.Helper()
	if err := m.Validate(in); err != nil {
		t.Fatalf("inputs: %v", err)
	}
	conn, secret, err := f.p.Connect(context.Background(), m, in, flows.Interaction{})
	if err != nil {
		return nil, conn, err
	}
	conn.Capabilities = caps
	r := &reporter{}
	return r, conn, f.p.Verify(context.Background(), conn, providers.Credential{Secret: secret}, r)
}

// TestVerifyFromRoles: each method verifies from the token's roles: what
// the tenant assigned is granted, what it withholds is missing with a
// fix, and roles no enabled capability needs are excess.
func TestVerifyFromRoles(t *testing.T) {
	for _, m := range []string{entra.MethodClientSecret, entra.MethodCertificate} {
		for _, tt := range []struct {
			name    string
			roles   []string
			caps    []string
			missing []string
			excess  []string
		}{
			{"all granted", collect, nil, nil, nil},
			{"one withheld", slices.DeleteFunc(slices.Clone(collect), func(s string) bool { return s == "User.Read.All" }), nil, []string{"User.Read.All"}, nil},
			{"none granted", nil, nil, collect, nil},
			{"devices on, then off", append(slices.Clone(collect), "DeviceManagementApps.Read.All", "DeviceManagementConfiguration.Read.All", "DeviceManagementManagedDevices.Read.All"), nil, nil,
				[]string{"DeviceManagementApps.Read.All", "DeviceManagementConfiguration.Read.All", "DeviceManagementManagedDevices.Read.All"}},
			{"devices enabled, not granted", collect, []string{"collect", "devices"},
				[]string{"DeviceManagementApps.Read.All", "DeviceManagementConfiguration.Read.All", "DeviceManagementManagedDevices.Read.All"}, nil},
		} {
			t.Run(m+"/"+tt.name, func(t *testing.T) {
				f := start(t, entratest.Options{Tenants: []entratest.Tenant{tenant(tt.roles)}}, providers.Env{})
				caps := tt.caps
				if caps == nil {
					caps = []string{"collect"}
				}
				r, _, err := connectAndVerify(t, f, method(t, f.p, m), inputs(m, nil), caps)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range r.checks {
					want := providers.Granted
					switch {
					case slices.Contains(tt.missing, c.Permission):
						want = providers.Missing
					case slices.Contains(tt.excess, c.Permission):
						want = providers.Excess
					}
					if c.Status != want {
						t.Errorf("%s = %s (%s), want %s", c.Permission, c.Status, c.Evidence, want)
					}
					if c.Status != providers.Granted && (c.Fix == "" || c.FixURL == "") {
						t.Errorf("%s is %s without a fix: %+v", c.Permission, c.Status, c)
					}
				}
				var excess int
				for _, c := range r.checks {
					if c.Status == providers.Excess {
						excess++
					}
				}
				if excess != len(tt.excess) {
					t.Errorf("%d excess checks, want %d: %+v", excess, len(tt.excess), r.checks)
				}
			})
		}
	}
}

// TestDelegatedInsteadOfApplication: a permission the registration asks
// for as a delegated one is named as such, with the fix that swaps it.
func TestDelegatedInsteadOfApplication(t *testing.T) {
	roles := slices.DeleteFunc(slices.Clone(collect), func(s string) bool { return s == "AuditLog.Read.All" || s == "Group.Read.All" })
	tn := tenant(roles, func(a *entratest.App) {
		a.Required = append(entratest.ApplicationAccess(slices.DeleteFunc(slices.Clone(collect), func(s string) bool { return s == "AuditLog.Read.All" })...),
			entratest.DelegatedAccess("AuditLog.Read.All")...)
	})
	f := start(t, entratest.Options{Tenants: []entratest.Tenant{tn}}, providers.Env{})
	r, _, err := connectAndVerify(t, f, method(t, f.p, entra.MethodClientSecret), inputs(entra.MethodClientSecret, nil), []string{"collect"})
	if err != nil {
		t.Fatal(err)
	}
	c := r.status("AuditLog.Read.All")
	if c.Status != providers.Missing || !strings.Contains(c.Evidence, "as a delegated permission") || !strings.Contains(c.Fix, "remove the Delegated AuditLog.Read.All") {
		t.Errorf("delegated AuditLog.Read.All = %+v", c)
	}
	c = r.status("Group.Read.All")
	if c.Status != providers.Missing || !strings.Contains(c.Evidence, "no admin consent") || !strings.Contains(c.FixURL, "/adminconsent?client_id=") {
		t.Errorf("unconsented Group.Read.All = %+v", c)
	}
}

// TestConnectRefusals: each token-endpoint refusal is one sentence and
// a fix, and none quotes the secret.
func TestConnectRefusals(t *testing.T) {
	expired := func(a *entratest.App) { a.Secrets[0].End = time.Now().Add(-time.Hour) }
	for _, tt := range []struct {
		name   string
		mutate func(*entratest.App)
		in     map[string]string
		method string
		want   string
		fix    string
	}{
		{"wrong secret", func(a *entratest.App) { a.Secrets[0].Value = "another-secret-value-0000000000000000000" }, nil, entra.MethodClientSecret, "AADSTS7000215", "not its Secret ID"},
		{"expired secret", expired, nil, entra.MethodClientSecret, "has expired", "create a new client secret"},
		{"unknown app", nil, map[string]string{"client_id": "11111111-2222-4333-8444-555555555555"}, entra.MethodClientSecret, "AADSTS700016", "Application (client) ID"},
		{"unknown tenant", nil, map[string]string{"tenant": "nope.onmicrosoft.com"}, entra.MethodClientSecret, "AADSTS90002", "Directory (tenant) ID"},
		{"tenant in another cloud", nil, map[string]string{"cloud": "china"}, entra.MethodClientSecret, "AADSTS90002", "china was asked"},
		{"certificate not registered", func(a *entratest.App) { a.Certificates = nil }, nil, entra.MethodCertificate, "AADSTS700027", "upload the certificate"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mut := []func(*entratest.App){}
			if tt.mutate != nil {
				mut = append(mut, tt.mutate)
			}
			f := start(t, entratest.Options{Tenants: []entratest.Tenant{tenant(collect, mut...)}}, providers.Env{})
			_, _, err := connectAndVerify(t, f, method(t, f.p, tt.method), inputs(tt.method, tt.in), []string{"collect"})
			var se *providers.SignInError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(se.Fix, tt.fix) {
				t.Fatalf("err = %v; want a SignInError with %q and a fix with %q", err, tt.want, tt.fix)
			}
			if strings.Contains(err.Error(), canary) {
				t.Errorf("the error quotes the secret: %v", err)
			}
		})
	}
}

// TestSecretExpiryRecorded: the secret's end date is read from the app
// registration; the certificate's from the certificate.
func TestSecretExpiryRecorded(t *testing.T) {
	end := time.Now().Add(40 * 24 * time.Hour).UTC().Truncate(time.Second)
	f := start(t, entratest.Options{Tenants: []entratest.Tenant{tenant(collect, func(a *entratest.App) { a.Secrets[0].End = end })}}, providers.Env{})
	m := method(t, f.p, entra.MethodClientSecret)
	conn, _, err := f.p.Connect(context.Background(), m, inputs(m.ID, nil), flows.Interaction{})
	if err != nil {
		t.Fatal(err)
	}
	if conn.SecretExpiresAt == nil || !conn.SecretExpiresAt.Equal(end) {
		t.Errorf("secret expires at %v, want %v", conn.SecretExpiresAt, end)
	}
	m = method(t, f.p, entra.MethodCertificate)
	conn, _, err = f.p.Connect(context.Background(), m, inputs(m.ID, nil), flows.Interaction{})
	_, cert := keyPair()
	if err != nil || conn.SecretExpiresAt == nil || !conn.SecretExpiresAt.Equal(cert.NotAfter) {
		t.Errorf("certificate: expires at %v (err %v), want %v", conn.SecretExpiresAt, err, cert.NotAfter)
	}
}

// memStore is a credential store in memory.
type memStore struct {
	mu    sync.Mutex
	items map[flows.Key]flows.Secret
}

func (m *memStore) Kind() flows.StoreKind       { return flows.StoreKeyring }
func (m *memStore) Probe(context.Context) error { return nil }
func (m *memStore) Location(k flows.Key) string { return "memory " + k.String() }
func (m *memStore) Delete(_ context.Context, k flows.Key) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.items, k)
	return nil
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

// fakeClock is the emulator's and the Manager's time: waiting moves it.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Wait(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return nil
}

type recheck struct {
	reporter
	rounds []string
}

func (r *recheck) Recheck(round, rounds int, wait time.Duration, missing []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rounds = append(r.rounds, fmt.Sprintf("%d/%d %s %d missing", round, rounds, wait, len(missing)))
}

// TestSetupWaitsOutConsentLag: with roles granted a moment ago and the
// emulator's consent lag, setup re-checks visibly until they show; past
// the bound it settles on missing.
func TestSetupWaitsOutConsentLag(t *testing.T) {
	for _, tt := range []struct {
		name    string
		lag     time.Duration
		verdict providers.Verdict
		rounds  int
	}{
		{"no lag", 0, providers.VerdictOK, 0},
		{"40 seconds", 40 * time.Second, providers.VerdictOK, 2},
		{"past the bound", time.Hour, providers.VerdictMissing, 4},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clock := &fakeClock{now: time.Now()}
			tn := tenant([]string{"Directory.Read.All"}) // granted long ago: the app may read its registration
			f := start(t, entratest.Options{Tenants: []entratest.Tenant{tn}, Now: clock.Now, ConsentLag: tt.lag}, providers.Env{})
			if err := f.emu.SetRoles(entratest.DemoTenantID, entratest.DemoClientID, collect); err != nil {
				t.Fatal(err)
			}
			store := &memStore{items: map[flows.Key]flows.Secret{}}
			m := &providers.Manager{Catalog: f.cat, Providers: []providers.Provider{f.p}, Config: providers.Config{Dir: t.TempDir()},
				Store:     func(flows.StoreKind) (flows.Store, error) { return store, nil },
				StoreKind: flows.StoreKeyring, Now: clock.Now, Wait: clock.Wait}
			plan, err := m.Plan(providers.SetupRequest{Provider: entra.ID, Name: "default", Method: entra.MethodClientSecret, Inputs: inputs(entra.MethodClientSecret, nil)})
			if err != nil {
				t.Fatal(err)
			}
			r := &recheck{}
			res, err := m.Setup(context.Background(), plan, flows.Interaction{}, r)
			if err != nil {
				t.Fatal(err)
			}
			if res.Verification.Verdict() != tt.verdict || len(r.rounds) != tt.rounds {
				t.Errorf("verdict %s after rounds %q; want %s after %d", res.Verification.Verdict(), r.rounds, tt.verdict, tt.rounds)
			}
			if tt.rounds > 0 && r.rounds[0] != "1/4 15s 9 missing" {
				t.Errorf("first round %q", r.rounds[0])
			}
			if tt.verdict == providers.VerdictMissing {
				c := r.status("User.Read.All")
				if !strings.Contains(c.Evidence, "has not reached new tokens") {
					t.Errorf("past the bound, the evidence does not say why: %+v", c)
				}
			}
		})
	}
}

// TestSandboxDemo: through the sandbox's own demo tenant, every method
// ends with the collect permissions granted, and each permission denied
// with --sandbox-deny is missing with a fix while nothing else changes.
func TestSandboxDemo(t *testing.T) {
	cat, _ := catalog.Default()
	for _, mid := range []string{entra.MethodClientSecret, entra.MethodCertificate, entra.MethodAdminConsent} {
		for _, deny := range []string{"", "Policy.Read.All"} {
			t.Run(mid+"/deny="+deny, func(t *testing.T) {
				opts := sandbox.Options{Dir: t.TempDir(), Emulators: []sandbox.Entry{{Provider: entra.ID, New: entratest.NewEmulator}}}
				if deny != "" {
					opts.Deny = map[string][]string{entra.ID: {deny}}
				}
				sb, err := sandbox.Start(cat, opts)
				if err != nil {
					t.Fatal(err)
				}
				defer sb.Close()
				p, _ := entra.New(cat, providers.Env{HTTP: sb.HTTPClient()})
				m := method(t, p, mid)
				demo := sb.Defaults(entra.ID)
				in := providers.Inputs{Values: map[string]string{}, Secret: flows.NewSecret(nil)}
				sec := map[string]string{}
				for _, input := range m.Inputs {
					if v := demo[input.Key]; v != "" && !input.Optional {
						if input.Secret {
							sec[input.Key] = v
						} else {
							in.Values[input.Key] = v
						}
					}
				}
				in.Secret = flows.NewSecret(sec)
				io := sb.Admin(entra.ID, 0).Interact(context.Background(), flows.Interaction{})
				conn, secret, err := p.Connect(context.Background(), m, in, io)
				if err != nil {
					t.Fatal(err)
				}
				conn.Capabilities = []string{"collect"}
				r := &reporter{}
				if err := p.Verify(context.Background(), conn, providers.Credential{Secret: secret}, r); err != nil {
					t.Fatal(err)
				}
				for _, c := range r.checks {
					switch {
					case c.Permission == deny:
						if c.Status != providers.Missing || c.Fix == "" || c.FixURL == "" {
							t.Errorf("denied %s = %+v", deny, c)
						}
					case c.Status == providers.Excess:
					case c.Status != providers.Granted:
						t.Errorf("%s = %+v", c.Permission, c)
					}
				}
				if got := len(r.checks); got < len(collect) {
					t.Errorf("%d checks, want at least %d", got, len(collect))
				}
			})
		}
	}
}

// TestAdminConsentRefused: an admin who cancels gets AADSTS65004
// explained, and nothing is connected.
func TestAdminConsentRefused(t *testing.T) {
	cat, _ := catalog.Default()
	sb, err := sandbox.Start(cat, sandbox.Options{Dir: t.TempDir(), Deny: map[string][]string{entra.ID: {sandbox.Consent}},
		Emulators: []sandbox.Entry{{Provider: entra.ID, New: entratest.NewEmulator}}})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	p, _ := entra.New(cat, providers.Env{HTTP: sb.HTTPClient()})
	in := providers.Inputs{Values: map[string]string{"tenant": entratest.DemoDomain, "client_id": entratest.DemoClientID},
		Secret: flows.NewSecret(map[string]string{"client_secret": entratest.DemoClientSecret})}
	io := sb.Admin(entra.ID, 0).Interact(context.Background(), flows.Interaction{})
	_, _, err = p.Connect(context.Background(), method(t, p, entra.MethodAdminConsent), in, io)
	var se *providers.SignInError
	if !errors.As(err, &se) || !strings.Contains(se.Reason, "declined") || !strings.Contains(se.Reason, "AADSTS65004") || !strings.Contains(se.Fix, "/adminconsent?client_id=") {
		t.Fatalf("err = %v", err)
	}
}

// TestCanary: the client secret never appears in an event, a check, a
// warning, an error, the connection's metadata or a file the sandbox
// writes, through a setup, a verification with something missing, and a
// refusal.
func TestCanary(t *testing.T) {
	var events []string
	var mu sync.Mutex
	io := flows.Interaction{Events: func(e flows.Event) { mu.Lock(); events = append(events, fmt.Sprintf("%#v", e)); mu.Unlock() }}
	roles := slices.DeleteFunc(slices.Clone(collect), func(s string) bool { return s == "User.Read.All" })
	f := start(t, entratest.Options{Tenants: []entratest.Tenant{tenant(roles)}}, providers.Env{})
	m := method(t, f.p, entra.MethodClientSecret)
	conn, secret, err := f.p.Connect(context.Background(), m, inputs(m.ID, nil), io)
	if err != nil {
		t.Fatal(err)
	}
	conn.Capabilities = []string{"collect"}
	r := &reporter{}
	if err := f.p.Verify(context.Background(), conn, providers.Credential{Secret: secret}, r); err != nil {
		t.Fatal(err)
	}
	_, _, refusal := f.p.Connect(context.Background(), m, inputs(m.ID, map[string]string{"tenant": "nope.onmicrosoft.com"}), io)
	all := fmt.Sprintf("%v %+v %+v %v %v %+v %v", events, r.checks, r.warnings, refusal, conn, f.p.Describe(conn), fmt.Sprint(secret))
	if strings.Contains(all, canary) {
		t.Fatalf("the secret leaked: %s", all)
	}
	if refusal == nil {
		t.Fatal("an unknown tenant connected")
	}
	bad := providers.Inputs{Values: map[string]string{"tenant": entratest.DemoDomain, "client_id": entratest.DemoClientID},
		Secret: flows.NewSecret(map[string]string{"client_secret": canary + " x"})}
	if err := m.Validate(bad); err == nil || strings.Contains(err.Error(), canary) {
		t.Errorf("validation of a bad secret: %v", err)
	}
	// The sandbox's files.
	dir := t.TempDir()
	cat, _ := catalog.Default()
	sb, err := sandbox.Start(cat, sandbox.Options{Dir: dir, Emulators: []sandbox.Entry{{Provider: entra.ID, New: entratest.EmulatorWith(entratest.Options{Tenants: []entratest.Tenant{tenant(collect)}})}}})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := entra.New(cat, providers.Env{HTTP: sb.HTTPClient()})
	if _, _, err := p.Connect(context.Background(), m, inputs(m.ID, nil), io); err != nil {
		t.Fatal(err)
	}
	_ = sb.Close()
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if data, _ := os.ReadFile(path); strings.Contains(string(data), canary) {
				t.Errorf("%s holds the secret", path)
			}
		}
		return nil
	})
}
