package google_test

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/providers/google"
	"github.com/tetherdev/tether/providers/google/googletest"
	"github.com/tetherdev/tether/providers/sandbox"
)

// testKey is one RSA key for the whole package: making one is slow.
var testKey = sync.OnceValues(func() (*rsa.PrivateKey, string) {
	k, err := flows.GenerateKey()
	if err != nil {
		panic(err)
	}
	pemKey, err := flows.PrivateKeyPEM(k)
	if err != nil {
		panic(err)
	}
	return k, pemKey
})

// keyFile is the demo service account's JSON key file.
func keyFile() string {
	k, pemKey := testKey()
	return googletest.KeyFile(googletest.DemoClientEmail, googletest.DemoClientID, googletest.DemoProject, pemKey, k.Public())
}

type fixture struct {
	p   *google.Provider
	sb  *sandbox.Sandbox
	cat *catalog.Catalog
}

func (f fixture) emu() *googletest.Emulator {
	e, _ := f.sb.Emulator(google.ID)
	return e.Emulator.(*googletest.Emulator)
}

// allScopes are every scope of the catalog's Google entry.
func allScopes(t testing.TB) []string {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	cp, _ := cat.Provider(google.ID)
	var caps []string
	for _, c := range cp.Capabilities {
		caps = append(caps, c.ID)
	}
	return cp.Scopes(caps)
}

// start runs the emulator of the demo domain, its delegation edited by
// mutate, and a provider on the sandbox's client.
func start(t testing.TB, env providers.Env, mutate ...func(*googletest.Options)) fixture {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	k, pemKey := testKey()
	opts := googletest.Options{Domain: googletest.Demo(allScopes(t), k.Public(), time.Now().Add(-30*24*time.Hour))}
	for _, m := range mutate {
		m(&opts)
	}
	sb, err := sandbox.Start(cat, sandbox.Options{Emulators: []sandbox.Entry{{Provider: google.ID, New: googletest.EmulatorWith(opts, pemKey, k.Public())}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	if env.HTTP == nil {
		env.HTTP = sb.HTTPClient()
	}
	p, err := google.New(cat, env)
	if err != nil {
		t.Fatal(err)
	}
	return fixture{p: p, sb: sb, cat: cat}
}

func inputs(key, admin string) providers.Inputs {
	return providers.Inputs{Values: map[string]string{google.InputAdmin: admin}, Secret: flows.NewSecret(map[string]string{google.InputKey: key})}
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

func (r *reporter) byStatus() map[providers.Status][]string {
	out := map[providers.Status][]string{}
	for _, c := range r.checks {
		out[c.Status] = append(out[c.Status], c.Permission)
	}
	return out
}

func method(t testing.TB, p providers.Provider, id string) providers.Method {
	m, err := providers.FindMethod(p, id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// events collects a sign-in's progress messages.
type events struct {
	mu   sync.Mutex
	msgs []string
}

func (e *events) interaction() flows.Interaction {
	return flows.Interaction{Events: func(ev flows.Event) {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.msgs = append(e.msgs, fmt.Sprintf("%v", ev))
	}}
}

func connect(t testing.TB, f fixture, in providers.Inputs) (providers.Connection, flows.Secret, *events, error) {
	t.Helper()
	m := method(t, f.p, google.MethodServiceAccount)
	if err := m.Validate(in); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
	ev := &events{}
	conn, secret, err := f.p.Connect(context.Background(), m, in, ev.interaction())
	return conn, secret, ev, err
}

func verify(t *testing.T, f fixture, conn providers.Connection, secret flows.Secret) (*reporter, error) {
	t.Helper()
	r := &reporter{}
	err := f.p.Verify(context.Background(), conn, providers.Credential{Secret: secret, Save: func(context.Context, flows.Secret) error { return nil }}, r)
	return r, err
}

func setUp(t testing.TB, f fixture) (providers.Connection, flows.Secret) {
	t.Helper()
	conn, secret, _, err := connect(t, f, inputs(keyFile(), googletest.DemoAdmin))
	if err != nil {
		t.Fatalf("Connect() = %v", err)
	}
	conn.Capabilities = []string{"user-security"}
	return conn, secret
}

func TestServiceAccountAllGranted(t *testing.T) {
	f := start(t, providers.Env{})
	conn, secret, ev, err := connect(t, f, inputs(keyFile(), "Admin@Tether-Demo.example"))
	if err != nil {
		t.Fatalf("Connect() = %v", err)
	}
	if conn.Tenant != googletest.DemoDomain || conn.Settings[google.InputAdmin] != googletest.DemoAdmin ||
		conn.Settings[google.SettingClientID] != googletest.DemoClientID || conn.Settings[google.SettingKeyCreated] == "" {
		t.Errorf("Connect() = %+v", conn)
	}
	joined := strings.Join(ev.msgs, "\n")
	for _, want := range []string{googletest.DemoClientID, "domainwidedelegation?", "clientScopeToAdd=", "days ago"} {
		if !strings.Contains(joined, want) {
			t.Errorf("the sign-in's events lack %q:\n%s", want, joined)
		}
	}
	conn.Capabilities = []string{"user-security"}
	r, err := verify(t, f, conn, secret)
	if err != nil {
		t.Fatalf("Verify() = %v", err)
	}
	st := r.byStatus()
	if len(st[providers.Granted]) != 7 || len(r.checks) != 7 {
		t.Errorf("checks = %+v, want 7 granted", r.checks)
	}
	if len(r.warnings) != 0 {
		t.Errorf("warnings = %q, want none for a 30-day-old key", r.warnings)
	}
}

// TestEachDenialIsMissingAlone: withholding one permission's scopes from
// the delegation makes that permission missing with the pre-filled
// link, and nothing else changes.
func TestEachDenialIsMissingAlone(t *testing.T) {
	f := start(t, providers.Env{})
	conn, secret := setUp(t, f)
	cp, _ := f.cat.Provider(google.ID)
	for _, perm := range cp.Permissions {
		t.Run(perm.Name[strings.LastIndex(perm.Name, "/")+1:], func(t *testing.T) {
			emu := f.emu()
			if err := emu.SetGranted(perm, false); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = emu.SetGranted(perm, true) }()
			r, err := verify(t, f, conn, secret)
			if err != nil {
				t.Fatalf("Verify() = %v", err)
			}
			st := r.byStatus()
			if !slices.Equal(st[providers.Missing], []string{perm.Name}) || len(st[providers.Granted]) != 6 {
				t.Fatalf("statuses = %v, want %s alone missing", st, perm.Name)
			}
			for _, c := range r.checks {
				if c.Status == providers.Missing && (!strings.Contains(c.FixURL, "clientIdToAdd="+googletest.DemoClientID) ||
					!strings.Contains(c.Fix, googletest.DemoClientID) || !strings.Contains(c.Evidence, "unauthorized_client")) {
					t.Errorf("missing check = %+v, want the delegation fix and link", c)
				}
			}
		})
	}
}

func TestSignInErrors(t *testing.T) {
	k, _ := testKey()
	for _, tc := range []struct {
		name   string
		mutate func(*googletest.Options)
		env    func(*providers.Env)
		admin  string
		want   []string
	}{
		{name: "admin not a user", admin: "nobody@" + googletest.DemoDomain, want: []string{"is not a user of the Workspace domain", "Invalid email or User ID"}},
		{name: "deleted key", mutate: func(o *googletest.Options) { o.Domain.ServiceAccounts[0].Keys = nil }, want: []string{"was deleted", "Keys tab"}},
		{name: "rotated key", mutate: func(o *googletest.Options) {
			o.Domain.ServiceAccounts[0].Keys[0].ID = strings.Repeat("ab", 20)
		}, want: []string{"deleted"}},
		{name: "deleted service account", mutate: func(o *googletest.Options) { o.Domain.ServiceAccounts = nil }, want: []string{"the service account was deleted"}},
		{name: "disabled service account", mutate: func(o *googletest.Options) { o.Domain.ServiceAccounts[0].Disabled = true }, want: []string{"is disabled", "disabled_client", "IAM"}},
		{name: "clock ten minutes ahead", env: func(e *providers.Env) {
			e.Clock = flows.Clock{Now: func() time.Time { return time.Now().Add(10 * time.Minute) }}
		}, want: []string{"clock", "reasonable timeframe", "set-ntp"}},
		{name: "clock behind", mutate: func(o *googletest.Options) { o.ClockOffset = 2 * time.Hour }, want: []string{"clock"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := providers.Env{}
			if tc.env != nil {
				tc.env(&env)
			}
			var muts []func(*googletest.Options)
			if tc.mutate != nil {
				muts = append(muts, tc.mutate)
			}
			f := start(t, env, muts...)
			admin := tc.admin
			if admin == "" {
				admin = googletest.DemoAdmin
			}
			_, _, _, err := connect(t, f, inputs(keyFile(), admin))
			var se *providers.SignInError
			if !errors.As(err, &se) {
				t.Fatalf("Connect() = %v, want a SignInError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Connect() = %q, want it to say %q", err, w)
				}
			}
			_ = k
		})
	}
}

// TestVerifyAfterBreakage: what breaks after setup is verify's error, with
// its own sentence, or a per-scope error that is not a missing scope.
func TestVerifyAfterBreakage(t *testing.T) {
	f := start(t, providers.Env{})
	conn, secret := setUp(t, f)
	emu := f.emu()

	emu.SetClockOffset(-10 * time.Minute) // the local clock is ten minutes ahead
	if _, err := verify(t, f, conn, secret); err == nil || !strings.Contains(err.Error(), "clock") {
		t.Errorf("Verify() with skew = %v, want the clock explained", err)
	}
	emu.SetClockOffset(0)

	emu.SetAdmin(googletest.DemoAdmin, false)
	r, err := verify(t, f, conn, secret)
	if err != nil {
		t.Fatalf("Verify() = %v", err)
	}
	for _, c := range r.checks {
		if c.Status != providers.Error || !strings.Contains(c.Fix, "role problem, not a missing scope") || !strings.Contains(c.Evidence, "forbidden") {
			t.Errorf("check with a non-admin = %+v, want a role error", c)
		}
	}
	emu.SetAdmin(googletest.DemoAdmin, true)

	emu.SetAPIDisabled(true)
	r, err = verify(t, f, conn, secret)
	if err != nil {
		t.Fatalf("Verify() = %v", err)
	}
	for _, c := range r.checks {
		if c.Status != providers.Error || !strings.Contains(c.Fix, "Admin SDK API is not enabled in project "+googletest.DemoProject) ||
			!strings.Contains(c.Fix, "apis/library/admin.googleapis.com?project="+googletest.DemoProject) {
			t.Errorf("check with the API off = %+v, want the enable-the-API advice", c)
		}
	}
	emu.SetAPIDisabled(false)

	emu.SetDisabled(googletest.DemoClientEmail, true)
	if _, err := verify(t, f, conn, secret); err == nil || !strings.Contains(err.Error(), "is disabled") {
		t.Errorf("Verify() with the account disabled = %v", err)
	}
	emu.SetDisabled(googletest.DemoClientEmail, false)

	emu.DeleteKey(conn.Settings[google.SettingKeyID])
	if _, err := verify(t, f, conn, secret); err == nil || !strings.Contains(err.Error(), "was deleted") {
		t.Errorf("Verify() with the key deleted = %v", err)
	}
}

func TestOldKeyWarns(t *testing.T) {
	f := start(t, providers.Env{}, func(o *googletest.Options) {
		o.Domain.ServiceAccounts[0].Keys[0].Created = time.Now().Add(-120 * 24 * time.Hour)
	})
	conn, secret := setUp(t, f)
	r, err := verify(t, f, conn, secret)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.warnings) != 1 || !strings.Contains(r.warnings[0], "120 days") || !strings.Contains(r.warnings[0], "rotate") ||
		!strings.Contains(r.warnings[0], conn.Settings[google.SettingKeyID]) {
		t.Errorf("warnings = %q, want one naming the key, its age and rotation", r.warnings)
	}
}

// TestNoGroupsFallsBackToTokenInfo: with no group to list the members of,
// the member scope is decided by its own delegated token, and the
// evidence says so.
func TestNoGroupsFallsBackToTokenInfo(t *testing.T) {
	f := start(t, providers.Env{}, func(o *googletest.Options) { o.Domain.Groups = nil })
	conn, secret := setUp(t, f)
	r, err := verify(t, f, conn, secret)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range r.checks {
		if strings.HasSuffix(c.Permission, "group.member.readonly") &&
			(c.Status != providers.Granted || !strings.Contains(c.Evidence, "tokeninfo lists") || !strings.Contains(c.Evidence, "only evidence")) {
			t.Errorf("members check = %+v", c)
		}
	}
}

func TestUndelegatedAtSetupIsNotAnError(t *testing.T) {
	f := start(t, providers.Env{}, func(o *googletest.Options) { o.Domain.Delegation = nil })
	conn, secret, ev, err := connect(t, f, inputs(keyFile(), googletest.DemoAdmin))
	if err != nil {
		t.Fatalf("Connect() = %v", err)
	}
	if !strings.Contains(strings.Join(ev.msgs, "\n"), "does not list client id") {
		t.Errorf("events = %q", ev.msgs)
	}
	r, err := verify(t, f, conn, secret)
	if err != nil {
		t.Fatal(err)
	}
	if st := r.byStatus(); len(st[providers.Missing]) != 6 {
		t.Errorf("statuses = %v, want all six missing", st)
	}
}

func TestCriticalPath(t *testing.T) {
	f := start(t, providers.Env{})
	if got := f.p.CriticalPath(providers.Connection{}); got != 3 {
		t.Errorf("CriticalPath() = %d, want 3: the tokens, the groups, their members", got)
	}
}

func TestDescribe(t *testing.T) {
	f := start(t, providers.Env{})
	conn, _ := setUp(t, f)
	d := f.p.Describe(conn)
	if d.Tenant != googletest.DemoDomain || d.APIHost != "admin.googleapis.com" ||
		!strings.Contains(d.Principal, googletest.DemoClientEmail+" as "+googletest.DemoAdmin) || !strings.Contains(d.Principal, "created 20") {
		t.Errorf("Describe() = %+v", d)
	}
	b := f.p.Describe(providers.Connection{Method: google.MethodBrowser, Tenant: "acme.com",
		Settings: map[string]string{google.InputAdmin: "admin@acme.com", google.InputClientID: googletest.DemoOAuthClientID}})
	if !strings.Contains(b.Principal, "admin@acme.com, consented to OAuth client "+googletest.DemoOAuthClientID) {
		t.Errorf("Describe(browser) = %+v", b)
	}
}

// TestStepsLinkIntoTheProject: once the key is known, the console steps
// lead into its project and pre-fill the delegation.
func TestStepsLinkIntoTheProject(t *testing.T) {
	f := start(t, providers.Env{})
	m := method(t, f.p, google.MethodServiceAccount)
	steps := f.p.Steps(m, inputs(keyFile(), googletest.DemoAdmin))
	var urls []string
	for _, s := range steps {
		urls = append(urls, s.URL)
	}
	joined := strings.Join(urls, " ")
	for _, want := range []string{"project=" + googletest.DemoProject, "details/" + googletest.DemoClientID + "/keys", "clientIdToAdd=" + googletest.DemoClientID, "dn=" + googletest.DemoDomain} {
		if !strings.Contains(joined, want) {
			t.Errorf("step links %q lack %q", urls, want)
		}
	}
	if links := providers.LinkInputs(m, providers.StepsOf(f.p, m)); len(links) != 1 || links[0].Key != google.InputAdmin {
		t.Errorf("LinkInputs() = %+v, want the admin, which fills in the delegation link", links)
	}
	if b := f.p.Steps(method(t, f.p, google.MethodBrowser), providers.Inputs{}); len(b) != 4 || !strings.Contains(b[2].Title, "Desktop app") {
		t.Errorf("browser steps = %+v", b)
	}
}

// TestExcessDelegation: a scope delegated beyond what the enabled
// capabilities need is excess, with the link that sets the delegation to
// what is needed.
func TestExcessDelegation(t *testing.T) {
	f := start(t, providers.Env{})
	conn, secret := setUp(t, f)
	conn.Capabilities = nil
	r, err := verify(t, f, conn, secret)
	if err != nil {
		t.Fatal(err)
	}
	st := r.byStatus()
	if len(st[providers.Granted]) != 6 || len(st[providers.Excess]) != 1 {
		t.Fatalf("statuses = %v, want six granted and user.security excess", st)
	}
	for _, c := range r.checks {
		if c.Status == providers.Excess && (c.Capability != "user-security" || !strings.Contains(c.Fix, "enable the user-security capability") ||
			strings.Contains(c.FixURL, "user.security") || !strings.Contains(c.Evidence, "→ 200")) {
			t.Errorf("excess check = %+v", c)
		}
	}
	f.emu().SetDelegation(googletest.DemoClientID, allScopes(t)[:7])
	if r, _ := verify(t, f, conn, secret); len(r.byStatus()[providers.Excess]) != 0 {
		t.Errorf("with the delegation trimmed: %v", r.byStatus())
	}
}

// failingGroups answers 503 to the groups list, and passes on the rest.
type failingGroups struct{ next http.RoundTripper }

func (f failingGroups) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/admin/directory/v1/groups") {
		body := `{"error":{"code":503,"message":"Backend Error","errors":[{"reason":"backendError"}]}}`
		return &http.Response{StatusCode: http.StatusServiceUnavailable, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
	}
	return f.next.RoundTrip(r)
}

// TestFailedGroupsReadProvesNoMembersScope: when the groups read fails,
// the members scope, whose read needs a group, is no verdict: tokeninfo
// stands in only for a domain shown to have no groups.
func TestFailedGroupsReadProvesNoMembersScope(t *testing.T) {
	f := start(t, providers.Env{})
	conn, secret := setUp(t, f)
	client := *f.sb.HTTPClient()
	client.Transport = failingGroups{next: client.Transport}
	p, err := google.New(f.cat, providers.Env{HTTP: &client})
	if err != nil {
		t.Fatal(err)
	}
	f.p = p
	r, err := verify(t, f, conn, secret)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, c := range r.checks {
		if strings.HasSuffix(c.Permission, "group.member.readonly") || strings.HasSuffix(c.Permission, "group.readonly") {
			seen++
			if c.Status == providers.Granted {
				t.Errorf("%s = granted with the groups read failing: %s", c.Permission, c.Evidence)
			}
		}
	}
	if seen != 2 {
		t.Fatalf("%d group checks, want 2: %+v", seen, r.checks)
	}
}
