//go:build unix

package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBinaryExecForwardsSignals: a signal sent to tether reaches the
// command it runs, and tether exits with the status the command chose.
// tether runs in a session of its own, with no controlling terminal, as
// under a supervisor: nothing but tether can have passed the signal on.
func TestBinaryExecForwardsSignals(t *testing.T) {
	dir := t.TempDir()
	env := []string{"TETHER_CONFIG_DIR=" + dir}
	if r := exe(t, env, "", "--sandbox", "setup", "auth0", "--no-input"); r.code != 0 {
		t.Fatalf("setup: exit %d %s", r.code, r.stderr)
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			script := `trap 'kill $!; echo "got $1"; exit 42' ` + strings.TrimPrefix(unixName(sig), "SIG") + `; sleep 1000 & echo ready; wait $!`
			cmd := exec.Command(binary, "--sandbox", "exec", "auth0", "--", "sh", "-c", script, "sh", unixName(sig))
			cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
			cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// tether leads its own process group: kill all of it at the end.
			t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
			lines := bufio.NewScanner(out)
			if !lines.Scan() || lines.Text() != "ready" {
				t.Fatalf("the command did not start: %q %s", lines.Text(), stderr.String())
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			// A signal that is not passed on leaves the command waiting:
			// end it, so that the test fails instead of hanging.
			watchdog := time.AfterFunc(20*time.Second, func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
			defer watchdog.Stop()
			var got []string
			for lines.Scan() {
				got = append(got, lines.Text())
			}
			err = cmd.Wait()
			code := cmd.ProcessState.ExitCode()
			if code != 42 || strings.Join(got, "\n") != "got "+unixName(sig) || stderr.Len() != 0 {
				t.Errorf("after %s: exit %d (%v), stdout %q, stderr %q; want 42, the command's trap, nothing on stderr", sig, code, err, got, stderr.String())
			}
		})
	}
	recs := auditLog(t, dir)
	if last := recs[len(recs)-1]; last.Action != "exec" || last.Outcome != "exit 42" {
		t.Errorf("audit %+v, want exec: exit 42", last)
	}
}

func unixName(s syscall.Signal) string {
	switch s {
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGHUP:
		return "SIGHUP"
	}
	return s.String()
}

// TestBinaryRefusesOnARealTerminal: on a real terminal (tmux), token and
// export print no secret without --reveal, each with one line saying why
// and how, and exit 2; with --reveal the token is printed.
func TestBinaryRefusesOnARealTerminal(t *testing.T) {
	dir := t.TempDir()
	if r := exe(t, []string{"TETHER_CONFIG_DIR=" + dir}, "", "--sandbox", "setup", "auth0", "--no-input"); r.code != 0 {
		t.Fatalf("setup: exit %d %s", r.code, r.stderr)
	}
	tether := "env -u DBUS_SESSION_BUS_ADDRESS TERM=xterm-256color TETHER_CONFIG_DIR=" + dir + " " + binary + " --sandbox --no-color "
	script := filepath.Join(dir, "run.sh")
	body := "clear\n" + tether + "token auth0; echo \"token exit $?\"\n" +
		tether + "export auth0 --format env; echo \"export exit $?\"\n" +
		tether + "token auth0 --reveal | cut -c1-3; echo \"reveal exit $?\"\n" +
		"cat\n" // hold the pane open until the test ends
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	requireTool(t, "tmux")
	tm := &tmux{t: t, sock: filepath.Join(t.TempDir(), "tmux.sock"), dir: t.TempDir()}
	tm.run("new-session", "-d", "-x", "80", "-y", "24", "-s", "e2e", "sh "+script)
	t.Cleanup(func() { _ = exec.Command("tmux", "-S", tm.sock, "kill-server").Run() })
	tm.waitFor("token exit 2", "export exit 2", "reveal exit 0")
	s := tm.screen("-J") // wrapped lines joined
	for _, want := range []string{
		"tether: the access token is a secret and stdout is a terminal: pipe it to the",
		"tether: the export holds a secret and stdout is a terminal: write it to a file",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the terminal does not show %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "sandbox-only-demo-secret") || strings.Count(s, "eyJ") != 1 {
		t.Errorf("a secret reached the terminal unasked, or --reveal printed nothing:\n%s", s)
	}
	var outcomes []string
	for _, r := range auditLog(t, dir) {
		outcomes = append(outcomes, r.Action+":"+r.Outcome)
	}
	if strings.Join(outcomes, " ") != "token:refused export:refused token:ok" {
		t.Errorf("audit outcomes %q", outcomes)
	}
}
