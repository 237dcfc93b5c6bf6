package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	gossh "golang.org/x/crypto/ssh"

	"github.com/tetherdev/tether/providers/audit"
	"github.com/tetherdev/tether/ui"
	"github.com/tetherdev/tether/ui/plain"
)

// watched is a buffer that wakes waiters on every write.
type watched struct {
	mu   sync.Mutex
	b    bytes.Buffer
	wake chan struct{}
}

func newWatched() *watched { return &watched{wake: make(chan struct{}, 1)} }

func (w *watched) Write(p []byte) (int, error) {
	w.mu.Lock()
	n, err := w.b.Write(p)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
	return n, err
}

func (w *watched) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// waitFor waits until the stripped text written matches every want (a
// failsafe ends a hung test; nothing is timed).
func (w *watched) waitFor(t *testing.T, wants ...string) string {
	t.Helper()
	return w.waitForIn(t, ansi.Strip, wants...)
}

// waitForRaw waits until the bytes written, escape sequences and all,
// hold every want.
func (w *watched) waitForRaw(t *testing.T, wants ...string) string {
	t.Helper()
	return w.waitForIn(t, func(s string) string { return s }, wants...)
}

func (w *watched) waitForIn(t *testing.T, view func(string) string, wants ...string) string {
	t.Helper()
	failsafe := time.NewTimer(2 * time.Minute)
	defer failsafe.Stop()
	for {
		s := view(w.String())
		ok := true
		for _, want := range wants {
			ok = ok && strings.Contains(s, want)
		}
		if ok {
			return s
		}
		select {
		case <-w.wake:
		case <-failsafe.C:
			t.Fatalf("output lacks %q:\n%s", wants, s)
		}
	}
}

func signer(t *testing.T) gossh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type served struct {
	stop          func() int // ends serve as SIGTERM does; its exit code
	addr          string
	admin, viewer gossh.Signer
	dir           string
	hostKey       gossh.PublicKey
}

// serve runs tether --sandbox serve in-process until the test ends, and
// checks that it then exits 0.
func serve(t *testing.T, flags ...string) *served {
	t.Helper()
	s := &served{dir: isolate(t), admin: signer(t), viewer: signer(t)}
	serveDir := filepath.Join(s.dir, "sandbox", "serve")
	if err := os.MkdirAll(serveDir, 0o700); err != nil {
		t.Fatal(err)
	}
	keys := `role="admin" ` + string(gossh.MarshalAuthorizedKey(s.admin.PublicKey())) + string(gossh.MarshalAuthorizedKey(s.viewer.PublicKey()))
	if err := os.WriteFile(filepath.Join(serveDir, "authorized_keys"), []byte(keys), 0o600); err != nil {
		t.Fatal(err)
	}
	ios, _, out, _ := plain.Test()
	errOut := newWatched()
	ios.ErrOut = errOut
	ctx, cancel := context.WithCancel(context.Background())
	code := make(chan int, 1)
	args := append([]string{"--sandbox", "serve", "--listen", "127.0.0.1:0"}, flags...)
	go func() { code <- runApp(ctx, &app{ios: ios}, args) }()
	log := errOut.waitFor(t, "listening on")
	m := regexp.MustCompile(`listening on (\S+); host key (SHA256:\S+)`).FindStringSubmatch(log)
	if m == nil {
		t.Fatalf("serve's first line does not name the address and fingerprint:\n%s", log)
	}
	s.addr = m[1]
	hk, err := os.ReadFile(filepath.Join(serveDir, "ssh_host_ed25519"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := gossh.ParsePrivateKey(hk)
	if err != nil {
		t.Fatal(err)
	}
	s.hostKey = h.PublicKey()
	if gossh.FingerprintSHA256(s.hostKey) != m[2] {
		t.Fatalf("printed fingerprint %s, host key's is %s", m[2], gossh.FingerprintSHA256(s.hostKey))
	}
	var once sync.Once
	exit := -1
	s.stop = func() int {
		once.Do(func() {
			cancel()
			exit = <-code
		})
		return exit
	}
	t.Cleanup(func() {
		if c := s.stop(); c != 0 {
			t.Errorf("serve exit = %d after its context ended, want 0; stderr:\n%s", c, errOut.String())
		}
		if out.Len() != 0 {
			t.Errorf("serve wrote to stdout: %q", out.String())
		}
	})
	return s
}

func (s *served) client(t *testing.T, key gossh.Signer) *gossh.Client {
	t.Helper()
	c, err := gossh.Dial("tcp", s.addr, &gossh.ClientConfig{User: "alice", Auth: []gossh.AuthMethod{gossh.PublicKeys(key)},
		HostKeyCallback: gossh.FixedHostKey(s.hostKey)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func (s *served) run(t *testing.T, key gossh.Signer, cmd string) result {
	t.Helper()
	r := s.runNoFatal(key, cmd)
	if r.err != nil {
		t.Fatalf("ssh %s: %v", cmd, r.err)
	}
	return result{code: r.code, stdout: r.stdout, stderr: r.stderr}
}

// TestServeCommandsWithoutPTY: an admin sets up and reads status --json
// over SSH with the real commands; a viewer verifies but cannot forget.
func TestServeCommandsWithoutPTY(t *testing.T) {
	s := serve(t)
	if r := s.run(t, s.admin, "setup auth0 --no-input"); r.code != 0 || strings.Count(r.stdout, "✓ granted") != 4 {
		t.Fatalf("admin setup: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r := s.run(t, s.admin, "status --json")
	if r.code != 0 || !strings.Contains(r.stdout, `"auth0"`) || !json.Valid([]byte(r.stdout)) {
		t.Fatalf("admin status --json: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = s.run(t, s.viewer, "verify --json")
	var doc plain.VerifyDocument
	if err := json.Unmarshal([]byte(r.stdout), &doc); r.code != 0 || err != nil || len(doc.Connections) != 1 || !doc.Connections[0].OK {
		t.Fatalf("viewer verify --json: exit %d, %v\n%s\n%s", r.code, err, r.stdout, r.stderr)
	}
	for _, cmd := range []string{"forget auth0/default --yes", "setup auth0 --no-input --replace"} {
		r = s.run(t, s.viewer, cmd)
		if r.code == 0 || !strings.Contains(r.stderr, "your key is a viewer") {
			t.Fatalf("viewer %s: exit %d, stderr %q; want refused", cmd, r.code, r.stderr)
		}
	}
	if r := s.run(t, s.viewer, "status --json"); !strings.Contains(r.stdout, `"auth0"`) {
		t.Fatalf("the connection is gone after the viewer's forget:\n%s", r.stdout)
	}
	log, err := os.ReadFile(filepath.Join(s.dir, "sandbox", "serve", "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, line := range strings.Split(strings.TrimSpace(string(log)), "\n") {
		var e audit.Record
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		actions = append(actions, strings.TrimSpace(e.Role+" "+e.Action+" "+e.Connection+" "+e.Outcome+" "+e.Detail))
	}
	if len(actions) == 0 || !strings.HasPrefix(actions[0], "serve  ok listening on ") || !strings.Contains(actions[0], "host key SHA256:") {
		t.Fatalf("the audit log does not begin with where the server listens and its host key:\n%s", log)
	}
	actions = actions[1:]
	want := []string{"admin setup auth0/default ok", "admin status  ok", "viewer verify  ok",
		"viewer denied auth0/default refused forget", "viewer denied auth0/default refused setup", "viewer status  ok"}
	if strings.Join(actions, "\n") != strings.Join(want, "\n") {
		t.Fatalf("audit =\n%s\nwant\n%s", strings.Join(actions, "\n"), strings.Join(want, "\n"))
	}
}

// TestServeWizardSession: with a PTY the session is the wizard's Home,
// sized to the client; a viewer's forget is refused in the wizard.
func TestServeWizardSession(t *testing.T) {
	s := serve(t)
	if r := s.run(t, s.admin, "setup auth0 --no-input"); r.code != 0 {
		t.Fatalf("admin setup: exit %d\n%s", r.code, r.stderr)
	}
	for _, tc := range []struct {
		name  string
		key   gossh.Signer
		keys  string
		wants []string
	}{
		{"admin", s.admin, "r", []string{"4 granted · 0 missing", "sandbox ◆"}},
		{"viewer", s.viewer, "jjjd", []string{ui.ReadOnlyNotice}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sess, err := s.client(t, tc.key).NewSession()
			if err != nil {
				t.Fatal(err)
			}
			defer sess.Close()
			out := newWatched()
			sess.Stdout = out
			in, err := sess.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := sess.Setenv("NO_COLOR", "1"); err != nil {
				t.Logf("setenv refused: %v", err)
			}
			if err := sess.RequestPty("xterm-256color", 30, 100, gossh.TerminalModes{}); err != nil {
				t.Fatal(err)
			}
			if err := sess.Shell(); err != nil {
				t.Fatal(err)
			}
			out.waitFor(t, "Auth0", "4/4 verified")
			if tc.keys != "" {
				if _, err := in.Write([]byte(tc.keys)); err != nil {
					t.Fatal(err)
				}
			}
			out.waitFor(t, tc.wants...)
			if _, err := in.Write([]byte("q")); err != nil {
				t.Fatal(err)
			}
			if err := sess.Wait(); err != nil {
				t.Fatalf("session ended with %v, want exit 0", err)
			}
		})
	}
	// The admin verified the connections from Home: the verification is
	// recorded under that key (the viewer only looked).
	log, err := os.ReadFile(filepath.Join(s.dir, "sandbox", "serve", "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	verified := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(log)), "\n") {
		var r audit.Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		if r.Action == "verify" && r.Connection == "auth0/default" && r.Outcome == audit.OK && r.Detail == "verdict ok" && r.SSHUser != "" {
			verified[r.Role] = true
		}
	}
	if !verified["admin"] || verified["viewer"] {
		t.Fatalf("the audit log's wizard verifications: admin %v, viewer %v; want the admin's only:\n%s", verified["admin"], verified["viewer"], log)
	}
}

func TestServeRefusesBadFlags(t *testing.T) {
	isolate(t)
	for _, tc := range []struct{ args, want string }{
		{"--listen nowhere", "--listen \"nowhere\": want HOST:PORT"},
		{"--max-sessions -1", "--max-sessions -1: want 0 (no cap) or more"},
		{"--sessions-per-minute -2", "--sessions-per-minute -2: want 0 (no limit) or more"},
		{"--idle-timeout -1s", "--idle-timeout -1s: want 0 (never) or a positive duration"},
		{"--max-timeout -1s", "--max-timeout -1s: want 0 (never) or a positive duration"},
		{"--authorized-keys /nonexistent/keys --listen 127.0.0.1:0", "the authorized keys file"},
	} {
		r := tether(t, "", nil, append([]string{"serve"}, strings.Fields(tc.args)...)...)
		if r.code == 0 || !oneLine(r.stderr, tc.want) {
			t.Errorf("tether serve %s = %d, %q; want one line with %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}

// TestServeShutdownTellsSessions: when serve is stopped, an open wizard
// session is told and ends, and serve exits 0.
func TestServeShutdownTellsSessions(t *testing.T) {
	s := serve(t)
	sess, err := s.client(t, s.viewer).NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	out := newWatched()
	sess.Stdout = out
	if err := sess.RequestPty("xterm", 24, 80, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	out.waitFor(t, "Auth0", "not connected")
	if c := s.stop(); c != 0 {
		t.Fatalf("serve exit = %d, want 0", c)
	}
	out.waitFor(t, "the server is stopping; your session has ended")
	_ = sess.Wait()
}

// TestServeErrorsHideServerPaths: an error an SSH user sees names no
// path of the server's; the operator's log keeps what happened.
func TestServeErrorsHideServerPaths(t *testing.T) {
	s := serve(t)
	// The file store's directory is a file: every setup fails, with an
	// error that names the server's paths.
	if err := os.WriteFile(filepath.Join(s.dir, "sandbox", "credentials"), []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := s.run(t, s.admin, "setup auth0 --no-input")
	if r.code == 0 {
		t.Fatalf("setup succeeded with a file for the store's directory:\n%s", r.stdout)
	}
	if strings.Contains(r.stderr, s.dir) || strings.Contains(r.stdout, s.dir) {
		t.Fatalf("the SSH user was shown the server's path %s:\n%s\n%s", s.dir, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "<the server's tether directory>") {
		t.Fatalf("the error does not say where, in the server's terms:\n%s", r.stderr)
	}
}

func TestScrub(t *testing.T) {
	dir := isolate(t)
	home, _ := os.UserHomeDir()
	for _, tc := range []struct{ in, want string }{
		{"creating " + filepath.Join(dir, "credentials", "x") + ": denied", "creating <the server's tether directory>/credentials/x: denied"},
		{"no path here", "no path here"},
		{"read " + filepath.Join(home, ".ssh", "id"), "read <the server's home>/.ssh/id"},
	} {
		if got := scrub(tc.in); got != tc.want {
			t.Errorf("scrub(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestServeClipboardGoesToItsSession: a copy in one wizard session (the
// fix link, by OSC 52) is written to that session's terminal only.
func TestServeClipboardGoesToItsSession(t *testing.T) {
	s := serve(t, "--sandbox-deny", "auth0:read:logs")
	if r := s.run(t, s.admin, "setup auth0 --no-input"); r.code == 0 || !strings.Contains(r.stdout, "✗") {
		t.Fatalf("admin setup with read:logs denied: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	open := func(key gossh.Signer) (*gossh.Session, io.Writer, *watched) {
		t.Helper()
		sess, err := s.client(t, key).NewSession()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sess.Close() })
		out := newWatched()
		sess.Stdout = out
		in, err := sess.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := sess.RequestPty("xterm-256color", 30, 100, gossh.TerminalModes{}); err != nil {
			t.Fatal(err)
		}
		if err := sess.Shell(); err != nil {
			t.Fatal(err)
		}
		out.waitFor(t, "Auth0")
		return sess, in, out
	}
	adminSess, adminIn, adminOut := open(s.admin)
	viewerSess, viewerIn, viewerOut := open(s.viewer)
	// Verify all: Auth0's is the only connection.
	if _, err := adminIn.Write([]byte("r")); err != nil {
		t.Fatal(err)
	}
	adminOut.waitFor(t, "1 missing", "r re-check") // the checks are done
	if _, err := adminIn.Write([]byte("u")); err != nil {
		t.Fatal(err)
	}
	adminOut.waitFor(t, "fix link to your clipboard")
	// The copy is written apart from the frame that shows its note, so it
	// may come just after it.
	const osc52 = "\x1b]52;c;"
	adminOut.waitForRaw(t, osc52)
	// The viewer's session draws a frame after the admin's copy, so that
	// anything sent its way would have arrived by then.
	if _, err := viewerIn.Write([]byte("j")); err != nil {
		t.Fatal(err)
	}
	viewerOut.waitFor(t, "Auth0")
	for _, in := range []io.Writer{adminIn, viewerIn} {
		if _, err := in.Write([]byte("q")); err != nil {
			t.Fatal(err)
		}
	}
	_ = adminSess.Wait()
	_ = viewerSess.Wait()
	if strings.Contains(viewerOut.String(), osc52) {
		t.Fatalf("the viewer's terminal got the admin's copy:\n%q", viewerOut.String())
	}
}
