package salesforce_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/flows/oauthtest"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/providers/salesforce"
	"github.com/tetherdev/tether/providers/salesforce/salesforcetest"
	"github.com/tetherdev/tether/providers/sandbox"
)

const apiPerm = "Manage user data via APIs (api)"

type fixture struct {
	p   *salesforce.Provider
	sb  *sandbox.Sandbox
	key string // the demo app's private key, PEM
}

func (f fixture) emu() *salesforcetest.Emulator {
	e, _ := f.sb.Emulator(salesforce.ID)
	return e.Emulator.(*salesforcetest.Emulator)
}

// start runs the sandbox's demo org, less deny, and mutate's changes.
func start(t *testing.T, deny []string, mutate ...func(*salesforcetest.Org)) fixture {
	t.Helper()
	return startClocked(t, nil, deny, mutate...)
}

// startClocked is start with a fake clock for the provider and the
// emulator alike (nil: the real one).
func startClocked(t *testing.T, clock *oauthtest.Clock, deny []string, mutate ...func(*salesforcetest.Org)) fixture {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := flows.PrivateKeyPEM(key)
	if err != nil {
		t.Fatal(err)
	}
	scopes := []string{"api", "refresh_token"}
	for _, d := range deny {
		if d == apiPerm {
			scopes = []string{"refresh_token"}
		}
	}
	org, err := salesforcetest.Demo(scopes, key)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mutate {
		m(&org)
	}
	opts := salesforcetest.Options{Orgs: []salesforcetest.Org{org}}
	env := providers.Env{}
	if clock != nil {
		opts.Now = clock.Now
		env.Clock = flows.Clock{Now: clock.Now, Sleep: clock.Sleep}
	}
	sb, err := sandbox.Start(cat, sandbox.Options{Deny: map[string][]string{salesforce.ID: deny}, Emulators: []sandbox.Entry{{Provider: salesforce.ID,
		New: salesforcetest.EmulatorWith(opts)}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	env.HTTP = sb.HTTPClient()
	p, err := salesforce.New(cat, env)
	if err != nil {
		t.Fatal(err)
	}
	return fixture{p: p, sb: sb, key: keyPEM}
}

func (f fixture) inputs(extra map[string]string) providers.Inputs {
	v := map[string]string{
		salesforce.InputLoginHost: salesforcetest.ProductionHost,
		salesforce.InputClientID:  salesforcetest.DemoConsumerKey,
		salesforce.InputUsername:  salesforcetest.DemoUsername,
	}
	for k, x := range extra {
		v[k] = x
	}
	return providers.Inputs{Values: v, Secret: flows.NewSecret(map[string]string{salesforce.InputPrivateKey: f.key})}
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

func method(t *testing.T, p providers.Provider, id string) providers.Method {
	t.Helper()
	m, err := providers.FindMethod(p, id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func connect(t *testing.T, f fixture, in providers.Inputs) (providers.Connection, flows.Secret) {
	t.Helper()
	m := method(t, f.p, salesforce.MethodJWTBearer)
	if err := m.Validate(in); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
	conn, secret, err := f.p.Connect(context.Background(), m, in, flows.Interaction{})
	if err != nil {
		t.Fatalf("Connect() = %v", err)
	}
	conn.Capabilities = []string{"collect"}
	return conn, secret
}

// record is the connection a setup of in would have stored, made
// without signing in (the sign-in may be what the test refuses).
func record(in providers.Inputs) (providers.Connection, flows.Secret) {
	return providers.Connection{Provider: salesforce.ID, Name: "default", Method: salesforce.MethodJWTBearer,
		Settings: in.Values, Capabilities: []string{"collect"}}, in.Secret
}

func verify(t *testing.T, f fixture, conn providers.Connection, secret flows.Secret) *reporter {
	t.Helper()
	r := &reporter{}
	if err := f.p.Verify(context.Background(), conn, providers.Credential{Secret: secret,
		Save: func(context.Context, flows.Secret) error { return nil }}, r); err != nil {
		t.Fatalf("Verify() = %v", err)
	}
	return r
}

// TestJWTBearerVerifies: the demo org's integration user is granted, its
// profile and permission set are named, and the metadata keeps the org.
func TestJWTBearerVerifies(t *testing.T) {
	f := start(t, nil)
	conn, secret := connect(t, f, f.inputs(nil))
	if conn.Tenant != salesforcetest.DemoMyDomain || conn.Settings["org_id"] != salesforcetest.DemoOrgID ||
		conn.Settings["user_id"] != salesforcetest.DemoUserID || conn.Settings["instance_url"] != "https://"+salesforcetest.DemoMyDomain {
		t.Errorf("connection = %+v", conn)
	}
	r := verify(t, f, conn, secret)
	if len(r.checks) != 1 || r.checks[0].Status != providers.Granted {
		t.Fatalf("checks = %+v", r.checks)
	}
	if !strings.Contains(r.checks[0].Evidence, "/limits → 200") {
		t.Errorf("evidence %q does not name the limits probe", r.checks[0].Evidence)
	}
	if len(r.warnings) != 1 || !strings.Contains(r.warnings[0], "a Salesforce Integration user") || !strings.Contains(r.warnings[0], salesforcetest.DemoProfile) || !strings.Contains(r.warnings[0], salesforcetest.DemoPermissionSet) {
		t.Errorf("warnings = %q, want the profile and permission set named", r.warnings)
	}
	if d := f.p.Describe(conn); d.APIHost != salesforcetest.DemoMyDomain || !strings.Contains(d.Principal, salesforcetest.DemoUsername) {
		t.Errorf("Describe() = %+v", d)
	}
}

// TestVerifyCauses: each way API access is missing is told apart, with
// its own fix; nothing else is reported.
func TestVerifyCauses(t *testing.T) {
	tests := []struct {
		name    string
		deny    []string
		mutate  func(*salesforcetest.Org)
		status  providers.Status
		fix     string
		evident string
	}{
		{name: "scope withheld", deny: []string{apiPerm}, status: providers.Missing,
			fix: `add the OAuth scope "Manage user data via APIs (api)"`, evident: "scope lacks api"},
		{name: "user without API Enabled", mutate: func(o *salesforcetest.Org) { o.Users[0].APIEnabled = false },
			status: providers.Missing, fix: "turn on API Enabled", evident: "API_CURRENTLY_DISABLED"},
		{name: "org without API", mutate: func(o *salesforcetest.Org) { o.APIDisabled = true },
			status: providers.Missing, fix: "edition has no API access", evident: "API_DISABLED_FOR_ORG"},
		{name: "not pre-authorized", mutate: func(o *salesforcetest.Org) { o.Apps[0].Permitted = []string{"System Administrator"} },
			status: providers.Missing, fix: "Admin approved users are pre-authorized", evident: "hasn't approved this consumer"},
		{name: "limits need View Setup", mutate: func(o *salesforcetest.Org) { o.Users[0].NoViewSetup = true },
			status: providers.Granted, evident: "PermissionsApiEnabled true"},
		{name: "full scope", mutate: func(o *salesforcetest.Org) { o.Apps[0].Scopes = []string{"full", "refresh_token"} },
			status: providers.Granted, evident: "/limits → 200"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mutate []func(*salesforcetest.Org)
			if tt.mutate != nil {
				mutate = append(mutate, tt.mutate)
			}
			f := start(t, tt.deny, mutate...)
			conn, secret := record(f.inputs(nil))
			r := verify(t, f, conn, secret)
			c := r.check(apiPerm)
			if c.Status != tt.status || !strings.Contains(c.Fix, tt.fix) || !strings.Contains(c.Evidence, tt.evident) {
				t.Fatalf("check = %+v, want %s with fix %q and evidence %q", c, tt.status, tt.fix, tt.evident)
			}
			for _, other := range r.checks {
				if other.Permission != apiPerm && !(tt.name == "full scope" && other.Permission == "full") {
					t.Errorf("unexpected check %+v", other)
				}
			}
		})
	}
}

// TestFullScopeIsExcess: full grants API access and is flagged.
func TestFullScopeIsExcess(t *testing.T) {
	f := start(t, nil, func(o *salesforcetest.Org) { o.Apps[0].Scopes = []string{"full", "refresh_token"} })
	conn, secret := connect(t, f, f.inputs(nil))
	r := verify(t, f, conn, secret)
	if c := r.check("full"); c.Status != providers.Excess || !strings.Contains(c.Fix, "remove the OAuth scope full") {
		t.Errorf("full = %+v", c)
	}
}

// TestSystemAdministratorIsFlagged: collecting as a System Administrator
// works and is flagged, with the least-privilege advice.
func TestSystemAdministratorIsFlagged(t *testing.T) {
	f := start(t, nil)
	conn, secret := connect(t, f, f.inputs(map[string]string{salesforce.InputUsername: salesforcetest.DemoAdminUsername}))
	r := verify(t, f, conn, secret)
	if c := r.check(apiPerm); c.Status != providers.Granted {
		t.Errorf("api = %+v", c)
	}
	if c := r.check("System Administrator profile"); c.Status != providers.Excess || !strings.Contains(c.Fix, "dedicated integration user") {
		t.Errorf("System Administrator = %+v", c)
	}
}

// TestConnectRefusals: each refusal of the token endpoint says what to do.
func TestConnectRefusals(t *testing.T) {
	otherKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	otherPEM, _ := flows.PrivateKeyPEM(otherKey)
	tests := []struct {
		name   string
		values map[string]string
		key    string
		fix    string
	}{
		{name: "unknown consumer key", values: map[string]string{salesforce.InputClientID: "3MVG9UnknownConsumerKey00000000000000"}, fix: "check the consumer key"},
		{name: "another key", key: otherPEM, fix: "upload the certificate"},
		{name: "unknown user", values: map[string]string{salesforce.InputUsername: "nobody@tether-demo.example"}, fix: "check the username"},
		{name: "sandbox audience for production", values: map[string]string{salesforce.InputAudience: "https://test.salesforce.com"}, fix: "audience must be"},
		{name: "sandbox login host", values: map[string]string{salesforce.InputLoginHost: "test.salesforce.com"}, fix: "check the consumer key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := start(t, nil)
			in := f.inputs(tt.values)
			if tt.key != "" {
				in.Secret = flows.NewSecret(map[string]string{salesforce.InputPrivateKey: tt.key})
			}
			_, _, err := f.p.Connect(context.Background(), method(t, f.p, salesforce.MethodJWTBearer), in, flows.Interaction{})
			var se *providers.SignInError
			if !errors.As(err, &se) || !strings.Contains(se.Fix, tt.fix) {
				t.Fatalf("Connect() = %v, want a SignInError with fix %q", err, tt.fix)
			}
		})
	}
}

// TestMyDomainLoginUsesGenericAudience: signing in at the org's My Domain
// still names https://login.salesforce.com as the audience.
func TestMyDomainLoginUsesGenericAudience(t *testing.T) {
	f := start(t, nil)
	conn, secret := connect(t, f, f.inputs(map[string]string{salesforce.InputLoginHost: salesforcetest.DemoMyDomain}))
	if r := verify(t, f, conn, secret); r.check(apiPerm).Status != providers.Granted {
		t.Errorf("checks = %+v", r.checks)
	}
}

// TestSandboxGrantIsSeen: the sandbox's fix action restores the scope.
func TestSandboxGrantIsSeen(t *testing.T) {
	f := start(t, []string{apiPerm})
	conn, secret := connect(t, f, f.inputs(nil))
	if r := verify(t, f, conn, secret); r.check(apiPerm).Status != providers.Missing {
		t.Fatalf("checks = %+v", r.checks)
	}
	cat, _ := catalog.Default()
	if err := f.sb.Grant(cat, salesforce.ID, apiPerm); err != nil {
		t.Fatal(err)
	}
	if r := verify(t, f, conn, secret); r.check(apiPerm).Status != providers.Granted {
		t.Errorf("after the grant: %+v", r.checks)
	}
}
