package flows

import (
	"context"
	"crypto/rsa"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetherdev/tether/flows/oauthtest"
)

type openerFunc func(string) error

func (f openerFunc) Open(u string) error { return f(u) }

// noFollow is a Browser client that stops at the redirect to the
// loopback server, like a browser on another machine.
var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// consent approves (or denies) authURL's consent page without following
// the redirect, and returns the redirect URL.
func consent(t *testing.T, authURL, decision string) string {
	t.Helper()
	b := &oauthtest.Browser{Client: noFollow, Decision: decision}
	_ = b.Open(authURL)
	visits, err := b.Wait()
	if err != nil || len(visits) != 1 || visits[0].Location == "" {
		t.Fatalf("consent: %v %+v", err, visits)
	}
	return visits[0].Location
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestBrowserSignInApproved(t *testing.T) {
	srv, clk := startServer(t, oauthtest.Options{})
	b := &oauthtest.Browser{}
	rec := &recorder{}
	tok, err := clientOf(srv, clk).BrowserSignIn(bounded(t), Interaction{Events: rec.Events(), Browser: b})
	if err != nil {
		t.Fatalf("BrowserSignIn() = %v", err)
	}
	if g, ok := srv.Lookup(tok.AccessToken); !ok || !slices.Equal(g.Scopes, []string{"openid", "read"}) {
		t.Errorf("Lookup = %+v, %v", g, ok)
	}
	if tok.RefreshToken == "" || tok.Extra("id_token") == nil {
		t.Errorf("token lacks a refresh token or an ID token")
	}
	want := []string{"BrowserOpened", "AwaitingRedirect", "RedirectReceived", "Approved"}
	if got := rec.kinds(); !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
	aw := rec.find("AwaitingRedirect")[0].(AwaitingRedirect)
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+/$`).MatchString(aw.RedirectURI) || aw.Paste || !aw.ExpiresAt.Equal(epoch.Add(10*time.Minute)) {
		t.Errorf("AwaitingRedirect = %+v", aw)
	}
	au, _ := url.Parse(aw.URL)
	q := au.Query()
	if q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 || len(q.Get("state")) < 26 {
		t.Errorf("authorization URL lacks PKCE S256 or a random state: %s", aw.URL)
	}
	visits, err := b.Wait()
	if err != nil || len(visits) != 1 || visits[0].Status != 200 || !strings.Contains(visits[0].Body, `data-result="success"`) {
		t.Errorf("the browser saw %+v, %v; want the success page", visits, err)
	}
}

func TestBrowserSignInDenied(t *testing.T) {
	srv, clk := startServer(t, oauthtest.Options{})
	b := &oauthtest.Browser{Decision: "deny"}
	rec := &recorder{}
	tok, err := clientOf(srv, clk).BrowserSignIn(bounded(t), Interaction{Events: rec.Events(), Browser: b})
	var ae *AuthorizationError
	if tok != nil || !errors.Is(err, ErrDenied) || !errors.As(err, &ae) || ae.Description != "The user denied the request" {
		t.Fatalf("BrowserSignIn() = %v, %v; want access_denied with the server's words", tok, err)
	}
	if len(rec.find("Denied")) != 1 {
		t.Errorf("events = %v", rec.kinds())
	}
	visits, _ := b.Wait()
	if len(visits) != 1 || visits[0].Status != 400 || !strings.Contains(visits[0].Body, `data-result="failure"`) || !strings.Contains(visits[0].Body, "declined") {
		t.Errorf("the browser saw %+v, want the failure page", visits)
	}
}

// TestBrowserSignInRefusesAWrongState: a redirect with another state (a
// forgery, or an old tab) is refused, reported, never exchanged, and the
// sign-in goes on to succeed with the right one.
func TestBrowserSignInRefusesAWrongState(t *testing.T) {
	srv, clk := startServer(t, oauthtest.Options{})
	b := &oauthtest.Browser{}
	var forged struct {
		status int
		body   string
	}
	done := make(chan struct{})
	op := openerFunc(func(u string) error {
		au, _ := url.Parse(u)
		go func() {
			defer close(done)
			forged.status, forged.body = get(t, au.Query().Get("redirect_uri")+"?state=forged&code=code_stolen")
			_ = b.Open(u)
		}()
		return nil
	})
	rec := &recorder{}
	tok, err := clientOf(srv, clk).BrowserSignIn(bounded(t), Interaction{Events: rec.Events(), Browser: op})
	<-done
	if err != nil || tok == nil {
		t.Fatalf("BrowserSignIn() = %v", err)
	}
	if forged.status != 400 || !strings.Contains(forged.body, "another sign-in") {
		t.Errorf("the forged redirect got %d %q", forged.status, forged.body)
	}
	want := []string{"BrowserOpened", "AwaitingRedirect", "RedirectRejected", "RedirectReceived", "Approved"}
	if got := rec.kinds(); !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
}

// TestBrowserSignInOneRedirectOnly: a second redirect while the first is
// being exchanged is refused and reported; after the sign-in, replaying
// the redirect finds nothing listening.
func TestBrowserSignInOneRedirectOnly(t *testing.T) {
	srv, clk := startServer(t, oauthtest.Options{})
	arrived, release := make(chan struct{}), make(chan struct{})
	gate := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-release
		srv.ServeHTTP(w, r)
	}))
	defer gate.Close()
	c := clientOf(srv, clk)
	c.Endpoints.TokenURL = gate.URL + "/token"

	var callback string
	var second, first struct {
		status int
		body   string
	}
	var wg sync.WaitGroup
	op := openerFunc(func(u string) error {
		wg.Add(1)
		go func() {
			defer wg.Done()
			callback = consent(t, u, "approve")
			var inner sync.WaitGroup
			inner.Add(1)
			go func() { defer inner.Done(); first.status, first.body = get(t, callback) }()
			<-arrived
			second.status, second.body = get(t, callback)
			close(release)
			inner.Wait()
		}()
		return nil
	})
	rec := &recorder{}
	tok, err := c.BrowserSignIn(bounded(t), Interaction{Events: rec.Events(), Browser: op})
	wg.Wait()
	if err != nil || tok == nil {
		t.Fatalf("BrowserSignIn() = %v", err)
	}
	if first.status != 200 || second.status != 409 || !strings.Contains(second.body, "already") {
		t.Errorf("first redirect %d, second %d %q", first.status, second.status, second.body)
	}
	if r := rec.find("RedirectRejected"); len(r) != 1 || !strings.Contains(r[0].(RedirectRejected).Reason, "second redirect") {
		t.Errorf("RedirectRejected = %v", r)
	}
	if _, err := http.Get(callback); err == nil {
		t.Error("a replayed redirect reached a server after the sign-in")
	}
}

// TestBrowserSignInPaste: with no browser, the admin pastes the final
// URL; wrong pastes are refused without quoting them.
func TestBrowserSignInPaste(t *testing.T) {
	srv, clk := startServer(t, oauthtest.Options{})
	paste := make(chan string)
	rec := &recorder{}
	rec.on = func(e Event) {
		aw, ok := e.(AwaitingRedirect)
		if !ok {
			return
		}
		go func() {
			redirect := consent(t, aw.URL, "approve")
			u, _ := url.Parse(redirect)
			other := *u
			q := other.Query()
			q.Set("state", "not-this-one")
			other.RawQuery = q.Encode()
			evil := *u
			evil.Host = "evil.example:" + u.Port()
			for _, p := range []string{"not a URL at all", evil.String(), other.String(), "  " + redirect + "\n"} {
				paste <- p
			}
		}()
	}
	tok, err := clientOf(srv, clk).BrowserSignIn(bounded(t), Interaction{Events: rec.Events(), Paste: paste})
	if err != nil || tok == nil {
		t.Fatalf("BrowserSignIn() = %v", err)
	}
	want := []string{"BrowserUnavailable", "AwaitingRedirect", "RedirectRejected", "RedirectReceived", "Approved"}
	if got := rec.kinds(); !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
	if aw := rec.find("AwaitingRedirect")[0].(AwaitingRedirect); !aw.Paste {
		t.Errorf("AwaitingRedirect = %+v, want Paste", aw)
	}
	rejected := rec.find("RedirectRejected")
	if len(rejected) != 3 {
		t.Errorf("%d pastes refused, want 3", len(rejected))
	}
	for _, r := range rejected {
		if strings.Contains(r.(RedirectRejected).Reason, "code_") {
			t.Errorf("a refusal quotes the code: %q", r)
		}
	}
}

// TestBrowserSignInPasteStillAcceptsLoopback: waiting for a paste, the
// loopback redirect is still accepted.
func TestBrowserSignInPasteStillAcceptsLoopback(t *testing.T) {
	srv, clk := startServer(t, oauthtest.Options{})
	rec := &recorder{}
	rec.on = func(e Event) {
		if aw, ok := e.(AwaitingRedirect); ok {
			go func() { _, _ = http.Get(consent(t, aw.URL, "approve")) }()
		}
	}
	in := Interaction{Events: rec.Events(), Browser: NoBrowser{Reason: "this is a test"}, Paste: make(chan string)}
	if _, err := clientOf(srv, clk).BrowserSignIn(bounded(t), in); err != nil {
		t.Fatalf("BrowserSignIn() = %v", err)
	}
	if u := rec.find("BrowserUnavailable")[0].(BrowserUnavailable); !strings.Contains(u.Reason, "this is a test") {
		t.Errorf("BrowserUnavailable = %+v", u)
	}
}

func TestBrowserSignInTimesOut(t *testing.T) {
	srv, clk := startServer(t, oauthtest.Options{})
	c := clientOf(srv, clk)
	c.Loopback.Timeout = 30 * time.Millisecond
	rec := &recorder{}
	_, err := c.BrowserSignIn(bounded(t), Interaction{Events: rec.Events()})
	var te *TimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("BrowserSignIn() = %v, want a *TimeoutError", err)
	}
	if len(rec.find("Expired")) != 1 {
		t.Errorf("events = %v", rec.kinds())
	}
}

func TestBrowserSignInCancels(t *testing.T) {
	srv, clk := startServer(t, oauthtest.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	rec := &recorder{on: func(e Event) {
		if _, ok := e.(AwaitingRedirect); ok {
			cancel()
		}
	}}
	if _, err := clientOf(srv, clk).BrowserSignIn(ctx, Interaction{Events: rec.Events()}); !errors.Is(err, context.Canceled) {
		t.Fatalf("BrowserSignIn() = %v, want context.Canceled", err)
	}
}

func freePort(t *testing.T) (int, net.Listener) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln.Addr().(*net.TCPAddr).Port, ln
}

// TestBrowserSignInFixedPort: a registered http://127.0.0.1/callback
// matches any port (RFC 8252 §7.3), here a fixed one.
func TestBrowserSignInFixedPort(t *testing.T) {
	srv, clk := startServer(t, oauthtest.Options{})
	port, ln := freePort(t)
	ln.Close()
	c := clientOf(srv, clk)
	c.Loopback = Loopback{Port: port, Path: "callback"}
	rec := &recorder{}
	if _, err := c.BrowserSignIn(bounded(t), Interaction{Events: rec.Events(), Browser: &oauthtest.Browser{}}); err != nil {
		t.Fatalf("BrowserSignIn() = %v", err)
	}
	if aw := rec.find("AwaitingRedirect")[0].(AwaitingRedirect); aw.RedirectURI != "http://127.0.0.1:"+strconv.Itoa(port)+"/callback" {
		t.Errorf("RedirectURI = %s", aw.RedirectURI)
	}

	busy, ln := freePort(t)
	defer ln.Close()
	c.Loopback.Port = busy
	if _, err := c.BrowserSignIn(bounded(t), Interaction{}); err == nil || !strings.Contains(err.Error(), strconv.Itoa(busy)) {
		t.Errorf("BrowserSignIn() on a busy port = %v", err)
	}
}

// TestBrowserSignInBusyFixedPortPasted: with no browser on this machine
// (an SSH session), a fixed port another sign-in holds does not stop the
// sign-in: the redirect to that port comes back pasted.
func TestBrowserSignInBusyFixedPortPasted(t *testing.T) {
	srv, clk := startServer(t, oauthtest.Options{})
	busy, ln := freePort(t)
	defer ln.Close()
	c := clientOf(srv, clk)
	c.Loopback = Loopback{Port: busy, Path: "callback"}
	paste := make(chan string, 1)
	rec := &recorder{}
	rec.on = func(e Event) {
		if aw, ok := e.(AwaitingRedirect); ok {
			go func() { paste <- consent(t, aw.URL, "approve") }()
		}
	}
	tok, err := c.BrowserSignIn(bounded(t), Interaction{Events: rec.Events(), Paste: paste})
	if err != nil || tok == nil {
		t.Fatalf("BrowserSignIn() on a busy port, pasted = %v", err)
	}
	aw := rec.find("AwaitingRedirect")[0].(AwaitingRedirect)
	if want := "http://127.0.0.1:" + strconv.Itoa(busy) + "/callback"; aw.RedirectURI != want || !aw.Paste {
		t.Errorf("AwaitingRedirect = %+v, want %s and a paste", aw, want)
	}
	if p := rec.find("Progress"); len(p) == 0 || !strings.Contains(p[0].(Progress).Message, "in use") {
		t.Errorf("the sign-in does not say the port is in use: %v", rec.kinds())
	}
}

// TestBrowserSignInUnregisteredRedirect: the server shows an error page
// and never redirects; the flow times out.
func TestBrowserSignInUnregisteredRedirect(t *testing.T) {
	srv, clk := startServer(t, oauthtest.Options{})
	c := clientOf(srv, clk)
	c.Loopback = Loopback{Path: "/other", Timeout: 100 * time.Millisecond}
	b := &oauthtest.Browser{}
	_, err := c.BrowserSignIn(bounded(t), Interaction{Browser: b})
	var te *TimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("BrowserSignIn() = %v", err)
	}
	if _, err := b.Wait(); err == nil || !strings.Contains(err.Error(), "Redirect URI mismatch") {
		t.Errorf("browser error = %v", err)
	}
}

func TestBrowserSignInPrivateKeyJWT(t *testing.T) {
	key := testKey(t)
	clk := oauthtest.NewClock(epoch)
	srv := oauthtest.Start(oauthtest.Options{Now: clk.Now, Clients: testClients(key.Public())})
	defer srv.Close()
	c := clientOf(srv, clk)
	c.ClientID = keyClientID
	c.Assertion = &Assertion{Key: key, Now: clk.Now}
	tok, err := c.BrowserSignIn(bounded(t), Interaction{Browser: &oauthtest.Browser{}})
	if err != nil {
		t.Fatalf("BrowserSignIn() = %v", err)
	}
	if g, ok := srv.Lookup(tok.AccessToken); !ok || g.ClientID != keyClientID {
		t.Errorf("Lookup = %+v %v", g, ok)
	}
}

// TestBrowserSignInIssuerMixUp: a redirect naming another issuer (RFC
// 9207) is refused.
func TestBrowserSignInIssuerMixUp(t *testing.T) {
	srv, clk := startServer(t, oauthtest.Options{})
	c := clientOf(srv, clk)
	c.Endpoints.Issuer = "https://other.example"
	b := &oauthtest.Browser{}
	_, err := c.BrowserSignIn(bounded(t), Interaction{Browser: b})
	if err == nil || !strings.Contains(err.Error(), "issuer") {
		t.Fatalf("BrowserSignIn() = %v", err)
	}
	b.Wait()
}

var testKeyOnce struct {
	sync.Once
	k *rsa.PrivateKey
}

func testKey(t *testing.T) *rsa.PrivateKey {
	testKeyOnce.Do(func() {
		k, err := GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		testKeyOnce.k = k
	})
	return testKeyOnce.k
}

// TestBrowserSignInCancelsDuringExchange: cancelled while the code is
// being exchanged, the sign-in returns, and the browser gets a page.
func TestBrowserSignInCancelsDuringExchange(t *testing.T) {
	srv, clk := startServer(t, oauthtest.Options{})
	arrived, release := make(chan struct{}), make(chan struct{})
	gate := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-release
	}))
	defer gate.Close()
	defer close(release)
	c := clientOf(srv, clk)
	c.Endpoints.TokenURL = gate.URL + "/token"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	status := make(chan int, 1)
	op := openerFunc(func(u string) error {
		go func() {
			callback := consent(t, u, "approve")
			go func() { <-arrived; cancel() }()
			s, _ := get(t, callback)
			status <- s
		}()
		return nil
	})
	if _, err := c.BrowserSignIn(ctx, Interaction{Browser: op}); !errors.Is(err, context.Canceled) {
		t.Fatalf("BrowserSignIn() = %v, want context.Canceled", err)
	}
	select {
	case s := <-status:
		if s != http.StatusServiceUnavailable {
			t.Errorf("the browser got %d", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the browser got no page")
	}
}
