package okta_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/providers/okta"
	"github.com/tetherdev/tether/providers/okta/oktatest"
	"github.com/tetherdev/tether/providers/sandbox"
)

// canary is a recognisable fake SSWS token that must never leak.
const canary = "00CANARYoktaSSWSdoNotLeak0000000000000001"

var allCaps = []string{"collect", "clear-sessions", "reset-factors", "suspend-users"}

type fixture struct {
	p   *okta.Provider
	sb  *sandbox.Sandbox
	cat *catalog.Catalog
}

func (f fixture) emu() *oktatest.Emulator {
	e, _ := f.sb.Emulator(okta.ID)
	return e.Emulator.(*oktatest.Emulator)
}

// start runs the sandbox with the given orgs (the demo org when none)
// and the provider against it.
func start(t *testing.T, opts *oktatest.Options, env providers.Env) fixture {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	entry := sandbox.Entry{Provider: okta.ID, New: oktatest.NewEmulator}
	if opts != nil {
		entry.New = oktatest.EmulatorWith(*opts)
	}
	sb, err := sandbox.Start(cat, sandbox.Options{Emulators: []sandbox.Entry{entry}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	env.HTTP = sb.HTTPClient()
	p, err := okta.New(cat, env)
	if err != nil {
		t.Fatal(err)
	}
	return fixture{p: p, sb: sb, cat: cat}
}

// demoOrg is the demo org with the canary as the admin's token.
func demoOrg(mutate ...func(*oktatest.Org)) oktatest.Org {
	o := oktatest.Demo([]string{"READ_ONLY_ADMIN"}, []string{"okta.users.lifecycle.clearSessions",
		"okta.users.credentials.resetFactors", "okta.users.lifecycle.suspend", "okta.users.lifecycle.unsuspend"})
	o.Tokens[0].Value = canary
	for _, m := range mutate {
		m(&o)
	}
	return o
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

func (r *reporter) find(label string) providers.Check {
	for _, c := range r.checks {
		if c.Label() == label {
			return c
		}
	}
	return providers.Check{}
}

func tokenInputs(org, token string) providers.Inputs {
	return providers.Inputs{Values: map[string]string{okta.InputOrg: org},
		Secret: flows.NewSecret(map[string]string{okta.InputToken: token})}
}

func method(t *testing.T, p providers.Provider, id string) providers.Method {
	t.Helper()
	m, err := providers.FindMethod(p, id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func connect(t *testing.T, f fixture, m providers.Method, in providers.Inputs, events flows.Events) (providers.Connection, flows.Secret, error) {
	t.Helper()
	if err := m.Validate(in); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
	return f.p.Connect(providers.WithCapabilities(context.Background(), allCaps), m, in, flows.Interaction{Events: events, Ask: yes})
}

// yes answers every question yes.
func yes(context.Context, flows.Question) (int, error) { return 0, nil }

func verify(t *testing.T, f fixture, conn providers.Connection, secret flows.Secret, caps []string) (*reporter, error) {
	t.Helper()
	conn.Capabilities = caps
	r := &reporter{}
	return r, f.p.Verify(context.Background(), conn, providers.Credential{Secret: secret}, r)
}

// labels are every check's label for caps: a part of READ on /api/v1/*
// each, and each remediation permission.
func labels(f fixture, caps []string) []string {
	cp, _ := f.cat.Provider(okta.ID)
	var out []string
	for _, n := range cp.Needs(caps) {
		if len(n.Permission.Parts) == 0 {
			out = append(out, n.Permission.Name)
		}
		for _, part := range n.Permission.Parts {
			out = append(out, n.Permission.Name+" · "+part)
		}
	}
	return out
}

// TestSandboxDemoGrantsAndDenials: the demo org grants everything; each
// permission withheld with --sandbox-deny is reported missing with a
// fix, and nothing else changes.
func TestSandboxDemoGrantsAndDenials(t *testing.T) {
	cat, _ := catalog.Default()
	cp, _ := cat.Provider(okta.ID)
	for _, deny := range append([]string{""}, func() []string {
		var names []string
		for _, p := range cp.Permissions {
			names = append(names, p.Name)
		}
		return names
	}()...) {
		t.Run("deny "+deny, func(t *testing.T) {
			opts := sandbox.Options{Emulators: []sandbox.Entry{{Provider: okta.ID, New: oktatest.NewEmulator}}}
			if deny != "" {
				opts.Deny = map[string][]string{okta.ID: {deny}}
			}
			sb, err := sandbox.Start(cat, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer sb.Close()
			p, _ := okta.New(cat, providers.Env{HTTP: sb.HTTPClient()})
			f := fixture{p: p, sb: sb, cat: cat}
			e, _ := sb.Emulator(okta.ID)
			// The demo org grants what a default setup needs; the demo
			// admin ticks the rest, as for a setup that enables it all.
			if err := sb.Tick(cat, okta.ID, allCaps); err != nil {
				t.Fatal(err)
			}
			for _, m := range p.Methods() {
				t.Run(m.ID, func(t *testing.T) { checkDemo(t, f, m, e.Demo, deny) })
			}
		})
	}
}

// checkDemo sets up method m with the sandbox's demo inputs and checks
// that only what deny names is missing.
func checkDemo(t *testing.T, f fixture, m providers.Method, demo map[string]string, deny string) {
	in := providers.Inputs{Values: map[string]string{}, Secret: flows.NewSecret(map[string]string{})}
	secrets := map[string]string{}
	for _, input := range m.Inputs {
		switch {
		case demo[input.Key] == "":
		case input.Secret:
			secrets[input.Key] = demo[input.Key]
		default:
			in.Values[input.Key] = demo[input.Key]
		}
	}
	in.Secret = flows.NewSecret(secrets)
	conn, secret, err := connect(t, f, m, in, nil)
	if err != nil {
		t.Fatalf("Connect() = %v", err)
	}
	r, err := verify(t, f, conn, secret, allCaps)
	if err != nil {
		t.Fatalf("Verify() = %v", err)
	}
	want := labels(f, allCaps)
	if len(r.checks) != len(want) {
		t.Fatalf("%d checks, want %d: %+v", len(r.checks), len(want), r.checks)
	}
	for _, l := range want {
		c := r.find(l)
		denied := deny != "" && (l == deny || strings.HasPrefix(l, deny+" · "))
		switch {
		case denied && (c.Status != providers.Missing || c.Fix == "" || !strings.HasPrefix(c.FixURL, "https://tether-demo-admin.okta.com/admin/")):
			t.Errorf("%s: %+v, want missing with a fix", l, c)
		case !denied && (c.Status != providers.Granted || c.Fix != "" || c.Evidence == ""):
			t.Errorf("%s: %+v, want granted with evidence", l, c)
		}
	}
}

func TestConnect(t *testing.T) {
	f := start(t, &oktatest.Options{Orgs: []oktatest.Org{demoOrg()}}, providers.Env{})
	m := method(t, f.p, okta.MethodAPIToken)
	tests := []struct {
		name, org, token string
		wantErr          string
		wantNote         string
	}{
		{"org domain", "tether-demo.okta.com", canary, "", ""},
		{"admin console URL is corrected", "https://tether-demo-admin.okta.com/admin/dashboard", canary, "", "Admin Console"},
		{"custom domain maps to the org", "login.tether-demo.test", canary, "", "custom domain of tether-demo.okta.com"},
		{"unknown token", "tether-demo.okta.com", "00" + strings.Repeat("x", 40), "unknown, expired (30 days unused) or revoked", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var events []string
			conn, secret, err := connect(t, f, m, tokenInputs(tt.org, tt.token), func(e flows.Event) {
				if p, ok := e.(flows.Progress); ok {
					events = append(events, p.Message)
				}
			})
			if tt.wantErr != "" {
				var si *providers.SignInError
				if !errors.As(err, &si) || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(si.Fix, "https://tether-demo-admin.okta.com/admin/access/api/tokens") {
					t.Fatalf("Connect() = %v, want a sign-in error with %q and the tokens page", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Connect() = %v", err)
			}
			if conn.Tenant != oktatest.DemoDomain || conn.Settings[okta.InputOrg] != oktatest.DemoDomain || secret.Get(okta.InputToken) != canary {
				t.Errorf("Connect() = %+v", conn)
			}
			if d := f.p.Describe(conn); d.Principal != "API token of "+oktatest.DemoAdminLogin {
				t.Errorf("Describe() = %+v, want the token's owner named", d)
			}
			all := strings.Join(events, "\n")
			if !strings.Contains(all, "acts as "+oktatest.DemoAdminLogin) || (tt.wantNote != "" && !strings.Contains(all, tt.wantNote)) {
				t.Errorf("events:\n%s\nwant the owner named and %q", all, tt.wantNote)
			}
		})
	}
}

func TestVerifyRoles(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*oktatest.Org)
		want   map[string]providers.Status
		warn   string
	}{
		{"super administrator owner: granted, with a warning", func(o *oktatest.Org) {
			o.Assignments[oktatest.DemoAdminID] = []oktatest.Assignment{{ID: "ra1x", Type: "SUPER_ADMIN"}}
		}, map[string]providers.Status{"/api/v1/* · system log": providers.Granted, "okta.users.lifecycle.suspend": providers.Granted}, "Super Administrator"},
		{"custom role bound to one group only", func(o *oktatest.Org) {
			o.ResourceSets[0].Resources = []string{"https://tether-demo.okta.com/api/v1/groups/00g1engineering0001"}
		}, map[string]providers.Status{"okta.users.lifecycle.suspend": providers.Missing, "/api/v1/* · users": providers.Granted}, ""},
		{"custom role only: no System Log", func(o *oktatest.Org) {
			o.Assignments[oktatest.DemoAdminID] = o.Assignments[oktatest.DemoAdminID][1:]
			o.CustomRoles[0].Permissions = append(o.CustomRoles[0].Permissions, "okta.users.read", "okta.groups.read")
		}, map[string]providers.Status{"/api/v1/* · system log": providers.Missing, "/api/v1/* · users": providers.Granted,
			"/api/v1/* · groups": providers.Granted, "okta.users.lifecycle.clearSessions": providers.Granted}, ""},
		{"broader permission includes the action", func(o *oktatest.Org) {
			o.CustomRoles[0].Permissions = []string{"okta.users.lifecycle.manage"}
		}, map[string]providers.Status{"okta.users.lifecycle.suspend": providers.Granted, "okta.users.credentials.resetFactors": providers.Missing}, ""},
		{"help desk administrator cannot be proven", func(o *oktatest.Org) {
			o.Assignments[oktatest.DemoAdminID] = []oktatest.Assignment{{ID: "ra1x", Type: "READ_ONLY_ADMIN"}, {ID: "ra1y", Type: "HELP_DESK_ADMIN"}}
		}, map[string]providers.Status{"okta.users.lifecycle.clearSessions": providers.Unknown, "/api/v1/* · apps": providers.Granted}, ""},
		{"owner who is not an admin", func(o *oktatest.Org) {
			delete(o.Assignments, oktatest.DemoAdminID)
		}, map[string]providers.Status{"/api/v1/* · users": providers.Missing, "/api/v1/* · system log": providers.Missing,
			"okta.users.lifecycle.clearSessions": providers.Unknown}, ""},
		{"classic engine org has no authenticators", func(o *oktatest.Org) { o.Classic = true },
			map[string]providers.Status{"/api/v1/* · authenticators": providers.Unknown, "/api/v1/* · policies": providers.Granted}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := start(t, &oktatest.Options{Orgs: []oktatest.Org{demoOrg(tt.mutate)}}, providers.Env{})
			conn, secret, err := connect(t, f, method(t, f.p, okta.MethodAPIToken), tokenInputs(oktatest.DemoDomain, canary), nil)
			if err != nil {
				t.Fatalf("Connect() = %v", err)
			}
			r, err := verify(t, f, conn, secret, allCaps)
			if err != nil {
				t.Fatalf("Verify() = %v", err)
			}
			for l, want := range tt.want {
				if c := r.find(l); c.Status != want || (want != providers.Granted && c.Fix == "") {
					t.Errorf("%s: %+v, want %s", l, c, want)
				}
			}
			warned := strings.Join(r.warnings, "\n")
			if tt.warn != "" && !strings.Contains(warned, tt.warn) || tt.warn == "" && strings.Contains(warned, "Super Administrator") {
				t.Errorf("warnings %q, want %q", r.warnings, tt.warn)
			}
		})
	}
}

// TestSuperAdminWarnedForCollectOnly: the owner's roles are read even when
// no remediation is enabled, to warn about a Super Administrator.
func TestSuperAdminWarnedForCollectOnly(t *testing.T) {
	f := start(t, &oktatest.Options{Orgs: []oktatest.Org{demoOrg(func(o *oktatest.Org) {
		o.Assignments[oktatest.DemoAdminID] = []oktatest.Assignment{{ID: "ra1x", Type: "SUPER_ADMIN"}}
	})}}, providers.Env{})
	conn, secret, err := connect(t, f, method(t, f.p, okta.MethodAPIToken), tokenInputs(oktatest.DemoDomain, canary), nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := verify(t, f, conn, secret, []string{"collect"})
	if err != nil || len(r.checks) != 8 || !strings.Contains(strings.Join(r.warnings, "\n"), "Super Administrator") {
		t.Fatalf("Verify() = %v, %d checks, warnings %q", err, len(r.checks), r.warnings)
	}
}

// TestRevokedTokenIsASignInError: a token revoked after setup stops the
// verification with the fix, not with a check per area.
func TestRevokedTokenIsASignInError(t *testing.T) {
	f := start(t, &oktatest.Options{Orgs: []oktatest.Org{demoOrg()}}, providers.Env{})
	conn, secret, err := connect(t, f, method(t, f.p, okta.MethodAPIToken), tokenInputs(oktatest.DemoDomain, canary), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.emu().Update(oktatest.DemoDomain, func(o *oktatest.Org) { o.Tokens = nil }); err != nil {
		t.Fatal(err)
	}
	r, err := verify(t, f, conn, secret, allCaps)
	var si *providers.SignInError
	if !errors.As(err, &si) || !strings.Contains(si.Reason, "E0000011") || len(r.checks) != 0 {
		t.Fatalf("Verify() = %v with %d checks, want the E0000011 sign-in error", err, len(r.checks))
	}
}

// TestRateLimitResetHeader: a 429 is waited out until X-Rate-Limit-Reset
// (Okta sends no Retry-After) on the injected clock, then retried.
func TestRateLimitResetHeader(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	var waited []time.Duration
	clock := flows.Clock{
		Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now },
		Sleep: func(_ context.Context, d time.Duration) error {
			mu.Lock()
			defer mu.Unlock()
			waited = append(waited, d)
			now = now.Add(d)
			return nil
		},
	}
	f := start(t, &oktatest.Options{Orgs: []oktatest.Org{demoOrg()}, RateLimit: 3, RateWindow: 20 * time.Second, Now: clock.Time},
		providers.Env{Clock: clock, Sequential: true})
	conn, secret, err := connect(t, f, method(t, f.p, okta.MethodAPIToken), tokenInputs(oktatest.DemoDomain, canary), nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := verify(t, f, conn, secret, []string{"collect"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range r.checks {
		if c.Status != providers.Granted {
			t.Errorf("%s: %+v", c.Label(), c)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(waited) == 0 {
		t.Fatal("no wait for the rate limit")
	}
	longest := time.Duration(0)
	for _, d := range waited {
		if d < 0 || d > 20*time.Second {
			t.Errorf("waited %s, want up to the reset (20s)", d)
		}
		longest = max(longest, d)
	}
	if longest < 10*time.Second {
		t.Errorf("waits %v: none waited for the reset header", waited)
	}
	if !strings.Contains(strings.Join(r.warnings, "\n"), "rate-limited") {
		t.Errorf("warnings %q, want the rate limit reported", r.warnings)
	}
}

// TestCanary: the SSWS token appears in no output, error, event or file
// outside the store.
func TestCanary(t *testing.T) {
	dir := t.TempDir()
	cat, _ := catalog.Default()
	sb, err := sandbox.Start(cat, sandbox.Options{Dir: dir, Emulators: []sandbox.Entry{{Provider: okta.ID,
		New: oktatest.EmulatorWith(oktatest.Options{Orgs: []oktatest.Org{demoOrg(func(o *oktatest.Org) {
			o.Assignments[oktatest.DemoAdminID] = o.Assignments[oktatest.DemoAdminID][1:]
		})}})}}})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	p, _ := okta.New(cat, providers.Env{HTTP: sb.HTTPClient()})
	f := fixture{p: p, sb: sb, cat: cat}
	var seen []string
	events := func(e flows.Event) {
		seen = append(seen, strings.TrimSpace(strings.ReplaceAll(fmtEvent(e), "\n", " ")))
	}
	conn, secret, err := connect(t, f, method(t, p, okta.MethodAPIToken), tokenInputs(oktatest.DemoDomain, canary), events)
	if err != nil {
		t.Fatal(err)
	}
	r, err := verify(t, f, conn, secret, allCaps)
	if err != nil {
		t.Fatal(err)
	}
	_, _, bad := connect(t, f, method(t, p, okta.MethodAPIToken), tokenInputs(oktatest.DemoDomain, canary[:len(canary)-1]+"2"), events)
	for _, c := range r.checks {
		seen = append(seen, c.Evidence, c.Fix, c.FixURL)
	}
	seen = append(seen, r.warnings...)
	seen = append(seen, bad.Error(), f.p.Describe(conn).Principal)
	for k, v := range conn.Settings {
		seen = append(seen, k+"="+v)
	}
	for _, s := range seen {
		if strings.Contains(s, canary) || strings.Contains(s, canary[:30]) {
			t.Errorf("the token leaked: %s", s)
		}
	}
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if data, _ := os.ReadFile(path); strings.Contains(string(data), canary) {
				t.Errorf("the token is in %s", path)
			}
		}
		return nil
	})
}

func fmtEvent(e flows.Event) string {
	if p, ok := e.(flows.Progress); ok {
		return p.Message
	}
	return ""
}

// TestStepsDeepLink: every console step links into the org's Admin
// Console once the org is known.
func TestStepsDeepLink(t *testing.T) {
	f := start(t, &oktatest.Options{Orgs: []oktatest.Org{demoOrg()}}, providers.Env{})
	for _, m := range f.p.Methods() {
		in := providers.Inputs{Values: map[string]string{okta.InputOrg: "https://acme-admin.okta.com/admin/dashboard", okta.InputClientID: "0oa1b2c3d4e5f6g7h8i9"}}
		steps := f.p.Steps(m, in)
		if len(steps) == 0 {
			t.Errorf("%s: no steps", m.ID)
		}
		for _, s := range steps {
			if !strings.HasPrefix(s.URL, "https://acme-admin.okta.com/admin/") || s.Title == "" || s.Detail == "" {
				t.Errorf("%s: step %+v", m.ID, s)
			}
		}
		for _, s := range f.p.Steps(m, providers.Inputs{}) {
			if s.URL != "https://login.okta.com/" {
				t.Errorf("%s without an org: %s", m.ID, s.URL)
			}
		}
	}
	if got := f.p.Steps(method(t, f.p, okta.MethodServiceApp), providers.Inputs{Values: map[string]string{okta.InputOrg: "acme.okta.com", okta.InputClientID: "0oa1b2c3d4e5f6g7h8i9"}})[1].URL; got != "https://acme-admin.okta.com/admin/app/oidc_client/instance/0oa1b2c3d4e5f6g7h8i9/#tab-general" {
		t.Errorf("the app's page = %s", got)
	}
}

// TestClockSkewWarned: Okta's Date header an hour off this machine's
// clock is reported.
func TestClockSkewWarned(t *testing.T) {
	okta0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	clock := flows.Clock{Now: func() time.Time { return okta0.Add(time.Hour) }}
	f := start(t, &oktatest.Options{Orgs: []oktatest.Org{demoOrg()}, Now: func() time.Time { return okta0 }}, providers.Env{Clock: clock})
	conn, secret, err := connect(t, f, method(t, f.p, okta.MethodAPIToken), tokenInputs(oktatest.DemoDomain, canary), nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := verify(t, f, conn, secret, []string{"collect"})
	if err != nil || !strings.Contains(strings.Join(r.warnings, "\n"), "clock is 1h0m0s off Okta's") {
		t.Errorf("Verify() = %v, warnings %q", err, r.warnings)
	}
}
