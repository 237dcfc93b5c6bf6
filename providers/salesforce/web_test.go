package salesforce_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/flows/oauthtest"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/providers/salesforce"
	"github.com/tetherdev/tether/providers/salesforce/salesforcetest"
	"github.com/tetherdev/tether/providers/sandbox"
)

// freePort is a loopback port nothing listens on now, registered as the
// demo app's callback so that tests do not contend for 1717.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// webFixture runs the demo org with a callback on a free port.
func webFixture(t *testing.T, deny []string, mutate ...func(*salesforcetest.Org)) (fixture, providers.Inputs) {
	t.Helper()
	port := freePort(t)
	f := start(t, deny, append([]func(*salesforcetest.Org){func(o *salesforcetest.Org) {
		o.Apps[0].CallbackURLs = []string{fmt.Sprintf("http://localhost:%d/OauthRedirect", port)}
	}}, mutate...)...)
	in := providers.Inputs{Values: map[string]string{
		salesforce.InputLoginHost: salesforcetest.ProductionHost,
		salesforce.InputClientID:  salesforcetest.DemoConsumerKey,
		salesforce.InputPort:      strconv.Itoa(port),
	}}
	return f, in
}

func webConnect(t *testing.T, f fixture, in providers.Inputs) (providers.Connection, flows.Secret, error) {
	t.Helper()
	ctx := context.Background()
	m := method(t, f.p, salesforce.MethodWeb)
	if err := m.Validate(in); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
	io := f.sb.Admin(salesforce.ID, 0).Interact(ctx, flows.Interaction{Events: func(flows.Event) {}})
	conn, secret, err := f.p.Connect(ctx, m, in, io)
	conn.Capabilities = []string{"collect"}
	return conn, secret, err
}

// TestWebSignInRefreshesAndRotates: the web sign-in stores a refresh
// token; each verify refreshes, saves the rotated token, and the one
// before it is refused from then on.
func TestWebSignInRefreshesAndRotates(t *testing.T) {
	f, in := webFixture(t, nil)
	conn, secret, err := webConnect(t, f, in)
	if err != nil {
		t.Fatalf("Connect() = %v", err)
	}
	tok, _ := flows.SecretToken(secret)
	if tok == nil || tok.RefreshToken == "" || conn.Settings["user_id"] != salesforcetest.DemoUserID {
		t.Fatalf("Connect stored %v, settings %v", tok != nil, conn.Settings)
	}
	var saved flows.Secret
	r := &reporter{}
	err = f.p.Verify(context.Background(), conn, providers.Credential{Secret: secret,
		Save: func(_ context.Context, s flows.Secret) error { saved = s; return nil }}, r)
	if err != nil || r.check(apiPerm).Status != providers.Granted {
		t.Fatalf("Verify() = %v, %+v", err, r.checks)
	}
	rotated, _ := flows.SecretToken(saved)
	if rotated == nil || rotated.RefreshToken == "" || rotated.RefreshToken == tok.RefreshToken {
		t.Fatalf("the rotated refresh token was not saved")
	}
	// The old refresh token is refused: sign in again.
	err = f.p.Verify(context.Background(), conn, providers.Credential{Secret: secret,
		Save: func(context.Context, flows.Secret) error { return nil }}, &reporter{})
	var se *providers.SignInError
	if !errors.As(err, &se) || !strings.Contains(se.Fix, "sign in again") || !errors.Is(err, flows.ErrSignInAgain) {
		t.Fatalf("Verify with the rotated-out token = %v, want sign in again", err)
	}
	// The saved one works.
	if r := verify(t, f, conn, saved); r.check(apiPerm).Status != providers.Granted {
		t.Errorf("with the saved token: %+v", r.checks)
	}
	// Revoked by an admin: sign in again.
	f.emu().RevokeRefreshTokens(salesforcetest.DemoConsumerKey)
	err = f.p.Verify(context.Background(), conn, providers.Credential{Secret: saved,
		Save: func(context.Context, flows.Secret) error { return nil }}, &reporter{})
	if !errors.Is(err, flows.ErrSignInAgain) {
		t.Errorf("Verify after revocation = %v", err)
	}
}

// TestWebScopeWithheld: an app without the api scope signs in (Salesforce
// grants what the app has) and api is reported missing, with the fix.
func TestWebScopeWithheld(t *testing.T) {
	f, in := webFixture(t, []string{apiPerm})
	conn, secret, err := webConnect(t, f, in)
	if err != nil {
		t.Fatalf("Connect() = %v", err)
	}
	r := verify(t, f, conn, secret)
	if c := r.check(apiPerm); c.Status != providers.Missing || !strings.Contains(c.Fix, "sign in again: tether setup salesforce --method web") {
		t.Errorf("api = %+v", c)
	}
	if len(r.checks) != 1 || len(r.warnings) != 0 {
		t.Errorf("besides api: %+v, warnings %q", r.checks, r.warnings)
	}
}

// TestWebRefusals: a refused consent and a user the app does not permit.
func TestWebRefusals(t *testing.T) {
	f, in := webFixture(t, []string{sandbox.Consent})
	if _, _, err := webConnect(t, f, in); !errors.Is(err, flows.ErrDenied) {
		t.Errorf("refused consent: %v", err)
	}
	f, in = webFixture(t, nil, func(o *salesforcetest.Org) { o.Apps[0].Permitted = nil })
	_, _, err := webConnect(t, f, in)
	var se *providers.SignInError
	if !errors.As(err, &se) || !strings.Contains(se.Fix, "pre-authorized") {
		t.Errorf("not permitted: %v", err)
	}
	f, in = webFixture(t, nil, func(o *salesforcetest.Org) { o.Apps[0].Scopes = []string{"api"} })
	if _, _, err := webConnect(t, f, in); !errors.As(err, &se) || !strings.Contains(se.Fix, "refresh_token") {
		t.Errorf("no refresh token: %v", err)
	}
}

// TestWebSecretsNeverShow: the refresh and access tokens never appear in
// the record, the checks or the errors.
func TestWebSecretsNeverShow(t *testing.T) {
	f, in := webFixture(t, nil, func(o *salesforcetest.Org) { o.Users[0].APIEnabled = false })
	conn, secret, err := webConnect(t, f, in)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := flows.SecretToken(secret)
	r := &reporter{}
	var saved flows.Secret
	verr := f.p.Verify(context.Background(), conn, providers.Credential{Secret: secret,
		Save: func(_ context.Context, s flows.Secret) error { saved = s; return nil }}, r)
	rerr := f.p.Verify(context.Background(), conn, providers.Credential{Secret: secret,
		Save: func(context.Context, flows.Secret) error { return nil }}, &reporter{})
	rotated, _ := flows.SecretToken(saved)
	outputs := []string{fmt.Sprintf("%+v", conn), fmt.Sprint(secret), fmt.Sprint(verr), fmt.Sprint(rerr)}
	for _, c := range r.checks {
		outputs = append(outputs, fmt.Sprintf("%+v", c))
	}
	outputs = append(outputs, r.warnings...)
	for _, o := range outputs {
		for _, s := range []string{tok.RefreshToken, tok.AccessToken, rotated.RefreshToken, rotated.AccessToken} {
			if s != "" && strings.Contains(o, s) {
				t.Errorf("a token shows in %q", o)
			}
		}
	}
	if c := r.check(apiPerm); c.Status != providers.Missing || !strings.Contains(c.Fix, "API Enabled") {
		t.Errorf("API-disabled user: %+v", c)
	}
}

// TestWebPasteBack: with no browser on this machine (SSH), the address
// the admin's browser ends on is pasted back and completes the sign-in.
func TestWebPasteBack(t *testing.T) {
	f, in := webFixture(t, nil)
	paste := make(chan string, 1)
	hc := f.sb.HTTPClient()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	browser := &oauthtest.Browser{Client: hc} // elsewhere: it cannot reach this machine's loopback
	io := flows.Interaction{Paste: paste, Events: func(ev flows.Event) {
		if aw, ok := ev.(flows.AwaitingRedirect); ok && aw.Paste {
			go func() {
				_ = browser.Open(aw.URL)
				visits, err := browser.Wait()
				if err != nil || len(visits) != 1 {
					t.Errorf("browser: %v %v", visits, err)
					close(paste)
					return
				}
				paste <- visits[0].Location
			}()
		}
	}}
	conn, secret, err := f.p.Connect(context.Background(), method(t, f.p, salesforce.MethodWeb), in, io)
	if err != nil {
		t.Fatalf("Connect() = %v", err)
	}
	conn.Capabilities = []string{"collect"}
	if r := verify(t, f, conn, secret); r.check(apiPerm).Status != providers.Granted {
		t.Errorf("checks = %+v", r.checks)
	}
}
