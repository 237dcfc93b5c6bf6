package main

import (
	"encoding/json"
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
	dir  string // where the command's exit code and stderr land
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

// startTmux runs tether with args (and env) in a detached tmux session of
// its own, of the given size, on a fresh config dir unless env names one.
func startTmux(t *testing.T, width, height string, env []string, args ...string) *tmux {
	t.Helper()
	return startTmuxStderr(t, true, width, height, env, args...)
}

// startTmuxStderr is startTmux, with stderr kept on the terminal unless
// toFile (accessible mode prompts there).
func startTmuxStderr(t *testing.T, toFile bool, width, height string, env []string, args ...string) *tmux {
	t.Helper()
	requireTool(t, "tmux")
	tm := &tmux{t: t, sock: filepath.Join(t.TempDir(), "tmux.sock"), dir: t.TempDir()}
	redirect := ""
	if toFile {
		redirect = " 2>" + filepath.Join(tm.dir, "stderr")
	}
	command := "env -u DBUS_SESSION_BUS_ADDRESS TERM=xterm-256color " + strings.Join(env, " ") + " " + binary + " " +
		strings.Join(args, " ") + redirect + "; echo $? > " + filepath.Join(tm.dir, "exit")
	tm.run("new-session", "-d", "-x", width, "-y", height, "-s", "e2e", command)
	t.Cleanup(func() { _ = exec.Command("tmux", "-S", tm.sock, "kill-server").Run() })
	return tm
}

// startTmuxCommand runs a shell command (not the tether binary) in a new
// 80x24 tmux session.
func startTmuxCommand(t *testing.T, command string) *tmux {
	t.Helper()
	requireTool(t, "tmux")
	tm := &tmux{t: t, sock: filepath.Join(t.TempDir(), "tmux.sock"), dir: t.TempDir()}
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

// keys sends each key with a send-keys of its own, one after another.
func (tm *tmux) keys(keys ...string) {
	tm.t.Helper()
	for _, k := range keys {
		tm.run("send-keys", "-t", "e2e", k)
	}
}

// burst sends every key in one tmux command, with no pause between them,
// as a paste or an SSH connection delivers keys. A key "text:…" is typed
// literally; "paste:…" is pasted (bracketed, as a terminal pastes).
func (tm *tmux) burst(keys ...string) {
	tm.t.Helper()
	var args []string
	for i, k := range keys {
		if i > 0 {
			args = append(args, ";")
		}
		if text, ok := strings.CutPrefix(k, "text:"); ok {
			args = append(args, "send-keys", "-t", "e2e", "-l", text)
		} else if text, ok := strings.CutPrefix(k, "paste:"); ok {
			args = append(args, "set-buffer", "-b", "burst", text, ";", "paste-buffer", "-p", "-d", "-b", "burst", "-t", "e2e")
		} else {
			args = append(args, "send-keys", "-t", "e2e", k)
		}
	}
	tm.run(args...)
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

// onAuth0 waits for Home and moves its cursor down to Auth0, one row at
// a time, each move seen on the screen: the cursor starts on the first
// provider tether can connect, which need not be Auth0.
func (tm *tmux) onAuth0(wants ...string) string {
	tm.t.Helper()
	tm.waitFor("sandbox ◆", "not connected")
	selected := func(s string) string {
		for _, line := range strings.Split(s, "\n") {
			if strings.Contains(line, "▸ ") {
				return line
			}
		}
		return ""
	}
	for i := 0; i < 12; i++ {
		s := tm.screen()
		if strings.Contains(s, "▸ Auth0") {
			break
		}
		before := selected(s)
		tm.keys("Down")
		deadline := time.Now().Add(5 * time.Second)
		for selected(tm.screen()) == before && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
	}
	return tm.waitFor(append([]string{"▸ Auth0"}, wants...)...)
}

// exited waits for tether to exit and returns its code and stderr.
func (tm *tmux) exited() (string, string) {
	tm.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if data, err := os.ReadFile(filepath.Join(tm.dir, "exit")); err == nil && strings.HasSuffix(string(data), "\n") {
			stderr, _ := os.ReadFile(filepath.Join(tm.dir, "stderr"))
			return strings.TrimSpace(string(data)), string(stderr)
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("tether did not exit:\n%s", tm.screen())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// statusOf returns `tether --sandbox status --json` for a config dir,
// with its times taken out, to compare two runs.
func statusOf(t *testing.T, dir string) string {
	t.Helper()
	r := exe(t, []string{"TETHER_CONFIG_DIR=" + dir}, "", "--sandbox", "status", "--json")
	var v any
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("status --json: %v\n%s", err, r.stdout)
	}
	var strip func(any) any
	strip = func(v any) any {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if k == "at" || strings.HasSuffix(k, "_at") {
					delete(v, k)
					continue
				}
				v[k] = strip(e)
			}
		case []any:
			for i, e := range v {
				v[i] = strip(e)
			}
		}
		return v
	}
	out, _ := json.MarshalIndent(strip(v), "", "  ")
	return string(out)
}

// TestTUIInTmux types through a whole Auth0 setup in the real binary on a
// terminal, one key at a time and waiting for each screen, with read:logs
// withheld by the sandbox: the checklist shows it missing with its fix,
// the grant is restored in the sandbox tenant, a re-check turns it green,
// and Home shows the connection verified.
func TestTUIInTmux(t *testing.T) {
	dir := t.TempDir()
	tm := startTmux(t, "80", "24", []string{"TETHER_CONFIG_DIR=" + dir}, "--sandbox", "--sandbox-deny", "auth0:read:logs")

	tm.onAuth0("not connected", "sandbox ◆")
	tm.keys("Enter")
	tm.waitFor("Auth0 · step 1 of 5 · what will be granted", "read:user_logs")
	tm.keys("Enter")
	tm.waitFor("step 2 of 5 · how to connect")
	tm.keys("Enter")
	tm.waitFor("step 3 of 5 · in the console", "Create a Machine to Machine application")
	tm.keys("Enter")
	tm.waitFor("step 4 of 5 · credentials", "tether-demo.us.auth0.com")
	tm.keys("Enter", "Enter", "Enter", "Enter")
	s := tm.waitFor("step 5 of 5 · verified", "✓ read:users", "✗ read:logs", "fix: tick read:logs", "3 granted · 1 missing")
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

	if code, stderr := tm.exited(); code != "0" {
		t.Fatalf("tether exited %s: %s", code, stderr)
	}
	r := exe(t, []string{"TETHER_CONFIG_DIR=" + dir}, "", "--sandbox", "status", "--json")
	if !strings.Contains(r.stdout, `"verdict": "ok"`) || !strings.Contains(r.stdout, `"credential": "file: present"`) {
		t.Errorf("after the wizard, status --json:\n%s", r.stdout)
	}
}

// TestTUIBurstTyping types the same setup in bursts, each a single tmux
// command with no pause between keys (the whole wizard in the first, the
// client id pasted again within it and followed at once by enter), and
// wants what slow typing gives: the same screens and the same saved
// connection.
func TestTUIBurstTyping(t *testing.T) {
	slowDir, burstDir := t.TempDir(), t.TempDir()
	slow := startTmux(t, "80", "24", []string{"TETHER_CONFIG_DIR=" + slowDir}, "--sandbox")
	slow.onAuth0()
	for _, screen := range []struct{ key, want string }{
		{"Enter", "step 1 of 5"}, {"Enter", "step 2 of 5"}, {"Enter", "step 3 of 5"}, {"Enter", "step 4 of 5"},
	} {
		slow.keys(screen.key)
		slow.waitFor(screen.want)
	}
	slow.keys("Enter", "C-u")
	slow.keys("T", "t", "h", "r", "D", "e", "m", "o", "M", "2", "M", "C", "l", "i", "e", "n", "t",
		"0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "1")
	slow.keys("Enter", "Enter", "Enter")
	slowChecks := slow.waitFor("4 granted · 0 missing")
	slow.keys("Enter")
	slow.waitFor("Auth0 · saved")
	slow.keys("Enter")
	slow.waitFor("✓ 4/4 verified just now")
	slow.keys("q")
	if code, stderr := slow.exited(); code != "0" {
		t.Fatalf("slow: tether exited %s: %s", code, stderr)
	}

	tm := startTmux(t, "80", "24", []string{"TETHER_CONFIG_DIR=" + burstDir}, "--sandbox")
	// Once the terminal is raw (before, the tty's line editing would take
	// ctrl+u itself); the model test types ahead of Home's load too.
	tm.onAuth0()
	tm.burst("Enter", "Enter", "Enter", "Enter", "Enter", "C-u", "paste:TthrDemoM2MClient0000000000000001", "Enter", "Enter", "Enter")
	burstChecks := tm.waitFor("4 granted · 0 missing")
	if cut := func(s string) string { return s[strings.Index(s, "Auth0 ·"):strings.Index(s, "4 granted")] }; cut(slowChecks) != cut(burstChecks) {
		t.Errorf("the checklist differs:\n--- slow\n%s\n--- burst\n%s", slowChecks, burstChecks)
	}
	tm.burst("Enter", "Enter", "q")
	if code, stderr := tm.exited(); code != "0" {
		t.Fatalf("burst: tether exited %s: %s", code, stderr)
	}
	if s, b := statusOf(t, slowDir), statusOf(t, burstDir); s != b {
		t.Errorf("the saved connection differs:\n--- slow\n%s\n--- burst\n%s", s, b)
	}
}

// TestTUIInterruptKeepsTheDraft: ctrl+c in the middle of a setup exits
// 130, says on stderr that the draft is kept and how to resume, and the
// resumed setup has every non-secret value typed before.
func TestTUIInterruptKeepsTheDraft(t *testing.T) {
	dir := t.TempDir()
	env := []string{"TETHER_CONFIG_DIR=" + dir}
	tm := startTmux(t, "80", "24", env, "--sandbox", "setup", "auth0", "--name", "eu")
	tm.waitFor("Auth0 (eu) · step 1 of 5")
	tm.burst("Enter", "Enter", "Enter", "Enter", "C-u", "text:tether-demo.eu.auth0.com", "Tab")
	tm.waitFor("› tether-demo.eu.auth0.com")
	tm.keys("C-c")
	code, stderr := tm.exited()
	if code != "130" {
		t.Errorf("ctrl+c mid-setup exited %s, want 130", code)
	}
	for _, want := range []string{"setup of auth0/eu interrupted at step 4 of 5: credentials", "what you typed is kept",
		"resume with: tether --sandbox setup auth0 --name eu"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "sandbox-only-demo-secret") {
		t.Error("a secret reached stderr")
	}

	again := startTmux(t, "80", "24", env, "--sandbox", "setup", "auth0", "--name", "eu")
	again.waitFor("Auth0 (eu) · step 4 of 5 · credentials", "› tether-demo.eu.auth0.com")
	again.keys("q") // typed into a field: it is not quit
	again.keys("C-c")
	if code, _ := again.exited(); code != "130" {
		t.Errorf("ctrl+c on the resumed setup exited %s, want 130", code)
	}
}

// TestTUINoColor: with NO_COLOR the wizard draws no colour, and meaning
// stays in symbols and words; a placeholder reads as an example.
func TestTUINoColor(t *testing.T) {
	dir := t.TempDir()
	tm := startTmux(t, "80", "24", []string{"NO_COLOR=1", "TETHER_CONFIG_DIR=" + dir}, "--sandbox")
	tm.waitFor("not connected")
	raw := tm.screen("-e")
	for _, sgr := range []string{"\x1b[38;", "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[34m", "\x1b[35m"} {
		if strings.Contains(raw, sgr) {
			t.Errorf("NO_COLOR screen has colour %q:\n%q", sgr, raw)
		}
	}
	tm.onAuth0()
	tm.burst("Enter", "Enter", "Enter", "Enter")
	tm.waitFor("step 4 of 5", "Custom domain (optional)", "› e.g. login.acme.com")
	tm.keys("C-c")
	tm.exited()
}

// TestTUISmallWindows: at 60x20 the footer keeps "? help" and "q quit";
// at 20x10 the screen asks for a larger window.
func TestTUISmallWindows(t *testing.T) {
	tm := startTmux(t, "60", "20", []string{"TETHER_CONFIG_DIR=" + t.TempDir()}, "--sandbox")
	tm.onAuth0("? help", "q quit")
	tm.keys("q")
	tm.exited()

	tiny := startTmux(t, "20", "10", []string{"TETHER_CONFIG_DIR=" + t.TempDir()}, "--sandbox")
	tiny.waitFor("Enlarge the", "window")
	tiny.keys("q")
	if code, _ := tiny.exited(); code != "0" {
		t.Errorf("q in a tiny window exited %s", code)
	}
}

// TestAccessibleInterruptInTmux: in --accessible mode, ctrl+c at a
// prompt (a SIGINT from the terminal) ends tether at once with 130.
func TestAccessibleInterruptInTmux(t *testing.T) {
	tm := startTmuxStderr(t, false, "100", "30", []string{"TETHER_CONFIG_DIR=" + t.TempDir()}, "--sandbox", "--accessible", "setup", "auth0")
	tm.waitFor("How do you want to connect?", "Enter a number between 1 and 2")
	tm.keys("C-c")
	if code, _ := tm.exited(); code != "130" {
		t.Errorf("ctrl+c at an accessible prompt exited %s, want 130:\n%s", code, tm.screen())
	}
}
