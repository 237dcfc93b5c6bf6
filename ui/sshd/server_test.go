package sshd

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/tetherdev/tether/providers/audit"
	"github.com/tetherdev/tether/ui"
)

// testServer is a Server on a loopback port with an admin and a viewer
// key, whose Exec records what it ran.
type testServer struct {
	*Server
	addr          string
	admin, viewer gossh.Signer
	dir           string
	log           *syncBuffer

	mu   sync.Mutex
	runs [][]string
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startServer(t *testing.T, mod func(*Config)) *testServer {
	t.Helper()
	ts := &testServer{admin: newSigner(t), viewer: newSigner(t), dir: t.TempDir(), log: &syncBuffer{}}
	keys := filepath.Join(ts.dir, "authorized_keys")
	data := `role="admin" ` + authLine(ts.admin) + " admin@laptop\n" + authLine(ts.viewer) + " viewer@laptop\n"
	if err := os.WriteFile(keys, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		HostKeyPath:        filepath.Join(ts.dir, "host", "ssh_host_ed25519"),
		AuthorizedKeysPath: keys,
		Audit:              &audit.Log{Path: filepath.Join(ts.dir, "audit.log")},
		Log:                ts.log,
		Deps: func(context.Context, Identity, Hooks) (ui.Deps, func(), error) {
			return ui.Deps{}, nil, errors.New("no wizard in these tests")
		},
		Exec: func(ctx context.Context, id Identity, args, env []string, in io.Reader, out, errOut io.Writer) int {
			ts.mu.Lock()
			ts.runs = append(ts.runs, args)
			ts.mu.Unlock()
			fmt.Fprintf(out, `{"role":%q,"args":%q}`+"\n", id.Role, strings.Join(args, " "))
			fmt.Fprintln(errOut, "progress on stderr")
			return 3
		},
	}
	if mod != nil {
		mod(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		if err := srv.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-done; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve = %v, want ErrServerClosed", err)
		}
	})
	ts.Server, ts.addr = srv, ln.Addr().String()
	return ts
}

func (ts *testServer) dial(t *testing.T, auth ...gossh.AuthMethod) (*gossh.Client, error) {
	t.Helper()
	hostKey, err := os.ReadFile(ts.cfg.HostKeyPath)
	if err != nil {
		t.Fatal(err)
	}
	hk, err := gossh.ParsePrivateKey(hostKey)
	if err != nil {
		t.Fatal(err)
	}
	return gossh.Dial("tcp", ts.addr, &gossh.ClientConfig{
		User: "alice", Auth: auth, HostKeyCallback: gossh.FixedHostKey(hk.PublicKey()),
	})
}

// run runs cmd without a PTY as signer and returns its output and exit
// code.
func (ts *testServer) run(t *testing.T, signer gossh.Signer, cmd string) (stdout, stderr string, code int) {
	t.Helper()
	c, err := ts.dial(t, gossh.PublicKeys(signer))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	var out, errOut bytes.Buffer
	sess.Stdout, sess.Stderr = &out, &errOut
	err = sess.Run(cmd)
	var exit *gossh.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitStatus()
	case err != nil:
		t.Fatalf("Run(%q): %v", cmd, err)
	}
	return out.String(), errOut.String(), code
}

func (ts *testServer) auditLines(t *testing.T) []audit.Record {
	t.Helper()
	f, err := os.Open(filepath.Join(ts.dir, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var es []audit.Record
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e audit.Record
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		es = append(es, e)
	}
	return es
}

func TestUnknownKeyAndPasswordAreRefused(t *testing.T) {
	ts := startServer(t, nil)
	stranger := newSigner(t)
	for name, auth := range map[string]gossh.AuthMethod{
		"unknown key": gossh.PublicKeys(stranger),
		"password":    gossh.Password("hunter2"),
		"keyboard-interactive": gossh.KeyboardInteractive(func(string, string, []string, []bool) ([]string, error) {
			return []string{"hunter2"}, nil
		}),
	} {
		t.Run(name, func(t *testing.T) {
			c, err := ts.dial(t, auth)
			if err == nil {
				c.Close()
				t.Fatal("dial succeeded, want refused")
			}
		})
	}
	if !strings.Contains(ts.log.String(), gossh.FingerprintSHA256(stranger.PublicKey())) {
		t.Errorf("server log does not name the refused key:\n%s", ts.log.String())
	}
	if strings.Contains(ts.log.String(), "hunter2") {
		t.Error("a password reached the server log")
	}
}

func TestCommandsWithoutPTY(t *testing.T) {
	ts := startServer(t, nil)
	for _, tc := range []struct {
		name     string
		signer   gossh.Signer
		cmd      string
		code     int
		out, err string
	}{
		{"admin status", ts.admin, "status --json", 3, `{"role":"admin","args":"status --json"}`, "progress on stderr"},
		{"viewer verify", ts.viewer, "verify --json", 3, `{"role":"viewer","args":"verify --json"}`, "progress on stderr"},
		{"viewer setup", ts.viewer, "setup auth0", 1, "", "your key is a viewer: setup needs an admin key"},
		{"viewer forget", ts.viewer, "forget auth0/default --yes", 1, "", "your key is a viewer: forget needs an admin key"},
		{"admin reset", ts.admin, "reset", 1, "", `"reset" cannot be run over SSH`},
		{"admin server flag", ts.admin, "status --sandbox", 1, "", "--sandbox is chosen by the server"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := ts.run(t, tc.signer, tc.cmd)
			if code != tc.code || strings.TrimSpace(out) != tc.out || !strings.Contains(errOut, tc.err) {
				t.Fatalf("ssh %q = %d, %q, %q; want %d, %q, %q", tc.cmd, code, out, errOut, tc.code, tc.out, tc.err)
			}
		})
	}
	ts.mu.Lock()
	runs := len(ts.runs)
	ts.mu.Unlock()
	if runs != 2 {
		t.Fatalf("Exec ran %d times, want 2 (refused commands never run)", runs)
	}
	adminFP := gossh.FingerprintSHA256(ts.admin.PublicKey())
	viewerFP := gossh.FingerprintSHA256(ts.viewer.PublicKey())
	admin, viewer := string(RoleAdmin), string(RoleViewer)
	want := []audit.Record{
		{KeyFingerprint: adminFP, Role: admin, Action: ActionStatus, Outcome: "exit 3"},
		{KeyFingerprint: viewerFP, Role: viewer, Action: ActionVerify, Outcome: "exit 3"},
		{KeyFingerprint: viewerFP, Role: viewer, Action: ActionDenied, Connection: "auth0/default", Outcome: audit.Refused, Detail: "setup"},
		{KeyFingerprint: viewerFP, Role: viewer, Action: ActionDenied, Connection: "auth0/default", Outcome: audit.Refused, Detail: "forget"},
		{KeyFingerprint: adminFP, Role: admin, Action: ActionDenied, Outcome: audit.Refused, Detail: "reset"},
		{KeyFingerprint: adminFP, Role: admin, Action: ActionDenied, Outcome: audit.Refused, Detail: "status"},
	}
	got := ts.auditLines(t)
	if len(got) != len(want) {
		t.Fatalf("audit has %d lines, want %d: %+v", len(got), len(want), got)
	}
	for i, g := range got {
		w := want[i]
		if g.KeyFingerprint != w.KeyFingerprint || g.Role != w.Role || g.Action != w.Action || g.Connection != w.Connection ||
			g.Outcome != w.Outcome || g.Detail != w.Detail || g.SSHUser != "alice" || g.User == "" || g.Time.IsZero() || g.Remote == "" ||
			(g.Outcome == audit.Refused) != (g.Reason != "") {
			t.Errorf("audit line %d = %+v, want %+v (SSH user alice, the server's user, a time, a remote, a reason when refused)", i, g, w)
		}
	}
}

// TestHostKeyPersisted: the host key is made once, 0600, and the same
// key (and fingerprint) is served after a restart.
func TestHostKeyPersisted(t *testing.T) {
	ts := startServer(t, nil)
	fi, err := os.Stat(ts.cfg.HostKeyPath)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("host key mode = %04o, want 0600", fi.Mode().Perm())
	}
	if !strings.HasPrefix(ts.Fingerprint(), "SHA256:") {
		t.Fatalf("Fingerprint() = %q, want SHA256:...", ts.Fingerprint())
	}
	again, err := New(ts.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if again.Fingerprint() != ts.Fingerprint() {
		t.Fatalf("after a restart Fingerprint() = %q, want %q", again.Fingerprint(), ts.Fingerprint())
	}
	if err := os.Chmod(ts.cfg.HostKeyPath, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := New(ts.cfg); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("New with a 0644 host key = %v, want a chmod 600 error", err)
	}
}

// TestAuthorizedKeysReloaded: a key removed from the file cannot start a
// new session, and a refused line is reported once with its line number.
func TestAuthorizedKeysReloaded(t *testing.T) {
	ts := startServer(t, nil)
	if _, _, code := ts.run(t, ts.viewer, "status"); code != 3 {
		t.Fatalf("viewer status exit = %d, want 3", code)
	}
	data := `role="admin" ` + authLine(ts.admin) + "\n" + `role="root" ` + authLine(ts.viewer) + "\n"
	if err := os.WriteFile(ts.cfg.AuthorizedKeysPath, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err := ts.dial(t, gossh.PublicKeys(ts.viewer)); err == nil {
		c.Close()
		t.Fatal("a key refused in the reloaded file still connects")
	}
	if _, _, code := ts.run(t, ts.admin, "status"); code != 3 {
		t.Fatalf("admin status exit = %d, want 3", code)
	}
	if n := strings.Count(ts.log.String(), "line 2:"); n != 1 {
		t.Fatalf("the refused line is reported %d times, want once:\n%s", n, ts.log.String())
	}
}

func TestMaxSessions(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.MaxSessions = 1 })
	release := make(chan struct{})
	started := make(chan struct{})
	ts.cfg.Exec = func(ctx context.Context, id Identity, args, env []string, in io.Reader, out, errOut io.Writer) int {
		close(started)
		<-release
		return 0
	}
	c, err := ts.dial(t, gossh.PublicKeys(ts.admin))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	first, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Start("status"); err != nil {
		t.Fatal(err)
	}
	<-started
	_, errOut, code := ts.run(t, ts.viewer, "status")
	close(release)
	if code != 1 || !strings.Contains(errOut, "maximum of 1 sessions") {
		t.Fatalf("second session = %d, %q; want refused for the cap", code, errOut)
	}
	if err := first.Wait(); err != nil {
		t.Fatalf("first session: %v", err)
	}
}

// TestSessionRateIsPerKey: a key that opened its sessions of the minute
// is refused, with when to try again, while another key is not; a
// refill lets it in again.
func TestSessionRateIsPerKey(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	ts := startServer(t, func(c *Config) {
		c.SessionsPerMinute = 2
		c.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	})
	for i, tc := range []struct {
		signer  gossh.Signer
		advance time.Duration
		code    int
		err     string
	}{
		{ts.admin, 0, 3, "progress on stderr"},
		{ts.admin, 0, 3, "progress on stderr"},
		{ts.admin, 0, 1, "your key opened its 2 sessions of the last minute; try again in 30s"},
		{ts.viewer, 0, 3, "progress on stderr"},
		{ts.admin, 29 * time.Second, 1, "try again in 1s"},
		{ts.admin, time.Second, 3, "progress on stderr"},
	} {
		mu.Lock()
		now = now.Add(tc.advance)
		mu.Unlock()
		_, errOut, code := ts.run(t, tc.signer, "status --json")
		if code != tc.code || !strings.Contains(errOut, tc.err) {
			t.Fatalf("session %d: exit %d, stderr %q; want %d and %q", i, code, errOut, tc.code, tc.err)
		}
	}
	var limited int
	for _, r := range ts.auditLines(t) {
		if r.Action == ActionDenied && strings.Contains(r.Reason, "sessions of the last minute") {
			limited++
		}
	}
	if limited != 2 {
		t.Fatalf("audit has %d rate-limit refusals, want 2", limited)
	}
}

// TestChangedKeysEndOpenSessions: a session whose key is removed from
// authorized_keys, or whose role changes, is ended and told why; the
// others go on.
func TestChangedKeysEndOpenSessions(t *testing.T) {
	started := make(chan string, 3)
	ts := startServer(t, func(c *Config) {
		c.KeysCheck = time.Hour // checked below by hand
		c.Exec = func(ctx context.Context, id Identity, args, env []string, in io.Reader, out, errOut io.Writer) int {
			started <- string(id.Role)
			<-ctx.Done()
			return 130
		}
	})
	third := newSigner(t)
	keys := filepath.Join(ts.dir, "authorized_keys")
	write := func(data string) {
		t.Helper()
		if err := os.WriteFile(keys+".new", []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(keys+".new", keys); err != nil {
			t.Fatal(err)
		}
	}
	write(`role="admin" ` + authLine(ts.admin) + "\n" + authLine(ts.viewer) + "\n" + authLine(third) + "\n")

	type ended struct {
		stderr string
		code   int
	}
	results := map[string]chan ended{}
	for name, k := range map[string]gossh.Signer{"admin": ts.admin, "viewer": ts.viewer, "third": third} {
		ch := make(chan ended, 1)
		results[name] = ch
		go func() {
			_, errOut, code := ts.run(t, k, "status --json")
			ch <- ended{errOut, code}
		}()
	}
	for range 3 {
		<-started
	}
	// The admin's key is removed and the viewer's becomes an admin's;
	// the third key stays as it was.
	write(`role="admin" ` + authLine(ts.viewer) + "\n" + authLine(third) + "\n")
	ts.revalidate()
	for name, want := range map[string]string{
		"admin":  "your key was removed from this server's authorized keys",
		"viewer": "your key's role changed to admin; connect again to continue",
	} {
		r := <-results[name]
		if !strings.Contains(r.stderr, want) || r.code == 0 {
			t.Errorf("%s's session: exit %d, stderr %q; want it ended with %q", name, r.code, r.stderr, want)
		}
	}
	select {
	case r := <-results["third"]:
		t.Fatalf("the third key's session ended too: %+v", r)
	default:
	}
	// Its turn now, so that no session outlives the test.
	write(`role="admin" ` + authLine(ts.viewer) + "\n")
	ts.revalidate()
	if r := <-results["third"]; !strings.Contains(r.stderr, "your key was removed") {
		t.Errorf("the third session, once its key was removed: %+v", r)
	}
	if !strings.Contains(ts.log.String(), "ended the session of") {
		t.Errorf("the server log does not say which sessions it ended:\n%s", ts.log.String())
	}
}
