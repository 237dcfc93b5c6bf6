package duo_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/providers/duo"
	"github.com/tetherdev/tether/providers/duo/duotest"
	"github.com/tetherdev/tether/providers/sandbox"
)

type fixture struct {
	p   *duo.Provider
	sb  *sandbox.Sandbox
	cat *catalog.Catalog
}

func (f fixture) emu() *duotest.Emulator {
	e, _ := f.sb.Emulator(duo.ID)
	return e.Emulator.(*duotest.Emulator)
}

func start(t *testing.T, opts duotest.Options, deny []string, env providers.Env) fixture {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.Start(cat, sandbox.Options{Deny: map[string][]string{duo.ID: deny},
		Emulators: []sandbox.Entry{{Provider: duo.ID, New: duotest.EmulatorWith(opts)}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	env.HTTP = sb.HTTPClient()
	p, err := duo.New(cat, env)
	if err != nil {
		t.Fatal(err)
	}
	return fixture{p: p, sb: sb, cat: cat}
}

func demoInputs(skey string) providers.Inputs {
	return providers.Inputs{
		Values: map[string]string{duo.InputAPIHostname: duotest.DemoHost, duo.InputIntegrationKey: duotest.DemoIKey},
		Secret: flows.NewSecret(map[string]string{duo.InputSecretKey: skey}),
	}
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

func (r *reporter) check(perm string) providers.Check {
	for _, c := range r.checks {
		if c.Permission == perm {
			return c
		}
	}
	return providers.Check{}
}

func method(t *testing.T, p providers.Provider) providers.Method {
	m, err := providers.FindMethod(p, duo.MethodAdminAPI)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func connect(t *testing.T, f fixture, in providers.Inputs) (providers.Connection, flows.Secret) {
	t.Helper()
	m := method(t, f.p)
	if err := m.Validate(in); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
	conn, secret, err := f.p.Connect(context.Background(), m, in, flows.Interaction{})
	if err != nil {
		t.Fatalf("Connect() = %v", err)
	}
	return conn, secret
}

func verify(t *testing.T, f fixture, conn providers.Connection, secret flows.Secret, caps ...string) *reporter {
	t.Helper()
	conn.Capabilities = caps
	r := &reporter{}
	if err := f.p.Verify(context.Background(), conn, providers.Credential{Secret: secret}, r); err != nil {
		t.Fatalf("Verify() = %v", err)
	}
	return r
}

// TestVerifyStatuses: every grant denied in the sandbox is missing with
// a fix on the application's page, and nothing else changes; write
// resource is unknown when Reset Factors needs it, whatever is ticked.
func TestVerifyStatuses(t *testing.T) {
	const (
		log, res, write = "Grant read log", "Grant read resource", "Grant write resource"
	)
	tests := []struct {
		name string
		deny []string
		caps []string
		want map[string]providers.Status
	}{
		{"everything granted", nil, nil, map[string]providers.Status{log: providers.Granted, res: providers.Granted}},
		{"read log denied", []string{log}, nil, map[string]providers.Status{log: providers.Missing, res: providers.Granted}},
		{"read resource denied", []string{res}, nil, map[string]providers.Status{log: providers.Granted, res: providers.Missing}},
		{"both denied", []string{log, res}, nil, map[string]providers.Status{log: providers.Missing, res: providers.Missing}},
		{"reset factors", nil, []string{"reset-factors"}, map[string]providers.Status{log: providers.Granted, res: providers.Granted, write: providers.Unknown}},
		{"reset factors, write denied", []string{write}, []string{"reset-factors"}, map[string]providers.Status{log: providers.Granted, res: providers.Granted, write: providers.Unknown}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := start(t, duotest.Options{}, tt.deny, providers.Env{})
			conn, secret := connect(t, f, demoInputs(duotest.DemoSKey))
			r := verify(t, f, conn, secret, tt.caps...)
			if len(r.checks) != len(tt.want) {
				t.Errorf("%d checks, want %d: %+v", len(r.checks), len(tt.want), r.checks)
			}
			for perm, want := range tt.want {
				c := r.check(perm)
				if c.Status != want {
					t.Errorf("%s = %s (%s), want %s", perm, c.Status, c.Evidence, want)
				}
				if want == providers.Missing && (!strings.Contains(c.Fix, "tick "+perm) || !strings.HasPrefix(c.FixURL, "https://admin-7e7e7e7e.duosecurity.com/applications/"+duotest.DemoIKey)) {
					t.Errorf("%s missing without the console fix: %+v", perm, c)
				}
				if want == providers.Missing && !strings.Contains(c.Evidence, "403 40301") {
					t.Errorf("%s missing without Duo's 40301 as evidence: %s", perm, c.Evidence)
				}
				if want == providers.Unknown && (!strings.Contains(c.Evidence, "no write") || !strings.Contains(c.Fix, "confirm")) {
					t.Errorf("%s unknown without why and how to confirm: %+v", perm, c)
				}
			}
			unseen := slices.ContainsFunc(r.warnings, func(w string) bool {
				return strings.Contains(w, "Grant write resource and Grant applications cannot be seen")
			})
			if unseen != (len(tt.caps) == 0) {
				t.Errorf("warnings %q: want write resource named as unseen exactly when it is not needed", r.warnings)
			}
		})
	}
}

// TestExcessGrants: a grant no capability needs, that a read can show,
// is an excess check with the fix to untick it.
func TestExcessGrants(t *testing.T) {
	f := start(t, duotest.Options{}, nil, providers.Env{})
	conn, secret := connect(t, f, demoInputs(duotest.DemoSKey))
	grants, _ := f.emu().GrantsOf(duotest.DemoHost, duotest.DemoIKey)
	f.emu().SetGrants(duotest.DemoHost, duotest.DemoIKey, append(grants, duotest.GrantInfo, duotest.GrantSettings))
	r := verify(t, f, conn, secret)
	for _, name := range []string{"Grant read information", "Grant settings"} {
		if c := r.check(name); c.Status != providers.Excess || !strings.Contains(c.Fix, "untick "+name) || !strings.Contains(c.Evidence, "→ 200") {
			t.Errorf("%s: %+v, want excess with the probe as evidence and a fix to untick it", name, c)
		}
	}
	if c := r.check("Grant administrators"); c.Status != "" {
		t.Errorf("Grant administrators is not ticked, yet checked: %+v", c)
	}
	if c := r.check("Grant read log"); c.Status != providers.Granted {
		t.Errorf("excess grants changed the verdict of Grant read log: %+v", c)
	}
}

// TestWrongSecretKey: a request signed with the wrong key is refused
// with 40103, and setup says the secret key is wrong.
func TestWrongSecretKey(t *testing.T) {
	f := start(t, duotest.Options{}, nil, providers.Env{})
	wrong := strings.Repeat("x", 40)
	_, _, err := f.p.Connect(context.Background(), method(t, f.p), demoInputs(wrong), flows.Interaction{})
	var si *providers.SignInError
	if !errors.As(err, &si) || !strings.Contains(si.Reason, "secret key is not the one of integration key "+duotest.DemoIKey) ||
		!strings.Contains(si.Reason, "401 40103") || !strings.Contains(si.Fix, "copy the secret key again") {
		t.Fatalf("Connect(wrong key) = %v, want a sign-in error about the secret key", err)
	}
	if strings.Contains(err.Error(), wrong) {
		t.Errorf("the error quotes the key: %v", err)
	}
}

// TestUnknownIntegrationKey: keys the account does not know are refused
// with 40102, and setup names the key and the host.
func TestUnknownIntegrationKey(t *testing.T) {
	f := start(t, duotest.Options{}, nil, providers.Env{})
	in := demoInputs(duotest.DemoSKey)
	in.Values[duo.InputIntegrationKey] = "DIAAAAAAAAAAAAAAAAAA"
	_, _, err := f.p.Connect(context.Background(), method(t, f.p), in, flows.Interaction{})
	var si *providers.SignInError
	if !errors.As(err, &si) || !strings.Contains(si.Reason, "401 40102") || !strings.Contains(si.Fix, "API hostname") {
		t.Fatalf("Connect(unknown ikey) = %v, want a sign-in error naming the key and host", err)
	}
}

// TestClockSkew: with this machine's clock ten minutes off Duo's, the
// emulator refuses the Date with 40105, and tether says clock skew with
// the offset measured from Duo's Date, in setup and in verify.
func TestClockSkew(t *testing.T) {
	f := start(t, duotest.Options{ClockOffset: 10 * time.Minute}, nil, providers.Env{})
	_, _, err := f.p.Connect(context.Background(), method(t, f.p), demoInputs(duotest.DemoSKey), flows.Interaction{})
	var si *providers.SignInError
	if !errors.As(err, &si) || !strings.Contains(si.Reason, "clock skew: this machine's clock is 10m0s behind Duo's") ||
		!strings.Contains(si.Reason, "40105") || !strings.Contains(si.Fix, "NTP") {
		t.Fatalf("Connect(skewed) = %v, want clock skew with the offset", err)
	}
	f.emu().SetClockOffset(0)
	conn, secret := connect(t, f, demoInputs(duotest.DemoSKey))
	f.emu().SetClockOffset(3 * time.Minute)
	if r := verify(t, f, conn, secret); r.check("Grant read log").Status != providers.Granted ||
		!slices.ContainsFunc(r.warnings, func(w string) bool { return strings.Contains(w, "3m0s behind Duo's") }) {
		t.Errorf("a clock 3 minutes off, still accepted: %+v %q, want granted with a warning", r.checks, r.warnings)
	}
	f.emu().SetClockOffset(-10 * time.Minute)
	r := verify(t, f, conn, secret)
	if slices.ContainsFunc(r.warnings, func(w string) bool { return strings.Contains(w, "could not tell") }) {
		t.Errorf("warnings %q: the refused excess reads repeat what the checks say", r.warnings)
	}
	for _, c := range r.checks {
		if c.Status != providers.Error || !strings.Contains(c.Evidence, "10m0s ahead of Duo's") || !strings.Contains(c.Fix, "NTP") {
			t.Errorf("%s under skew: %+v, want an error saying clock skew with the offset", c.Permission, c)
		}
	}
}

// fakeClock drives both tether's waits and the emulator's clock.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) clock() flows.Clock {
	return flows.Clock{Now: c.Now, Sleep: func(ctx context.Context, d time.Duration) error {
		c.mu.Lock()
		c.waits = append(c.waits, d)
		c.now = c.now.Add(d)
		c.mu.Unlock()
		return ctx.Err()
	}}
}

// TestRateLimitRetried: Duo limits each log on its own, a couple of
// requests a minute: a rate-limited authentication log is proven by the
// administrator log instead, and that one's 429 42901 (with no
// Retry-After) is retried after Duo's own backoff, 1 s, 2 s, 4 s, each
// attempt signed anew; a limit that outlasts it is no verdict, never
// missing.
func TestRateLimitRetried(t *testing.T) {
	clk := &fakeClock{now: time.Now().Truncate(time.Minute)}
	t0 := clk.Now()
	f := start(t, duotest.Options{Now: clk.Now, LogRateLimit: 1}, nil, providers.Env{Clock: clk.clock()})
	conn, secret := connect(t, f, demoInputs(duotest.DemoSKey))
	logCheck := func() (providers.Check, []time.Duration, []string) {
		t.Helper()
		clk.mu.Lock()
		clk.waits = nil
		clk.mu.Unlock()
		r := verify(t, f, conn, secret)
		clk.mu.Lock()
		defer clk.mu.Unlock()
		return r.check("Grant read log"), clk.waits, r.warnings
	}
	if c, waits, _ := logCheck(); c.Status != providers.Granted || !strings.HasPrefix(c.Evidence, "GET /admin/v2/logs/authentication") || len(waits) != 0 {
		t.Fatalf("first verify: %+v, waits %v", c, waits)
	}
	c, waits, _ := logCheck()
	if c.Status != providers.Granted || !strings.HasPrefix(c.Evidence, "GET /admin/v1/logs/administrator") ||
		!strings.Contains(c.Evidence, "authentication?") || !strings.Contains(c.Evidence, "429 42901") || len(waits) != 0 {
		t.Errorf("authentication log rate-limited: %+v, waits %v; want granted by the administrator log at once", c, waits)
	}
	c, waits, warnings := logCheck()
	if c.Status != providers.Error || !strings.Contains(c.Evidence, "administrator") || !strings.Contains(c.Evidence, "429 42901") {
		t.Errorf("both logs rate-limited: %+v, want no verdict with Duo's 42901", c)
	}
	if fmt.Sprint(waits) != "[1s 2s 4s]" {
		t.Errorf("waits = %v, want Duo's backoff 1s 2s 4s", waits)
	}
	if !slices.ContainsFunc(warnings, func(w string) bool { return strings.Contains(w, "rate-limited") }) {
		t.Errorf("warnings %q: want the rate limit named", warnings)
	}
	// Half a second before both logs' minute is up, Duo's first wait of
	// a second crosses it.
	clk.mu.Lock()
	clk.now = t0.Add(59*time.Second + 500*time.Millisecond)
	clk.mu.Unlock()
	c, waits, _ = logCheck()
	if c.Status != providers.Granted || !strings.Contains(c.Evidence, "2 attempts") || fmt.Sprint(waits) != "[1s]" {
		t.Errorf("a limit that ends within the backoff: %+v, waits %v; want granted on the second attempt after 1s", c, waits)
	}
}

func TestNoAccessTokenButExport(t *testing.T) {
	f := start(t, duotest.Options{}, nil, providers.Env{})
	if _, ok := any(f.p).(providers.Tokener); ok {
		t.Error("Duo has no access token, yet the provider is a Tokener")
	}
	conn, secret := connect(t, f, demoInputs(duotest.DemoSKey))
	fields, err := f.p.Export(conn, secret)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, fl := range fields {
		got = append(got, fmt.Sprintf("%s=%s secret=%v", fl.EnvVar(duo.ID), fl.Value, fl.Secret))
	}
	want := []string{"TETHER_DUO_API_HOSTNAME=" + duotest.DemoHost + " secret=false",
		"TETHER_DUO_INTEGRATION_KEY=" + duotest.DemoIKey + " secret=false",
		"TETHER_DUO_SECRET_KEY=" + duotest.DemoSKey + " secret=true"}
	if !slices.Equal(got, want) {
		t.Errorf("Export = %q, want %q", got, want)
	}
	if _, err := f.p.Export(conn, flows.NewSecret(nil)); err == nil {
		t.Error("Export without a secret key succeeded")
	}
}

func TestStepsDeepLinks(t *testing.T) {
	f := start(t, duotest.Options{}, nil, providers.Env{})
	steps := f.p.Steps(method(t, f.p), providers.Inputs{Values: map[string]string{
		duo.InputAPIHostname: "api-1a2b3c4d.duofederal.com", duo.InputIntegrationKey: "DIWJ8X6AEYOR5OMC6TQ1"}})
	if len(steps) != 3 || steps[0].URL != "https://admin-1a2b3c4d.duofederal.com/applications" ||
		steps[1].URL != "https://admin-1a2b3c4d.duofederal.com/applications/DIWJ8X6AEYOR5OMC6TQ1" {
		t.Errorf("Steps = %+v, want links into the account's Admin Panel", steps)
	}
	if !strings.Contains(steps[1].Detail, "Grant read log and Grant read resource") || !strings.Contains(steps[1].Detail, "unticked") {
		t.Errorf("Steps[1] = %q, want what to tick and what to leave unticked", steps[1].Detail)
	}
	if s := f.p.Steps(method(t, f.p), providers.Inputs{}); s[0].URL != "https://admin.duosecurity.com/" {
		t.Errorf("Steps without a host link %q", s[0].URL)
	}
}

// TestCriticalPath: Duo has no sign-in, and its probes wait for nothing.
func TestCriticalPath(t *testing.T) {
	f := start(t, duotest.Options{}, nil, providers.Env{})
	if got := f.p.CriticalPath(providers.Connection{}); got != 1 {
		t.Errorf("CriticalPath = %d, want 1", got)
	}
}

// TestSequentialSameVerdicts: probing one request after another (the
// benchmark's baseline) reaches the same checks as probing at once.
func TestSequentialSameVerdicts(t *testing.T) {
	summary := func(env providers.Env) string {
		f := start(t, duotest.Options{}, []string{"Grant read log"}, env)
		conn, secret := connect(t, f, demoInputs(duotest.DemoSKey))
		grants, _ := f.emu().GrantsOf(duotest.DemoHost, duotest.DemoIKey)
		f.emu().SetGrants(duotest.DemoHost, duotest.DemoIKey, append(grants, duotest.GrantAdmins))
		var out []string
		for _, c := range verify(t, f, conn, secret, "reset-factors").checks {
			out = append(out, c.Permission+"="+string(c.Status))
		}
		slices.Sort(out)
		return strings.Join(out, " ")
	}
	want := "Grant administrators=excess Grant read log=missing Grant read resource=granted Grant write resource=unknown"
	if got := summary(providers.Env{}); got != want {
		t.Errorf("concurrent: %s, want %s", got, want)
	}
	if got := summary(providers.Env{Sequential: true}); got != want {
		t.Errorf("sequential: %s, want %s", got, want)
	}
}
