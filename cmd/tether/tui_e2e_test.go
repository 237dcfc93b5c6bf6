package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tmux drives the built binary on a real terminal.
type tmux struct {
	t    *testing.T
	sock string
}

func requireTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed; .ci/run installs it", name)
		}
		t.Skipf("%s is not installed; skipping", name)
	}
}

// startTmux runs command in a detached 80x24 tmux session of its own.
func startTmux(t *testing.T, command string) *tmux {
	t.Helper()
	requireTool(t, "tmux")
	tm := &tmux{t: t, sock: filepath.Join(t.TempDir(), "tmux.sock")}
	tm.run("new-session", "-d", "-x", "80", "-y", "24", "-s", "e2e", command)
	t.Cleanup(func() { _ = exec.Command("tmux", "-S", tm.sock, "kill-server").Run() })
	return tm
}

func (tm *tmux) run(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", tm.sock}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (tm *tmux) screen(flags ...string) string {
	return tm.run(append([]string{"capture-pane", "-p", "-t", "e2e"}, flags...)...)
}

func (tm *tmux) keys(keys ...string) {
	tm.t.Helper()
	for _, k := range keys {
		tm.run("send-keys", "-t", "e2e", k)
		time.Sleep(60 * time.Millisecond) // a person's pace; the wizard moves focus between keys
	}
}

// waitFor polls the screen until it shows every want.
func (tm *tmux) waitFor(wants ...string) string {
	tm.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := tm.screen()
		ok := true
		for _, w := range wants {
			ok = ok && strings.Contains(s, w)
		}
		if ok {
			return s
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("the screen never showed %q:\n%s", wants, s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestTUIInTmux types through a whole Auth0 setup in the real binary on a
// terminal, with read:logs withheld by the sandbox: the checklist shows it
// missing with its fix, the grant is restored in the sandbox tenant, a
// re-check turns it green, and Home shows the connection verified.
func TestTUIInTmux(t *testing.T) {
	dir := t.TempDir()
	exit := filepath.Join(dir, "exit")
	cmd := "env -u DBUS_SESSION_BUS_ADDRESS TERM=xterm-256color TETHER_CONFIG_DIR=" + dir + " " + binary +
		" --sandbox --sandbox-deny auth0:read:logs; echo $? > " + exit
	tm := startTmux(t, cmd)

	tm.waitFor("Auth0", "not connected", "sandbox ◆")
	tm.keys("Down", "Down", "Down", "Enter")
	tm.waitFor("Auth0 · step 1 of 5 · what will be granted", "read:user_logs")
	tm.keys("Enter")
	tm.waitFor("step 2 of 5 · how to connect")
	tm.keys("Enter")
	tm.waitFor("step 3 of 5 · in the console", "Create a Machine to Machine application")
	tm.keys("Enter")
	tm.waitFor("step 4 of 5 · credentials", "tether-demo.us.auth0.com")
	tm.keys("Enter", "Enter", "Enter", "Enter")
	s := tm.waitFor("step 5 of 5 · verifying", "✓ read:users", "✗ read:logs", "fix: tick read:logs", "3 granted · 1 missing")
	if strings.Contains(s, "sandbox-only-demo-secret") {
		t.Fatal("the secret is on the screen")
	}
	tm.keys("f")
	tm.waitFor("granted in the sandbox tenant")
	tm.keys("r")
	tm.waitFor("✓ read:logs", "4 granted · 0 missing")
	tm.keys("Enter")
	tm.waitFor("Auth0 · saved", "re-verify   tether --sandbox verify auth0/default")
	tm.keys("Enter")
	tm.waitFor("✓ 4/4 verified just now")
	tm.keys("q")

	deadline := time.Now().Add(10 * time.Second)
	for {
		if data, err := os.ReadFile(exit); err == nil {
			if strings.TrimSpace(string(data)) != "0" {
				t.Fatalf("tether exited %s", data)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("tether did not exit on q")
		}
		time.Sleep(100 * time.Millisecond)
	}
	r := exe(t, []string{"TETHER_CONFIG_DIR=" + dir}, "", "--sandbox", "status", "--json")
	if !strings.Contains(r.stdout, `"verdict": "ok"`) || !strings.Contains(r.stdout, `"credential": "file: present"`) {
		t.Errorf("after the wizard, status --json:\n%s", r.stdout)
	}
}

// TestTUINoColor: with NO_COLOR the wizard draws no colour, and meaning
// stays in symbols and words.
func TestTUINoColor(t *testing.T) {
	dir := t.TempDir()
	tm := startTmux(t, "env NO_COLOR=1 TERM=xterm-256color TETHER_CONFIG_DIR="+dir+" "+binary+" --sandbox")
	tm.waitFor("not connected")
	raw := tm.screen("-e")
	for _, sgr := range []string{"\x1b[38;", "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[34m", "\x1b[35m"} {
		if strings.Contains(raw, sgr) {
			t.Errorf("NO_COLOR screen has colour %q:\n%q", sgr, raw)
		}
	}
	tm.keys("C-c")
}
