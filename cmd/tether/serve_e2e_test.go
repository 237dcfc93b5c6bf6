package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sshKey makes an ed25519 key pair with ssh-keygen and returns the
// private key's path and the public key's line.
func sshKey(t *testing.T, dir, name string) (string, string) {
	t.Helper()
	path := filepath.Join(dir, name)
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	pub, err := os.ReadFile(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return path, strings.TrimSpace(string(pub))
}

// TestBinaryServeWithOpenSSH: the built binary serves the wizard to the
// real OpenSSH client on a real terminal: an admin sets up the sandbox's
// Auth0 and sees it verified; a viewer cannot forget it; an unknown key
// is refused; SIGTERM ends the server with exit 0.
func TestBinaryServeWithOpenSSH(t *testing.T) {
	requireTool(t, "ssh")
	requireTool(t, "ssh-keygen")
	requireTool(t, "tmux")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	serveDir := filepath.Join(cfg, "sandbox", "serve")
	if err := os.MkdirAll(serveDir, 0o700); err != nil {
		t.Fatal(err)
	}
	adminKey, adminPub := sshKey(t, dir, "admin")
	viewerKey, viewerPub := sshKey(t, dir, "viewer")
	strangerKey, _ := sshKey(t, dir, "stranger")
	if err := os.WriteFile(filepath.Join(serveDir, "authorized_keys"),
		[]byte(`role="admin" `+adminPub+"\n"+viewerPub+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	srv := exec.Command(binary, "--sandbox", "serve", "--listen", "127.0.0.1:0")
	srv.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TETHER_CONFIG_DIR=" + cfg}
	stderr, err := srv.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Process.Kill()
	lines := bufio.NewScanner(stderr)
	if !lines.Scan() {
		t.Fatal("tether serve printed nothing")
	}
	m := regexp.MustCompile(`listening on 127\.0\.0\.1:(\d+); host key (SHA256:\S+)`).FindStringSubmatch(lines.Text())
	if m == nil {
		t.Fatalf("first line %q does not name the port and fingerprint", lines.Text())
	}
	port := m[1]
	rest := make(chan string, 1)
	go func() {
		var b strings.Builder
		for lines.Scan() {
			b.WriteString(lines.Text() + "\n")
		}
		rest <- b.String()
	}()

	// The host key, pinned as an admin would after checking the printed
	// fingerprint.
	hostPub, err := exec.Command("ssh-keygen", "-y", "-f", filepath.Join(serveDir, "ssh_host_ed25519")).Output()
	if err != nil {
		t.Fatal(err)
	}
	knownHosts := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(knownHosts, []byte("[127.0.0.1]:"+port+" "+string(hostPub)), 0o600); err != nil {
		t.Fatal(err)
	}
	if fp, _ := exec.Command("ssh-keygen", "-l", "-f", knownHosts).Output(); !strings.Contains(string(fp), m[2]) {
		t.Fatalf("printed fingerprint %s, ssh-keygen says %s", m[2], fp)
	}
	sshArgs := func(key string) []string {
		return []string{"-p", port, "-i", key, "-F", "/dev/null", "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
			"-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + knownHosts, "alice@127.0.0.1"}
	}
	plainSSH := func(key string, args ...string) (int, string, string) {
		cmd := exec.Command("ssh", append(sshArgs(key), args...)...)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, out.String(), errOut.String()
	}

	if code, _, errOut := plainSSH(strangerKey, "status"); code != 255 || !strings.Contains(errOut, "Permission denied") {
		t.Fatalf("unknown key: exit %d, %q; want refused", code, errOut)
	}

	exitFile := filepath.Join(dir, "ssh-exit")
	tm := startTmuxCommand(t, "env TERM=xterm-256color ssh -t "+strings.Join(sshArgs(adminKey), " ")+"; echo $? > "+exitFile)
	tm.onAuth0("not connected", "sandbox ◆")
	tm.keys("Enter")
	tm.waitFor("Auth0 · step 1 of 5 · what will be granted")
	tm.keys("Enter")
	tm.waitFor("step 2 of 5 · how to connect")
	tm.keys("Enter")
	tm.waitFor("step 3 of 5 · in the console")
	tm.keys("Enter")
	tm.waitFor("step 4 of 5 · credentials", "tether-demo.us.auth0.com")
	tm.keys("Enter", "Enter", "Enter", "Enter")
	s := tm.waitFor("step 5 of 5 · verified", "4 granted · 0 missing")
	if strings.Contains(s, "sandbox-only-demo-secret") {
		t.Fatal("the secret is on the screen")
	}
	tm.keys("Enter")
	tm.waitFor("Auth0 · saved")
	tm.keys("Enter")
	tm.waitFor("✓ 4/4 verified just now")
	tm.keys("q")
	deadline := time.Now().Add(20 * time.Second)
	for {
		if data, err := os.ReadFile(exitFile); err == nil {
			if strings.TrimSpace(string(data)) != "0" {
				t.Fatalf("ssh exited %s", data)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the session did not end on q")
		}
		time.Sleep(100 * time.Millisecond)
	}

	if code, _, errOut := plainSSH(viewerKey, "forget", "auth0/default", "--yes"); code != 1 || !strings.Contains(errOut, "your key is a viewer") {
		t.Fatalf("viewer forget: exit %d, %q; want refused", code, errOut)
	}
	if code, out, errOut := plainSSH(viewerKey, "status", "--json"); code != 0 || !strings.Contains(out, `"verdict": "ok"`) {
		t.Fatalf("viewer status --json: exit %d\n%s\n%s", code, out, errOut)
	}

	if err := srv.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := srv.Wait(); err != nil {
		t.Fatalf("tether serve after SIGTERM: %v, want exit 0", err)
	}
	if log := <-rest; !strings.Contains(log, "stopping") {
		t.Errorf("serve's log does not say it stopped:\n%s", log)
	}
	audit, err := os.ReadFile(filepath.Join(serveDir, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"role":"admin","action":"session"`, `"role":"admin","action":"setup","connection":"auth0/default","outcome":"ok"`, `"action":"denied","connection":"auth0/default","outcome":"refused: forget"`} {
		if !strings.Contains(string(audit), want) {
			t.Errorf("audit log lacks %s:\n%s", want, audit)
		}
	}
}
