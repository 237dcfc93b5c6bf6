package google_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/providers/google"
	"github.com/tetherdev/tether/providers/google/googletest"
)

const secretCanary = "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"

func browserInputs(secret string) providers.Inputs {
	return providers.Inputs{
		Values: map[string]string{google.InputClientID: googletest.DemoOAuthClientID, google.InputAdmin: googletest.DemoAdmin},
		Secret: flows.NewSecret(map[string]string{google.InputClientSecret: secret}),
	}
}

// withSecret gives the demo Desktop client the canary secret.
func withSecret(o *googletest.Options) { o.Domain.OAuthClients[0].Secret = secretCanary }

// signIn runs the browser method with the sandbox's demo admin clicking
// through the consent screen, answering questions with answer (nil: none
// can be asked). It returns the URLs opened.
func signIn(t *testing.T, f fixture, caps []string, answer flows.Asker) (providers.Connection, flows.Secret, []string, *events, error) {
	t.Helper()
	m := method(t, f.p, google.MethodBrowser)
	in := browserInputs(secretCanary)
	if err := m.Validate(in); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
	ev := &events{}
	var mu sync.Mutex
	var opened []string
	io := ev.interaction()
	inner := io.Events
	io.Events = func(e flows.Event) {
		inner(e)
		if b, ok := e.(flows.BrowserOpened); ok {
			mu.Lock()
			opened = append(opened, b.URL)
			mu.Unlock()
		}
	}
	io.Ask = answer
	ctx := providers.WithCapabilities(context.Background(), caps)
	io = f.sb.Admin(google.ID, 0).Interact(ctx, io)
	conn, secret, err := f.p.Connect(ctx, m, in, io)
	conn.Capabilities = caps
	mu.Lock()
	defer mu.Unlock()
	return conn, secret, opened, ev, err
}

func scopesOf(t *testing.T, authURL string) (scopes []string, incremental bool) {
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(u.Query().Get("scope")), u.Query().Get("include_granted_scopes") == "true"
}

func TestBrowserAllGranted(t *testing.T) {
	f := start(t, providers.Env{}, withSecret)
	conn, secret, opened, _, err := signIn(t, f, []string{"user-security"}, nil)
	if err != nil {
		t.Fatalf("Connect() = %v", err)
	}
	if len(opened) != 1 {
		t.Fatalf("opened %q, want one consent", opened)
	}
	asked, _ := scopesOf(t, opened[0])
	if !slices.Equal(asked, append(allScopes(t), "email")) {
		t.Errorf("asked for %q, want every scope the capabilities need and email, to learn who consents", asked)
	}
	if secret.Get(flows.SecretRefreshToken) == "" || conn.Tenant != googletest.DemoDomain {
		t.Errorf("Connect() = %+v, no refresh token stored", conn)
	}
	r, err := verify(t, f, conn, secret)
	if err != nil {
		t.Fatal(err)
	}
	if st := r.byStatus(); len(st[providers.Granted]) != 7 {
		t.Errorf("statuses = %v", st)
	}
}

// TestBrowserCollectOnlyAsksLess: without the remediation capability,
// the consent does not ask for its scope.
func TestBrowserCollectOnlyAsksLess(t *testing.T) {
	f := start(t, providers.Env{}, withSecret)
	_, _, opened, _, err := signIn(t, f, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if asked, _ := scopesOf(t, opened[0]); slices.ContainsFunc(asked, func(s string) bool { return strings.HasSuffix(s, "user.security") }) {
		t.Errorf("asked for %q, with no remediation enabled", asked)
	}
}

func TestBrowserUntickedAskedAgainAlone(t *testing.T) {
	f := start(t, providers.Env{}, withSecret)
	unticked := []string{"https://www.googleapis.com/auth/admin.reports.audit.readonly", "https://www.googleapis.com/auth/admin.directory.user.security"}
	f.emu().SetUnticked(unticked)
	var questions []string
	yes := func(_ context.Context, q flows.Question) (int, error) {
		questions = append(questions, q.Prompt)
		f.emu().SetUnticked(nil) // this time the admin leaves them ticked
		return 0, nil
	}
	conn, secret, opened, _, err := signIn(t, f, []string{"user-security"}, yes)
	if err != nil {
		t.Fatalf("Connect() = %v", err)
	}
	if len(questions) != 1 || !strings.Contains(questions[0], "2 scope(s)") || len(opened) != 2 {
		t.Fatalf("questions %q, opened %d", questions, len(opened))
	}
	again, incremental := scopesOf(t, opened[1])
	if !slices.Equal(slices.Sorted(slices.Values(again)), slices.Sorted(slices.Values(append(unticked, "email")))) || !incremental {
		t.Errorf("the second consent asked for %q (include_granted_scopes %v), want only the unticked ones, incrementally", again, incremental)
	}
	r, err := verify(t, f, conn, secret)
	if err != nil {
		t.Fatal(err)
	}
	if st := r.byStatus(); len(st[providers.Granted]) != 7 {
		t.Errorf("after the re-consent: %v", st)
	}
}

func TestBrowserUntickedIsMissing(t *testing.T) {
	f := start(t, providers.Env{}, withSecret)
	f.emu().SetUnticked([]string{"https://www.googleapis.com/auth/admin.directory.device.chromeos.readonly"})
	conn, secret, _, ev, err := signIn(t, f, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(ev.msgs, "\n"), "still unticked") {
		t.Errorf("events = %q", ev.msgs)
	}
	r, err := verify(t, f, conn, secret)
	if err != nil {
		t.Fatal(err)
	}
	st := r.byStatus()
	if !slices.Equal(st[providers.Missing], []string{"https://www.googleapis.com/auth/admin.directory.orgunit.readonly"}) || len(st[providers.Granted]) != 5 {
		t.Fatalf("statuses = %v", st)
	}
	for _, c := range r.checks {
		if c.Status == providers.Missing && (!strings.Contains(c.Fix, "include_granted_scopes") || !strings.Contains(c.Evidence, "lacks admin.directory.device.chromeos.readonly")) {
			t.Errorf("missing check = %+v", c)
		}
	}
}

func TestBrowserRefreshRotatesAndSaves(t *testing.T) {
	f := start(t, providers.Env{}, withSecret, func(o *googletest.Options) { o.RotateRefreshTokens = true })
	conn, secret, _, _, err := signIn(t, f, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	first := secret.Get(flows.SecretRefreshToken)
	var saved []flows.Secret
	cred := providers.Credential{Secret: secret, Save: func(_ context.Context, s flows.Secret) error { saved = append(saved, s); return nil }}
	r := &reporter{}
	if err := f.p.Verify(context.Background(), conn, cred, r); err != nil {
		t.Fatal(err)
	}
	if len(saved) != 1 || saved[0].Get(flows.SecretRefreshToken) == first || saved[0].Get(flows.SecretRefreshToken) == "" ||
		saved[0].Get(google.InputClientSecret) != secretCanary {
		t.Fatalf("saved %d secrets; the rotated refresh token must replace the first, keeping the client secret", len(saved))
	}
	// The old one is spent: verifying with it is a sign-in error.
	if _, err := verify(t, f, conn, secret); err == nil || !strings.Contains(err.Error(), "no longer accepts the stored sign-in") {
		t.Errorf("Verify() with the spent refresh token = %v", err)
	}
	if r2, err := verify(t, f, conn, saved[0]); err != nil || len(r2.byStatus()[providers.Granted]) != 6 {
		t.Errorf("Verify() with the rotated one = %v", err)
	}
}

func TestBrowserErrors(t *testing.T) {
	f := start(t, providers.Env{}, withSecret)
	conn, secret, _, _, err := signIn(t, f, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.emu().RevokeRefreshTokens()
	var se *providers.SignInError
	if _, err := verify(t, f, conn, secret); !errors.As(err, &se) || !strings.Contains(se.Fix, "--replace") {
		t.Errorf("Verify() after revocation = %v", err)
	}

	f2 := start(t, providers.Env{})
	m := method(t, f2.p, google.MethodBrowser)
	io := f2.sb.Admin(google.ID, 0).Interact(context.Background(), flows.Interaction{})
	_, _, err = f2.p.Connect(context.Background(), m, browserInputs("GOCSPX-wrong-secret-000000000"), io)
	if !errors.As(err, &se) || !strings.Contains(se.Error(), "invalid_client") || !strings.Contains(se.Fix, "Desktop app") {
		t.Errorf("Connect() with a wrong secret = %v", err)
	}
}

// TestRefreshTokenNeverLeaks: the refresh token and the client secret
// reach the store only.
func TestRefreshTokenNeverLeaks(t *testing.T) {
	f := start(t, providers.Env{}, withSecret)
	f.emu().SetUnticked([]string{"https://www.googleapis.com/auth/admin.reports.audit.readonly"})
	conn, secret, opened, ev, err := signIn(t, f, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	rt := secret.Get(flows.SecretRefreshToken)
	r, verr := verify(t, f, conn, secret)
	f.emu().RevokeRefreshTokens()
	_, rerr := verify(t, f, conn, secret)
	checks, _ := json.Marshal(r.checks)
	settings, _ := json.Marshal(conn)
	all := strings.Join(append(append(ev.msgs, opened...), string(checks), string(settings), strings.Join(r.warnings, "\n"),
		fmt.Sprint(verr), fmt.Sprint(rerr), fmt.Sprintf("%+v %#v", secret, f.p.Describe(conn))), "\n")
	for _, s := range []string{rt, secretCanary, secret.Get(flows.SecretAccessToken)} {
		if s == "" || strings.Contains(all, s) {
			t.Fatalf("a secret (%d chars) is in the output, or was never issued", len(s))
		}
	}
}

// TestBrowserRoleProblem: an admin whose role cannot read is a role
// problem for every scope, never a missing one.
func TestBrowserRoleProblem(t *testing.T) {
	f := start(t, providers.Env{}, withSecret)
	conn, secret, _, _, err := signIn(t, f, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.emu().SetAdmin(googletest.DemoAdmin, false)
	r, err := verify(t, f, conn, secret)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range r.checks {
		if c.Status != providers.Error || !strings.Contains(c.Fix, "have a super admin consent") {
			t.Errorf("check = %+v, want a role error", c)
		}
	}
}

func TestBrowserExcessConsent(t *testing.T) {
	f := start(t, providers.Env{}, withSecret)
	conn, secret, _, _, err := signIn(t, f, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.emu().Consent(googletest.DemoOAuthClientID, []string{"https://www.googleapis.com/auth/admin.directory.user.security"}, true)
	r, err := verify(t, f, conn, secret)
	if err != nil {
		t.Fatal(err)
	}
	if st := r.byStatus(); len(st[providers.Excess]) != 1 || len(st[providers.Granted]) != 6 {
		t.Errorf("statuses = %v, want user.security excess", st)
	}
}

// TestBrowserRefusesAnotherAccountsConsent: login_hint only suggests the
// admin; a consent given by another account (a personal one signed in
// to the browser, or another admin) is refused by name, and nothing is
// stored in the admin's name.
func TestBrowserRefusesAnotherAccountsConsent(t *testing.T) {
	for _, who := range []string{"someone@gmail.com", "Other.Admin@" + googletest.DemoDomain} {
		t.Run(who, func(t *testing.T) {
			f := start(t, providers.Env{}, withSecret)
			f.emu().SetConsentingAccount(who)
			_, _, _, _, err := signIn(t, f, nil, nil)
			var si *providers.SignInError
			if !errors.As(err, &si) || !strings.Contains(si.Reason, "given by "+strings.ToLower(who)+", not by "+googletest.DemoAdmin) ||
				!strings.Contains(si.Fix, "account chooser") {
				t.Fatalf("Connect() = %v, want the other account named", err)
			}
		})
	}
	t.Run("the admin in another case", func(t *testing.T) {
		f := start(t, providers.Env{}, withSecret)
		f.emu().SetConsentingAccount(strings.ToUpper(googletest.DemoAdmin))
		if _, _, _, _, err := signIn(t, f, nil, nil); err != nil {
			t.Fatalf("Connect() = %v, want the admin's own consent taken", err)
		}
	})
}

// TestBrowserSignInScopeIsNoGrant: the email scope asked to learn who
// consented is neither a missing nor an excess grant.
func TestBrowserSignInScopeIsNoGrant(t *testing.T) {
	f := start(t, providers.Env{}, withSecret)
	conn, secret, _, _, err := signIn(t, f, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := verify(t, f, conn, secret)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range r.checks {
		if c.Status != providers.Granted || strings.Contains(c.Permission, "email") {
			t.Errorf("%s: %+v", c.Label(), c)
		}
	}
}
