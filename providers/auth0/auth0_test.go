package auth0_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/providers/auth0"
	"github.com/tetherdev/tether/providers/auth0/auth0test"
	"github.com/tetherdev/tether/providers/sandbox"
)

const canary = "CANARY-7a1f-do-not-leak-0000000000000000000000000000000000000000"

var collect = []string{"read:users", "read:logs", "read:logs_users", "read:guardian_factors"}

type fixture struct {
	p   *auth0.Provider
	sb  *sandbox.Sandbox
	cat *catalog.Catalog
}

// emu is the fixture's Auth0 emulator.
func (f fixture) emu() *auth0test.Emulator {
	e, _ := f.sb.Emulator(auth0.ID)
	return e.Emulator.(*auth0test.Emulator)
}

func start(t *testing.T, opts auth0test.Options, env providers.Env) fixture {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.Start(cat, sandbox.Options{Emulators: []sandbox.Entry{{Provider: auth0.ID, New: auth0test.EmulatorWith(opts)}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	if env.HTTP == nil {
		env.HTTP = sb.HTTPClient()
	}
	p, err := auth0.New(cat, env)
	if err != nil {
		t.Fatal(err)
	}
	return fixture{p: p, sb: sb, cat: cat}
}

func tenant(scopes []string, mutate ...func(*auth0test.Client)) auth0test.Tenant {
	tn := auth0test.Demo(scopes)
	tn.Clients[0].Secret = canary
	for _, m := range mutate {
		m(&tn.Clients[0])
	}
	return tn
}

func secretInputs(extra map[string]string) providers.Inputs {
	v := map[string]string{"domain": auth0test.DemoDomain, "client_id": auth0test.DemoClientID}
	for k, x := range extra {
		v[k] = x
	}
	return providers.Inputs{Values: v, Secret: flows.NewSecret(map[string]string{"client_secret": canary})}
}

// reporter records checks and warnings.
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
	return providers.Check{}
}

func method(t *testing.T, p providers.Provider, id string) providers.Method {
	m, err := providers.FindMethod(p, id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func connectAndVerify(t *testing.T, f fixture, m providers.Method, in providers.Inputs, caps []string) (*reporter, error) {
	t.Helper()
	ctx := context.Background()
	if err := m.Validate(in); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
	conn, secret, err := f.p.Connect(ctx, m, in, flows.Interaction{})
	if err != nil {
		t.Fatalf("Connect() = %v", err)
	}
	conn.Capabilities = caps
	r := &reporter{}
	return r, f.p.Verify(ctx, conn, providers.Credential{Secret: secret}, r)
}

func TestVerifyStatuses(t *testing.T) {
	tests := []struct {
		name    string
		granted []string
		want    map[string]providers.Status
		excess  []string
	}{
		{"everything granted", collect, map[string]providers.Status{
			"read:users": providers.Granted, "read:logs": providers.Granted, "read:user_logs": providers.Granted, "read:guardian_factors": providers.Granted}, nil},
		{"read:logs withheld", []string{"read:users", "read:logs_users", "read:guardian_factors"}, map[string]providers.Status{
			"read:users": providers.Granted, "read:logs": providers.Missing, "read:user_logs": providers.Granted, "read:guardian_factors": providers.Granted}, nil},
		{"the guide's read:user_logs is not the real scope", []string{"read:users", "read:logs", "read:user_logs", "read:guardian_factors"}, map[string]providers.Status{
			"read:user_logs": providers.Missing, "read:logs": providers.Granted}, []string{"read:user_logs"}},
		{"read:users withheld leaves user logs to the token's word", []string{"read:logs", "read:logs_users", "read:guardian_factors"}, map[string]providers.Status{
			"read:users": providers.Missing, "read:user_logs": providers.Granted}, nil},
		{"excess and self-granting scopes", append(slices.Clone(collect), "read:clients", "create:client_grants"), map[string]providers.Status{
			"read:users": providers.Granted}, []string{"read:clients", "create:client_grants"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := start(t, auth0test.Options{Tenants: []auth0test.Tenant{tenant(tt.granted)}}, providers.Env{})
			r, err := connectAndVerify(t, f, method(t, f.p, auth0.MethodClientSecret), secretInputs(nil), []string{"collect"})
			if err != nil {
				t.Fatalf("Verify() = %v", err)
			}
			for perm, want := range tt.want {
				c := r.status(perm)
				if c.Status != want {
					t.Errorf("%s: %s (%s), want %s", perm, c.Status, c.Evidence, want)
				}
				if want == providers.Missing && (c.Fix == "" || !strings.HasPrefix(c.FixURL, "https://manage.auth0.com/dashboard/us/tether-demo/")) {
					t.Errorf("%s missing without a fix: %+v", perm, c)
				}
				if want == providers.Granted && c.Fix != "" {
					t.Errorf("%s granted with a fix: %+v", perm, c)
				}
			}
			var excess []string
			for _, c := range r.checks {
				if c.Status == providers.Excess {
					excess = append(excess, c.Permission)
				}
			}
			if !slices.Equal(excess, tt.excess) {
				t.Errorf("excess = %q, want %q", excess, tt.excess)
			}
			if len(r.checks) != 4+len(tt.excess) {
				t.Errorf("got %d checks, want %d", len(r.checks), 4+len(tt.excess))
			}
		})
	}
}

func TestConnectRefusals(t *testing.T) {
	tests := []struct {
		name      string
		opts      auth0test.Options
		in        providers.Inputs
		wantErr   string
		wantFix   string
		signInErr bool
	}{
		{"wrong secret, access_denied body",
			auth0test.Options{Tenants: []auth0test.Tenant{tenant(collect, func(c *auth0test.Client) { c.Secret = strings.Repeat("z", 64) })}},
			secretInputs(nil), "rejected the client credentials (the token endpoint answered 401 access_denied: Unauthorized)", "check the client ID", true},
		{"wrong secret, invalid_client body",
			auth0test.Options{BadSecret: auth0test.BadSecretInvalidClient, Tenants: []auth0test.Tenant{tenant(collect, func(c *auth0test.Client) { c.Secret = strings.Repeat("z", 64) })}},
			secretInputs(nil), "401 invalid_client", "check the client ID", true},
		{"unknown client",
			auth0test.Options{Tenants: []auth0test.Tenant{tenant(collect, func(c *auth0test.Client) { c.ID = "SomeoneElse00000000000000000000x" })}},
			secretInputs(nil), "rejected the client credentials", "", true},
		{"grant type disabled",
			auth0test.Options{Tenants: []auth0test.Tenant{tenant(collect, func(c *auth0test.Client) { c.GrantTypes = []string{"authorization_code"} })}},
			secretInputs(nil), "unauthorized_client", "Grant Types", true},
		{"unreachable host",
			auth0test.Options{Tenants: []auth0test.Tenant{tenant(collect)}},
			secretInputs(map[string]string{"custom_domain": "unemulated.example.com"}), "cannot reach unemulated.example.com", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := start(t, tt.opts, providers.Env{})
			_, _, err := f.p.Connect(context.Background(), method(t, f.p, auth0.MethodClientSecret), tt.in, flows.Interaction{})
			if err == nil {
				t.Fatal("Connect() = nil, want an error")
			}
			if !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), tt.wantFix) {
				t.Errorf("Connect() = %q, want it to contain %q and %q", err, tt.wantErr, tt.wantFix)
			}
			var se *providers.SignInError
			if errors.As(err, &se) != tt.signInErr {
				t.Errorf("Connect() error %T, SignInError = %v, want %v", err, !tt.signInErr, tt.signInErr)
			}
			if strings.Contains(err.Error(), canary) || strings.Contains(err.Error(), "\n") {
				t.Errorf("Connect() error %q leaks the secret or spans lines", err)
			}
		})
	}
}

func TestNoClientGrantConnectsThenAllMissing(t *testing.T) {
	tn := tenant(nil, func(c *auth0test.Client) { c.Grants = nil })
	f := start(t, auth0test.Options{Tenants: []auth0test.Tenant{tn}}, providers.Env{})
	r, err := connectAndVerify(t, f, method(t, f.p, auth0.MethodClientSecret), secretInputs(nil), nil)
	if err != nil {
		t.Fatalf("Verify() = %v", err)
	}
	if len(r.checks) != 4 {
		t.Fatalf("got %d checks, want 4", len(r.checks))
	}
	for _, c := range r.checks {
		if c.Status != providers.Missing || !strings.Contains(c.Evidence, "Client is not authorized") || !strings.Contains(c.Fix, "authorize application") {
			t.Errorf("check %+v, want missing with the token endpoint's answer and a fix", c)
		}
	}
}

func TestGrantRestoredIsSeenOnRecheck(t *testing.T) {
	f := start(t, auth0test.Options{Tenants: []auth0test.Tenant{tenant([]string{"read:users", "read:logs_users", "read:guardian_factors"})}}, providers.Env{})
	ctx := context.Background()
	m := method(t, f.p, auth0.MethodClientSecret)
	conn, secret, err := f.p.Connect(ctx, m, secretInputs(nil), flows.Interaction{})
	if err != nil {
		t.Fatal(err)
	}
	r := &reporter{}
	if err := f.p.Verify(ctx, conn, providers.Credential{Secret: secret}, r); err != nil || r.status("read:logs").Status != providers.Missing {
		t.Fatalf("first Verify: %v, read:logs %s", err, r.status("read:logs").Status)
	}
	if err := f.emu().SetGrant(auth0test.DemoDomain, auth0test.DemoClientID, "https://"+auth0test.DemoDomain+"/api/v2/", collect); err != nil {
		t.Fatal(err)
	}
	r = &reporter{}
	if err := f.p.Verify(ctx, conn, providers.Credential{Secret: secret}, r); err != nil || r.status("read:logs").Status != providers.Granted {
		t.Errorf("after the grant, Verify: %v, read:logs %s (%s)", err, r.status("read:logs").Status, r.status("read:logs").Evidence)
	}
}

func TestCustomDomainUsesCanonicalAudience(t *testing.T) {
	tn := tenant(collect)
	f := start(t, auth0test.Options{Tenants: []auth0test.Tenant{tn}}, providers.Env{})
	r, err := connectAndVerify(t, f, method(t, f.p, auth0.MethodClientSecret),
		secretInputs(map[string]string{"custom_domain": auth0test.DemoCustomDomain}), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range r.checks {
		if c.Status != providers.Granted {
			t.Errorf("%s = %s (%s)", c.Permission, c.Status, c.Evidence)
		}
	}
	if f.emu().Hits("/api/v2/guardian/factors") != 1 {
		t.Errorf("guardian probe hits = %d, want 1", f.emu().Hits("/api/v2/guardian/factors"))
	}
}

func TestCustomDomainInDomainFieldIsRefused(t *testing.T) {
	cat, _ := catalog.Default()
	p, _ := auth0.New(cat, providers.Env{})
	m := method(t, p, auth0.MethodClientSecret)
	in := secretInputs(nil)
	in.Values["domain"] = "login.acme.com"
	err := m.Validate(in)
	var ie *providers.InputError
	if !errors.As(err, &ie) || ie.Key != "domain" || !strings.Contains(err.Error(), "custom_domain") {
		t.Errorf("Validate(custom domain as domain) = %v", err)
	}
}

func pkcs8(t *testing.T, k any) string {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func TestPrivateKeyJWT(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	otherKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tests := []struct {
		name    string
		key     string
		alg     string
		wantErr string
	}{
		{"RS256", pkcs8(t, rsaKey), "", ""},
		{"PS256", pkcs8(t, rsaKey), "ps256", ""},
		{"the wrong key", pkcs8(t, otherKey), "", "signature verification failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tn := auth0test.Demo(collect, rsaKey.Public(), ecKey.Public())
			f := start(t, auth0test.Options{Tenants: []auth0test.Tenant{tn}}, providers.Env{})
			m := method(t, f.p, auth0.MethodPrivateKeyJWT)
			in := providers.Inputs{
				Values: map[string]string{"domain": auth0test.DemoDomain, "client_id": auth0test.DemoClientID, "signing_alg": tt.alg},
				Secret: flows.NewSecret(map[string]string{"private_key": tt.key}),
			}
			if err := m.Validate(in); err != nil {
				t.Fatal(err)
			}
			conn, secret, err := f.p.Connect(context.Background(), m, in, flows.Interaction{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Connect() = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "PRIVATE KEY") {
					t.Errorf("error quotes the key: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Connect() = %v", err)
			}
			r := &reporter{}
			if err := f.p.Verify(context.Background(), conn, providers.Credential{Secret: secret}, r); err != nil {
				t.Fatal(err)
			}
			if got := r.status("read:logs").Status; got != providers.Granted {
				t.Errorf("read:logs = %s", got)
			}
		})
	}
}

// fakeClock advances only when the provider sleeps.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return nil
}

func TestRateLimitedProbesWaitAndWarn(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	opts := auth0test.Options{Tenants: []auth0test.Tenant{tenant(collect)}, RateLimit: 2, RateWindow: 10 * time.Second, Now: clock.Now}
	f := start(t, opts, providers.Env{Clock: flows.Clock{Now: clock.Now, Sleep: clock.Sleep}})
	r, err := connectAndVerify(t, f, method(t, f.p, auth0.MethodClientSecret), secretInputs(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range r.checks {
		if c.Status != providers.Granted {
			t.Errorf("%s = %s (%s)", c.Permission, c.Status, c.Evidence)
		}
	}
	if len(r.warnings) == 0 || !strings.Contains(r.warnings[0], "rate-limited") {
		t.Errorf("warnings = %q, want a rate-limit warning", r.warnings)
	}
}

func TestRateLimitBeyondPatienceIsAnError(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	opts := auth0test.Options{Tenants: []auth0test.Tenant{tenant(collect)}, RateLimit: 1, RateWindow: time.Hour, Now: clock.Now}
	f := start(t, opts, providers.Env{Clock: flows.Clock{Now: clock.Now, Sleep: clock.Sleep}})
	r, err := connectAndVerify(t, f, method(t, f.p, auth0.MethodClientSecret), secretInputs(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	errs := 0
	for _, c := range r.checks {
		if c.Status == providers.Error {
			errs++
			if !strings.Contains(c.Evidence, "429") {
				t.Errorf("%s evidence %q lacks the 429", c.Permission, c.Evidence)
			}
		}
	}
	if errs < 2 {
		t.Errorf("%d error checks, want the rate-limited probes as errors: %+v", errs, r.checks)
	}
}

func TestVerifyWithUnreachableHostIsNoVerdict(t *testing.T) {
	cat, _ := catalog.Default()
	p, _ := auth0.New(cat, providers.Env{HTTP: &http.Client{Timeout: 5 * time.Second}})
	conn := providers.Connection{Provider: "auth0", Method: auth0.MethodClientSecret,
		Settings: map[string]string{"domain": auth0test.DemoDomain, "custom_domain": "localhost:1", "client_id": auth0test.DemoClientID}}
	err := p.Verify(context.Background(), conn, providers.Credential{Secret: flows.NewSecret(map[string]string{"client_secret": canary})}, &reporter{})
	var ne *flows.NetworkError
	if !errors.As(err, &ne) || !strings.Contains(err.Error(), "cannot reach localhost:1: connection refused") {
		t.Errorf("Verify(unreachable) = %v, want a NetworkError", err)
	}
}

// BenchmarkVerify measures one whole verification against the emulator
// over loopback TLS: a token, then four concurrent probes.
func BenchmarkVerify(b *testing.B) {
	cat, _ := catalog.Default()
	sb, err := sandbox.Start(cat, sandbox.Options{Emulators: []sandbox.Entry{{Provider: auth0.ID,
		New: auth0test.EmulatorWith(auth0test.Options{Tenants: []auth0test.Tenant{auth0test.Demo(collect)}, RateLimit: 1 << 30})}}})
	if err != nil {
		b.Fatal(err)
	}
	defer sb.Close()
	p, _ := auth0.New(cat, providers.Env{HTTP: sb.HTTPClient()})
	conn := providers.Connection{Provider: "auth0", Method: auth0.MethodClientSecret, Capabilities: []string{"collect"},
		Settings: map[string]string{"domain": auth0test.DemoDomain, "client_id": auth0test.DemoClientID}}
	secret := flows.NewSecret(map[string]string{"client_secret": auth0test.DemoClientSecret})
	for b.Loop() {
		r := &reporter{}
		if err := p.Verify(context.Background(), conn, providers.Credential{Secret: secret}, r); err != nil || len(r.checks) != 4 {
			b.Fatalf("Verify: %v, %d checks", err, len(r.checks))
		}
	}
}
