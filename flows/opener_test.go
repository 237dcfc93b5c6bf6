package flows

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tetherdev/tether/flows/oauthtest"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestSystemBrowser(t *testing.T) {
	for _, tc := range []struct {
		name      string
		goos      string
		env       map[string]string
		noBrowser bool
		want      Opener
	}{
		{"linux desktop", "linux", map[string]string{"DISPLAY": ":0"}, false, PlatformOpener{}},
		{"linux wayland", "linux", map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, false, PlatformOpener{}},
		{"linux headless", "linux", nil, false, NoBrowser{Reason: "there is no graphical display (DISPLAY and WAYLAND_DISPLAY are unset)"}},
		{"linux headless with BROWSER", "linux", map[string]string{"BROWSER": "w3m"}, false, BrowserCommand{Value: "w3m"}},
		{"macOS", "darwin", nil, false, PlatformOpener{}},
		{"windows", "windows", nil, false, PlatformOpener{}},
		{"ssh", "linux", map[string]string{"DISPLAY": ":0", "SSH_CONNECTION": "10.0.0.1 5000 10.0.0.2 22"}, false, nil},
		{"ssh with BROWSER", "darwin", map[string]string{"BROWSER": "open", "SSH_TTY": "/dev/pts/1"}, false, nil},
		{"no browser asked", "darwin", nil, true, NoBrowser{Reason: "opening a browser was turned off"}},
	} {
		got := systemBrowser(tc.goos, envOf(tc.env), tc.noBrowser)
		if tc.want == nil {
			if nb, ok := got.(NoBrowser); !ok || !strings.Contains(nb.Reason, "SSH") {
				t.Errorf("%s: got %#v, want NoBrowser for SSH", tc.name, got)
			}
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %#v, want %#v", tc.name, got, tc.want)
		}
	}
}

func TestBrowserArgs(t *testing.T) {
	const u = "https://x.example/a?b=c&d=e"
	for _, tc := range []struct {
		line string
		want []string
	}{
		{"firefox", []string{"firefox", u}},
		{"firefox --new-tab", []string{"firefox", "--new-tab", u}},
		{"open -a Safari %s", []string{"open", "-a", "Safari", u}},
		{"echo 100%% --url=%s", []string{"echo", "100%", "--url=" + u}},
		{"  ", nil},
	} {
		if got := browserArgs(tc.line, u); len(got)+len(tc.want) > 0 && !reflect.DeepEqual(got, tc.want) {
			t.Errorf("browserArgs(%q) = %q, want %q", tc.line, got, tc.want)
		}
	}
}

// script writes an executable shell script.
func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "browser.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBrowserCommand(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	out := filepath.Join(t.TempDir(), "url")
	writer := script(t, `printf '%s' "$1" > `+out)
	const u = "http://127.0.0.1:1234/?state=s&x=1"
	failed, err := (BrowserCommand{Value: writer}).Start(u)
	if err != nil {
		t.Fatalf("Start() = %v", err)
	}
	if err, ok := <-failed; ok {
		t.Fatalf("a command that exits 0 failed: %v", err)
	}
	if got, _ := os.ReadFile(out); string(got) != u {
		t.Errorf("the command got %q, want the URL as one argument", got)
	}

	// A command that fails after it started is reported on the channel.
	failing := script(t, "echo 'no display' >&2; exit 3")
	failed, err = (BrowserCommand{Value: failing}).Start(u)
	if err != nil {
		t.Fatalf("Start(failing) = %v, want it started", err)
	}
	if err, ok := <-failed; !ok || !strings.Contains(err.Error(), "no display") || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("Start(failing) reported %v, %v", err, ok)
	}

	// The first entry is missing, the second works.
	if err := (BrowserCommand{Value: "/nonexistent/browser" + string(os.PathListSeparator) + writer}).Open(u); err != nil {
		t.Errorf("Open(fallback) = %v", err)
	}
	if err := (BrowserCommand{Value: "/nonexistent/browser"}).Open(u); err == nil {
		t.Error("Open(missing) succeeded")
	}
	if err := (BrowserCommand{Value: " : "}).Open(u); err == nil {
		t.Error("Open(no command) succeeded")
	}
}

func TestNoBrowser(t *testing.T) {
	err := NoBrowser{Reason: "no display"}.Open("https://x.example")
	var nb *NoBrowserError
	if !errors.As(err, &nb) || !strings.Contains(err.Error(), "no display") {
		t.Errorf("Open() = %v", err)
	}
}

// startedThenFailed is a Starter whose browser starts, then fails.
type startedThenFailed struct{ failed chan error }

func (s startedThenFailed) Open(string) error {
	return errors.New("Open is not used when Start is there")
}
func (s startedThenFailed) Start(string) (<-chan error, error) {
	return s.failed, nil
}

// TestBrowserSignInBrowserFailsLate: a browser that started and then
// failed turns the wait into a paste: the admin sees the URL and may
// paste the redirect.
func TestBrowserSignInBrowserFailsLate(t *testing.T) {
	srv, clk := startServer(t, oauthtest.Options{})
	browser := startedThenFailed{failed: make(chan error, 1)}
	paste := make(chan string)
	rec := &recorder{}
	rec.on = func(e Event) {
		switch e := e.(type) {
		case BrowserOpened:
			browser.failed <- errors.New("w3m: exit status 1")
		case AwaitingRedirect:
			if e.Paste {
				go func() { paste <- consent(t, e.URL, "approve") }()
			}
		}
	}
	in := Interaction{Events: rec.Events(), Browser: browser, Paste: paste}
	if _, err := clientOf(srv, clk).BrowserSignIn(bounded(t), in); err != nil {
		t.Fatalf("BrowserSignIn() = %v", err)
	}
	want := []string{"BrowserOpened", "AwaitingRedirect", "BrowserUnavailable", "AwaitingRedirect", "RedirectReceived", "Approved"}
	if got := rec.kinds(); !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
	if u := rec.find("BrowserUnavailable")[0].(BrowserUnavailable); !strings.Contains(u.Reason, "w3m") || u.URL == "" {
		t.Errorf("BrowserUnavailable = %+v, want the URL and why", u)
	}
}
