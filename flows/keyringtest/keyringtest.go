// Package keyringtest starts a real Secret Service for tests: a private
// D-Bus session bus and a gnome-keyring-daemon on it with an unlocked
// "login" collection, in a temporary home, so that tests exercise the OS
// keyring exactly as a desktop session provides it, and read back what
// tether stored with secret-tool.
//
// When the programs are missing, tests skip, except under CI=true, where
// they fail: CI installs them (.ci/run).
package keyringtest

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// Session is a running Secret Service.
type Session struct {
	// Env holds DBUS_SESSION_BUS_ADDRESS and the temporary home's
	// variables, to pass to child processes.
	Env []string
	// Address is the bus address.
	Address string
}

// Require fails the test under CI=true when a program is missing, and
// skips it otherwise.
func Require(t testing.TB, programs ...string) {
	t.Helper()
	for _, p := range programs {
		if _, err := exec.LookPath(p); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not installed; .ci/run installs it", p)
			}
			t.Skipf("%s is not installed (apt-get install gnome-keyring dbus libsecret-tools); skipping", p)
		}
	}
}

// Start starts a bus and a keyring daemon for the test; both stop when the
// test ends.
func Start(t testing.TB) *Session {
	t.Helper()
	Require(t, "dbus-daemon", "gnome-keyring-daemon", "secret-tool")
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	data := filepath.Join(dir, "data")
	for _, d := range []string{run, data} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	bus := exec.CommandContext(ctx, "dbus-daemon", "--session", "--nofork", "--nopidfile",
		"--address=unix:path="+filepath.Join(dir, "bus"), "--print-address=1")
	out, err := bus.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := bus.Start(); err != nil {
		cancel()
		t.Fatalf("starting dbus-daemon: %v", err)
	}
	t.Cleanup(func() { cancel(); _ = bus.Wait() })
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the bus address: %v", err)
	}
	s := &Session{Address: strings.TrimSpace(addr)}
	s.Env = []string{
		"DBUS_SESSION_BUS_ADDRESS=" + s.Address,
		"HOME=" + dir,
		"XDG_DATA_HOME=" + data,
		"XDG_RUNTIME_DIR=" + run,
	}
	gk := exec.CommandContext(ctx, "gnome-keyring-daemon", "--foreground", "--components=secrets", "--unlock")
	gk.Env = append(os.Environ(), s.Env...)
	gk.Stdin = strings.NewReader("tether-test-keyring-password")
	if err := gk.Start(); err != nil {
		t.Fatalf("starting gnome-keyring-daemon: %v", err)
	}
	t.Cleanup(func() { cancel(); _ = gk.Wait() })
	// Wait until the daemon has made the unlocked login collection (its
	// file appears) and owns org.freedesktop.secrets (a lookup answers).
	deadline := time.Now().Add(15 * time.Second)
	login := filepath.Join(data, "keyrings", "login.keyring")
	for {
		if _, err := os.Stat(login); err == nil {
			if _, err := s.SecretTool("lookup", "service", "keyringtest-ready", "username", "none"); err == nil || isNotFound(err) {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("gnome-keyring-daemon did not come up on %s", s.Address)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// isNotFound: secret-tool lookup exits 1 with no output when nothing
// matches, which means the service answered.
func isNotFound(err error) bool {
	ee, ok := err.(*exec.ExitError)
	return ok && ee.ExitCode() == 1 && len(ee.Stderr) == 0
}

// SecretTool runs secret-tool with args in the session and returns its
// stdout.
func (s *Session) SecretTool(args ...string) (string, error) {
	cmd := exec.Command("secret-tool", args...)
	cmd.Env = append(os.Environ(), s.Env...)
	out, err := cmd.Output()
	return string(out), err
}

// Lookup returns the secret stored under service and username, or "".
func (s *Session) Lookup(service, username string) string {
	out, err := s.SecretTool("lookup", "service", service, "username", username)
	if err != nil {
		return ""
	}
	return out
}

// Accounts returns the usernames of every item stored under service.
func (s *Session) Accounts(service string) []string {
	// secret-tool prints the attributes of what it finds on stderr.
	cmd := exec.Command("secret-tool", "search", "--all", "service", service)
	cmd.Env = append(os.Environ(), s.Env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	_ = cmd.Run()
	var names []string
	for _, line := range strings.Split(stderr.String(), "\n") {
		if v, ok := strings.CutPrefix(line, "attribute.username = "); ok {
			names = append(names, v)
		}
	}
	return names
}

// Lock locks the "login" collection, as a screen lock or a timeout does:
// every later call fails once its unlock prompt, which a test session
// cannot show, is dismissed.
func (s *Session) Lock(t testing.TB) {
	t.Helper()
	conn, err := dbus.Connect(s.Address)
	if err != nil {
		t.Fatalf("connecting to %s: %v", s.Address, err)
	}
	defer conn.Close()
	var locked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	login := dbus.ObjectPath("/org/freedesktop/secrets/collection/login")
	err = conn.Object("org.freedesktop.secrets", "/org/freedesktop/secrets").
		Call("org.freedesktop.Secret.Service.Lock", 0, []dbus.ObjectPath{login}).Store(&locked, &prompt)
	if err != nil || len(locked) != 1 || locked[0] != login {
		t.Fatalf("locking the login collection: locked %v, prompt %v, %v", locked, prompt, err)
	}
}
