package flows

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tetherdev/tether/flows/oauthtest"
)

func TestDeviceSignInApproved(t *testing.T) {
	srv, clk := startServer(t, oauthtest.Options{})
	c := clientOf(srv, clk)
	rec := &recorder{}
	rec.on = func(e Event) {
		if d, ok := e.(DeviceCode); ok {
			if err := srv.ApproveDevice(d.UserCode); err != nil {
				t.Error(err)
			}
		}
	}
	tok, err := c.DeviceSignIn(bounded(t), Interaction{Events: rec.Events()})
	if err != nil {
		t.Fatalf("DeviceSignIn() = %v", err)
	}
	if g, ok := srv.Lookup(tok.AccessToken); !ok || g.ClientID != publicID {
		t.Errorf("the emulator does not know the access token: %+v %v", g, ok)
	}
	if tok.RefreshToken == "" {
		t.Error("no refresh token")
	}
	want := []string{"Progress", "DeviceCode", "Waiting", "Approved"}
	if got := rec.kinds(); !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
	d := rec.find("DeviceCode")[0].(DeviceCode)
	if d.VerificationURI != srv.URL+"/device" || !strings.Contains(d.VerificationURIComplete, "user_code=") ||
		d.Interval != 5*time.Second || !d.ExpiresAt.Equal(epoch.Add(10*time.Minute)) {
		t.Errorf("DeviceCode = %+v", d)
	}
	w := rec.find("Waiting")[0].(Waiting)
	if w.Interval != 6*time.Second || w.Remaining != 10*time.Minute {
		t.Errorf("first Waiting = %+v, want a 6s wait (5s + 20%%) and 10m left", w)
	}
}

// TestDeviceSignInOpensTheVerificationPage: with a browser, the flow
// opens verification_uri_complete, where the user approves.
func TestDeviceSignInOpensTheVerificationPage(t *testing.T) {
	srv, clk := startServer(t, oauthtest.Options{})
	c := clientOf(srv, clk)
	// The browser acts in the background: let the clock wait for it.
	b := &oauthtest.Browser{}
	c.Clock.Sleep = func(ctx context.Context, d time.Duration) error {
		if _, err := b.Wait(); err != nil {
			return err
		}
		return clk.Sleep(ctx, d)
	}
	rec := &recorder{}
	if _, err := c.DeviceSignIn(bounded(t), Interaction{Events: rec.Events(), Browser: b}); err != nil {
		t.Fatalf("DeviceSignIn() = %v", err)
	}
	opened := rec.find("BrowserOpened")
	if len(opened) != 1 || !strings.Contains(opened[0].(BrowserOpened).URL, "user_code=") {
		t.Errorf("BrowserOpened = %v, want verification_uri_complete", opened)
	}
	visits, _ := b.Wait()
	if len(visits) != 1 || !strings.Contains(visits[0].Body, "Device connected") {
		t.Errorf("visits = %+v", visits)
	}
}

func TestDeviceSignInDenied(t *testing.T) {
	srv, clk := startServer(t, oauthtest.Options{})
	rec := &recorder{on: func(e Event) {
		if d, ok := e.(DeviceCode); ok {
			_ = srv.DenyDevice(d.UserCode)
		}
	}}
	tok, err := clientOf(srv, clk).DeviceSignIn(bounded(t), Interaction{Events: rec.Events()})
	var ae *AuthorizationError
	if tok != nil || !errors.Is(err, ErrDenied) || !errors.As(err, &ae) || ae.Code != "access_denied" {
		t.Fatalf("DeviceSignIn() = %v, %v; want access_denied", tok, err)
	}
	if d := rec.find("Denied"); len(d) != 1 || d[0].(Denied).Reason != "the user denied the request" {
		t.Errorf("Denied events = %v", d)
	}
	if !strings.Contains(err.Error(), "declined") {
		t.Errorf("error %q does not say it in plain words", err)
	}
}

// TestDeviceSignInExpiresLocally: nobody approves, and the flow stops by
// itself when expires_in is over.
func TestDeviceSignInExpiresLocally(t *testing.T) {
	srv, clk := startServer(t, oauthtest.Options{DeviceCodeLifetime: time.Minute})
	rec := &recorder{}
	_, err := clientOf(srv, clk).DeviceSignIn(bounded(t), Interaction{Events: rec.Events()})
	if !errors.Is(err, ErrExpired) {
		t.Fatalf("DeviceSignIn() = %v, want ErrExpired", err)
	}
	if len(rec.find("Expired")) != 1 {
		t.Errorf("events = %v", rec.kinds())
	}
	// 60 s at a 6 s pace: the last Waiting has under 6 s left.
	ws := rec.find("Waiting")
	if last := ws[len(ws)-1].(Waiting); last.Remaining > 6*time.Second {
		t.Errorf("last Waiting = %+v", last)
	}
}

// withoutExpiresIn serves srv with expires_in dropped from the device
// authorization response, as Salesforce answers: the client then relies
// on the server's expired_token.
func withoutExpiresIn(t *testing.T, srv http.Handler) string {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/device_authorization" {
			srv.ServeHTTP(w, r)
			return
		}
		rw := httptest.NewRecorder()
		srv.ServeHTTP(rw, r)
		var m map[string]any
		_ = json.Unmarshal(rw.Body.Bytes(), &m)
		delete(m, "expires_in")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rw.Code)
		_ = json.NewEncoder(w).Encode(m)
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

func TestDeviceSignInExpiredTokenFromServer(t *testing.T) {
	srv, clk := startServer(t, oauthtest.Options{DeviceCodeLifetime: 30 * time.Second})
	c := clientOf(srv, clk)
	base := withoutExpiresIn(t, srv)
	c.Endpoints.DeviceAuthorizationURL = base + "/device_authorization"
	c.Endpoints.TokenURL = base + "/token"
	rec := &recorder{}
	_, err := c.DeviceSignIn(bounded(t), Interaction{Events: rec.Events()})
	var ae *AuthorizationError
	if !errors.As(err, &ae) || ae.Code != "expired_token" || !errors.Is(err, ErrExpired) {
		t.Fatalf("DeviceSignIn() = %v, want expired_token", err)
	}
	// Without expires_in the code still gets a bound (15 minutes).
	if w := rec.find("Waiting")[0].(Waiting); w.Remaining != defaultDeviceLifetime {
		t.Errorf("Waiting without an expiry = %+v, want Remaining %v", w, defaultDeviceLifetime)
	}
}

// TestDeviceSignInOutgrowsClockDrift: the sleeper's clock runs 30% fast
// against the server's, so the padded 6 s wait is 4.2 s for the server:
// slow_down. Each slow_down adds 5 s and 20 points of margin, until the
// polls are slow enough, and the sign-in succeeds.
func TestDeviceSignInOutgrowsClockDrift(t *testing.T) {
	srv, clk := startServer(t, oauthtest.Options{})
	clk.SetDrift(0.7)
	rec := &recorder{on: func(e Event) {
		if d, ok := e.(DeviceCode); ok {
			_ = srv.ApproveDevice(d.UserCode)
		}
	}}
	if _, err := clientOf(srv, clk).DeviceSignIn(bounded(t), Interaction{Events: rec.Events()}); err != nil {
		t.Fatalf("DeviceSignIn() = %v", err)
	}
	var waits []time.Duration
	for _, e := range rec.find("Waiting") {
		waits = append(waits, e.(Waiting).Interval)
	}
	// 5s+20% = 6s → slow_down → 10s+40% = 14s (9.8s < 10s) → slow_down
	// → 15s+60% = 24s (16.8s ≥ 15s) → token.
	want := []time.Duration{6 * time.Second, 14 * time.Second, 24 * time.Second}
	if !slices.Equal(waits, want) {
		t.Errorf("waits = %v, want %v", waits, want)
	}
}

func TestDeviceSignInCancels(t *testing.T) {
	srv, clk := startServer(t, oauthtest.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	rec := &recorder{on: func(e Event) {
		if _, ok := e.(Waiting); ok {
			if n++; n == 3 {
				cancel()
			}
		}
	}}
	_, err := clientOf(srv, clk).DeviceSignIn(ctx, Interaction{Events: rec.Events()})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("DeviceSignIn() = %v, want context.Canceled", err)
	}
}

// TestDeviceSignInAuthorizationDeclined: Microsoft's word for a refusal.
func TestDeviceSignInAuthorizationDeclined(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/devicecode" {
			io.WriteString(w, `{"user_code":"BKG99ZAF3","device_code":"BAQABAAEAAAC","verification_uri":"https://microsoft.com/devicelogin","expires_in":900,"interval":5,"message":"To sign in…"}`)
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":"authorization_declined","error_description":"AADSTS70000: The user declined.","error_codes":[70000]}`)
	}))
	defer ts.Close()
	clk := oauthtest.NewClock(epoch)
	c := Client{ClientID: "x", Endpoints: Endpoints{DeviceAuthorizationURL: ts.URL + "/devicecode", TokenURL: ts.URL + "/token"},
		Clock: Clock{Now: clk.Now, Sleep: clk.Sleep}}
	rec := &recorder{}
	_, err := c.DeviceSignIn(bounded(t), Interaction{Events: rec.Events()})
	if !errors.Is(err, ErrDenied) || !strings.Contains(err.Error(), "AADSTS70000") {
		t.Fatalf("DeviceSignIn() = %v", err)
	}
	if len(rec.find("Denied")) != 1 {
		t.Errorf("events = %v", rec.kinds())
	}
	if d := rec.find("DeviceCode")[0].(DeviceCode); d.VerificationURIComplete != "" {
		t.Errorf("DeviceCode = %+v", d)
	}
}

func TestDeviceSignInGoogleSpelling(t *testing.T) {
	srv, clk := startServer(t, oauthtest.Options{GoogleDevice: true})
	c := clientOf(srv, clk)
	c.ClientID, c.ClientSecret, c.Scopes = confidential, secretValue, []string{"openid"}
	rec := &recorder{on: func(e Event) {
		if d, ok := e.(DeviceCode); ok {
			_ = srv.ApproveDevice(d.UserCode)
		}
	}}
	if _, err := c.DeviceSignIn(bounded(t), Interaction{Events: rec.Events()}); err != nil {
		t.Fatalf("DeviceSignIn() = %v", err)
	}
	if d := rec.find("DeviceCode")[0].(DeviceCode); d.VerificationURI != srv.URL+"/device" || d.VerificationURIComplete != "" {
		t.Errorf("DeviceCode = %+v, want verification_url read as the URI", d)
	}
}

// TestDeviceSignInErrors: refusals other than RFC 8628's end the flow as
// *TokenError with the server's words.
func TestDeviceSignInErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Client)
		status int
		code   string
	}{
		{"no client_id", func(c *Client) { c.ClientID = "" }, 400, "invalid_request"},
		{"unknown client", func(c *Client) { c.ClientID = "nobody" }, 401, "invalid_client"},
		{"wrong secret", func(c *Client) { c.ClientID, c.ClientSecret = confidential, "wrong-secret" }, 401, "invalid_client"},
		{"scope not allowed", func(c *Client) { c.ClientID, c.ClientSecret, c.Scopes = confidential, secretValue, []string{"admin"} }, 400, "invalid_scope"},
		{"confidential client without its secret", func(c *Client) { c.ClientID, c.ClientSecret = confidential, "" }, 401, "invalid_client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, clk := startServer(t, oauthtest.Options{})
			c := clientOf(srv, clk)
			tc.change(&c)
			rec := &recorder{on: func(e Event) {
				if d, ok := e.(DeviceCode); ok {
					_ = srv.ApproveDevice(d.UserCode)
				}
			}}
			_, err := c.DeviceSignIn(bounded(t), Interaction{Events: rec.Events()})
			var te *TokenError
			if !errors.As(err, &te) || te.Status != tc.status || te.Code != tc.code {
				t.Fatalf("DeviceSignIn() = %v, want %d %s", err, tc.status, tc.code)
			}
			// Each of these is refused before any poll, by the device
			// authorization endpoint, and the error says so.
			if te.Endpoint != EndpointDeviceAuthorization || !strings.HasPrefix(err.Error(), "the device authorization endpoint answered") {
				t.Errorf("DeviceSignIn() = %q (endpoint %q), want it to name the device authorization endpoint", err, te.Endpoint)
			}
		})
	}
}

func TestDeviceSignInUnauthorizedClient(t *testing.T) {
	srv, clk := startServer(t, oauthtest.Options{Clients: []oauthtest.Client{{ID: publicID, GrantTypes: []string{"authorization_code"}}}})
	_, err := clientOf(srv, clk).DeviceSignIn(bounded(t), Interaction{})
	var te *TokenError
	if !errors.As(err, &te) || te.Code != "unauthorized_client" || te.Status != 400 {
		t.Fatalf("DeviceSignIn() = %v, want unauthorized_client", err)
	}
}

func TestDeviceSignInUnsupported(t *testing.T) {
	_, err := Client{Endpoints: Endpoints{TokenURL: "https://login.example.com/token"}}.DeviceSignIn(context.Background(), Interaction{})
	if !errors.Is(err, ErrUnsupported) {
		t.Fatalf("DeviceSignIn() = %v, want ErrUnsupported", err)
	}
}

func TestPadded(t *testing.T) {
	for _, tc := range []struct {
		interval time.Duration
		margin   float64
		want     time.Duration
	}{
		{5 * time.Second, 0.2, 6 * time.Second},
		{10 * time.Second, 0.4, 14 * time.Second},
		{time.Second, 1, 2 * time.Second},
	} {
		if got := padded(tc.interval, tc.margin); got != tc.want {
			t.Errorf("padded(%v, %v) = %v, want %v", tc.interval, tc.margin, got, tc.want)
		}
	}
}

// flakyToken serves srv, but drops the connection of the first n polls of
// the token endpoint, as a network hiccup would.
func flakyToken(t *testing.T, srv http.Handler, n int) string {
	t.Helper()
	var dropped int
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" && dropped < n {
			dropped++
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
			return
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

func TestDeviceSignInRidesOutNetworkHiccups(t *testing.T) {
	tests := []struct {
		name    string
		drops   int
		wantErr bool
	}{
		{"a few dropped polls", maxNetFailures, false},
		{"the server gone for good", maxNetFailures + 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, clk := startServer(t, oauthtest.Options{})
			c := clientOf(srv, clk)
			base := flakyToken(t, srv, tt.drops)
			c.Endpoints.DeviceAuthorizationURL = base + "/device_authorization"
			c.Endpoints.TokenURL = base + "/token"
			rec := &recorder{}
			rec.on = func(e Event) {
				if d, ok := e.(DeviceCode); ok {
					_ = srv.ApproveDevice(d.UserCode)
				}
			}
			_, err := c.DeviceSignIn(bounded(t), Interaction{Events: rec.Events()})
			var ne *NetworkError
			if tt.wantErr != (err != nil) || (tt.wantErr && !errors.As(err, &ne)) {
				t.Errorf("DeviceSignIn() = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}
