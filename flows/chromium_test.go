//go:build unix

package flows_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/remote"
	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/flows/oauthtest"
	"golang.org/x/oauth2"
)

// These tests sign in through a real headless Chromium that tether opens
// itself, through $BROWSER, as an admin's browser: a wrapper script starts
// Chromium in its own session with a DevTools port, the test attaches to
// the tab tether opened and clicks Approve, and the token ends up in a
// FileStore. Outside CI a missing Chromium skips them; under CI=true it
// fails them (.ci/run must install the Debian package chromium).

// requireChromium returns the path of Chromium.
func requireChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed; CI must install it (apt-get install chromium)")
	}
	t.Skip("chromium is not installed (apt-get install chromium); skipping the end-to-end browser test")
	return ""
}

// chromiumHarness is the $BROWSER wrapper and what it leaves behind.
type chromiumHarness struct {
	dir    string // holds the script, the profile, the pid and the log
	script string
}

func newChromiumHarness(t *testing.T) *chromiumHarness {
	t.Helper()
	chromium := requireChromium(t)
	dir, err := os.MkdirTemp("", "tether-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	h := &chromiumHarness{dir: dir, script: filepath.Join(dir, "browser.sh")}
	// setsid gives Chromium a process group of its own, which cleanup
	// kills whole; the script returns at once, as xdg-open does.
	body := fmt.Sprintf(`#!/bin/sh
dir=%q
setsid %q --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$dir/profile" --remote-debugging-port=0 "$1" \
  >"$dir/chromium.log" 2>&1 </dev/null &
echo $! >"$dir/chromium.pid"
`, dir, chromium)
	if err := os.WriteFile(h.script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.cleanup)
	return h
}

func (h *chromiumHarness) cleanup() {
	if b, err := os.ReadFile(filepath.Join(h.dir, "chromium.pid")); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 1 {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	// Chromium's helpers may write for a moment after the kill.
	for range 40 {
		if os.RemoveAll(h.dir) == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// opener is how tether opens a browser here: SystemBrowser with $BROWSER
// set to the wrapper, in an environment that is not an SSH session.
func (h *chromiumHarness) opener(t *testing.T) flows.Opener {
	t.Setenv("BROWSER", h.script)
	return flows.SystemBrowser(func(k string) string {
		if strings.HasPrefix(k, "SSH_") {
			return ""
		}
		return os.Getenv(k)
	}, false)
}

// tab attaches to the tab Chromium opened on a URL starting with prefix.
func (h *chromiumHarness) tab(ctx context.Context, t *testing.T, prefix string) context.Context {
	t.Helper()
	var port string
	for port == "" {
		b, _ := os.ReadFile(filepath.Join(h.dir, "profile", "DevToolsActivePort"))
		port, _, _ = strings.Cut(string(b), "\n")
		if port == "" {
			h.pause(ctx, t, "Chromium's DevTools port")
		}
	}
	alloc, cancel := remote.NewAllocator(ctx, "http://127.0.0.1:"+port+"/")
	t.Cleanup(cancel)
	browser, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	for {
		infos, err := chromedp.Targets(browser)
		if err != nil {
			t.Fatalf("listing Chromium's tabs: %v", err)
		}
		for _, in := range infos {
			if in.Type == "page" && strings.HasPrefix(in.URL, prefix) {
				tab, cancel := chromedp.NewContext(browser, chromedp.WithTargetID(in.TargetID))
				t.Cleanup(cancel)
				return tab
			}
		}
		h.pause(ctx, t, "a tab on "+prefix)
	}
}

func (h *chromiumHarness) pause(ctx context.Context, t *testing.T, what string) {
	t.Helper()
	select {
	case <-ctx.Done():
		log, _ := os.ReadFile(filepath.Join(h.dir, "chromium.log"))
		t.Fatalf("waiting for %s: %v\nchromium.log:\n%.2000s", what, ctx.Err(), log)
	case <-time.After(50 * time.Millisecond):
	}
}

type signInResult struct {
	tok *oauth2.Token
	err error
}

// awaitAndStore waits for the sign-in, and stores its token in a FileStore.
func awaitAndStore(ctx context.Context, t *testing.T, srv *oauthtest.Server, res <-chan signInResult) {
	t.Helper()
	var r signInResult
	select {
	case r = <-res:
	case <-ctx.Done():
		t.Fatalf("the sign-in did not finish: %v", ctx.Err())
	}
	if r.err != nil {
		t.Fatalf("sign-in: %v", r.err)
	}
	dir := t.TempDir()
	store, err := flows.OpenFileStoreWithIdentity(filepath.Join(dir, "credentials"), filepath.Join(dir, "identity.txt"))
	if err != nil {
		t.Fatal(err)
	}
	key := flows.Key{Provider: "generic", Name: "chromium"}
	if err := flows.SaveToken(ctx, store, key, r.tok); err != nil {
		t.Fatal(err)
	}
	sec, err := store.Load(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := flows.SecretToken(sec)
	if err != nil || tok == nil {
		t.Fatalf("stored token: %v %v", tok, err)
	}
	if _, ok := srv.Lookup(tok.AccessToken); !ok || tok.RefreshToken == "" {
		t.Errorf("the stored token is not the emulator's: refresh token set %v", tok.RefreshToken != "")
	}
}

func TestChromiumBrowserSignIn(t *testing.T) {
	h := newChromiumHarness(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	srv := oauthtest.Start(oauthtest.Options{Clients: []oauthtest.Client{
		{ID: "tether-cli", Name: "tether", RedirectURIs: []string{"http://127.0.0.1/callback"}},
	}})
	defer srv.Close()
	c := flows.Client{
		Endpoints: flows.Endpoints{Issuer: srv.URL, AuthorizationURL: srv.URL + "/authorize", TokenURL: srv.URL + "/token"},
		ClientID:  "tether-cli",
		Scopes:    []string{"openid", "read"},
		Loopback:  flows.Loopback{Path: "/callback", Timeout: 80 * time.Second},
	}
	op := h.opener(t)
	opened := make(chan string, 1)
	res := make(chan signInResult, 1)
	go func() {
		tok, err := c.BrowserSignIn(ctx, flows.Interaction{Browser: op, Events: func(e flows.Event) {
			switch e := e.(type) {
			case flows.BrowserOpened:
				opened <- e.URL
			case flows.BrowserUnavailable:
				opened <- "unavailable: " + e.Reason
			}
		}})
		res <- signInResult{tok, err}
	}()
	if u := <-opened; !strings.HasPrefix(u, srv.URL+"/authorize?") {
		t.Fatalf("the browser was not opened on the consent page: %s", u)
	}

	tab := h.tab(ctx, t, srv.URL+"/authorize")
	if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.ID("approve")), chromedp.Click(chromedp.ID("approve"))); err != nil {
		t.Fatalf("clicking Approve: %v", err)
	}
	awaitAndStore(ctx, t, srv, res)
	text, err := chromedp.Run(tab, chromedp.Text(chromedp.ID("result")))
	if err != nil || !strings.Contains(text, "Signed in") {
		t.Errorf("the loopback page says %q (%v), want the success page", text, err)
	}
}

func TestChromiumDeviceSignIn(t *testing.T) {
	h := newChromiumHarness(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// A one-second interval keeps the real-clock polling short.
	srv := oauthtest.Start(oauthtest.Options{Clients: []oauthtest.Client{{ID: "tether-cli"}}, Interval: time.Second})
	defer srv.Close()
	c := flows.Client{
		Endpoints: flows.Endpoints{Issuer: srv.URL, TokenURL: srv.URL + "/token", DeviceAuthorizationURL: srv.URL + "/device_authorization"},
		ClientID:  "tether-cli",
		Scopes:    []string{"openid"},
	}
	op := h.opener(t)
	codes := make(chan string, 1)
	res := make(chan signInResult, 1)
	go func() {
		tok, err := c.DeviceSignIn(ctx, flows.Interaction{Browser: op, Events: func(e flows.Event) {
			if d, ok := e.(flows.DeviceCode); ok {
				codes <- d.UserCode
			}
		}})
		res <- signInResult{tok, err}
	}()
	var userCode string
	select {
	case userCode = <-codes:
	case r := <-res:
		t.Fatalf("DeviceSignIn() ended early: %v", r.err)
	}

	tab := h.tab(ctx, t, srv.URL+"/device")
	prefilled, err := chromedp.Run(tab, chromedp.Value(chromedp.ID("user_code")))
	if err != nil || prefilled != userCode {
		t.Errorf("the verification page shows the code %q (%v), want %q from verification_uri_complete", prefilled, err, userCode)
	}
	if err := chromedp.Do(tab, chromedp.Click(chromedp.ID("approve"))); err != nil {
		t.Fatalf("clicking Approve: %v", err)
	}
	awaitAndStore(ctx, t, srv, res)
	msg, err := chromedp.Run(tab, chromedp.Text(chromedp.ID("message")))
	if err != nil || !strings.Contains(msg, "approved") {
		t.Errorf("the verification page says %q (%v)", msg, err)
	}
}
