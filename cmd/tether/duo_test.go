package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/providers/duo/duotest"
	"github.com/tetherdev/tether/providers/sandbox"
	"github.com/tetherdev/tether/ui/plain"
)

// TestDuoSandboxSetupThenVerify: the demo Admin API application sets up
// and verifies with every required grant granted; each grant denied in
// the sandbox is reported missing with its fix, and nothing else changes.
func TestDuoSandboxSetupThenVerify(t *testing.T) {
	isolate(t)
	r := tether(t, "", nil, "--sandbox", "setup", "duo", "--method", "admin-api", "--no-input")
	if r.code != 0 || strings.Count(r.stdout, "✓ granted") != 2 || r.stderr != "" {
		t.Fatalf("setup: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	verify := func(deny ...string) (int, []providers.Check) {
		t.Helper()
		args := []string{"--sandbox"}
		for _, d := range deny {
			args = append(args, "--sandbox-deny", "duo:"+d)
		}
		r := tether(t, "", nil, append(args, "verify", "--json")...)
		var doc plain.VerifyDocument
		if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || len(doc.Connections) != 1 {
			t.Fatalf("verify --json: %v\n%s%s", err, r.stdout, r.stderr)
		}
		return r.code, doc.Connections[0].Checks
	}
	code, checks := verify()
	if code != 0 || len(checks) != 2 {
		t.Fatalf("verify: exit %d, checks %+v", code, checks)
	}
	for _, c := range checks {
		if c.Status != providers.Granted || !strings.Contains(c.Evidence, "→ 200") {
			t.Errorf("check %+v", c)
		}
	}
	for _, denied := range []string{"Grant read log", "Grant read resource"} {
		code, checks := verify(denied)
		if code != 1 {
			t.Errorf("%s denied: exit %d, want 1", denied, code)
		}
		for _, c := range checks {
			switch {
			case c.Permission == denied && (c.Status != providers.Missing || !strings.Contains(c.Fix, "tick "+denied) || c.FixURL == ""):
				t.Errorf("%s denied: %+v, want missing with a fix", denied, c)
			case c.Permission != denied && c.Status != providers.Granted:
				t.Errorf("%s denied changed %s: %+v", denied, c.Permission, c)
			}
		}
	}
	r = tether(t, "", nil, "--sandbox", "token", "duo")
	if r.code != 2 || !strings.Contains(r.stderr, "no access token") || !strings.Contains(r.stderr, "tether export") {
		t.Errorf("token duo: exit %d %s, want a usage error pointing to export", r.code, r.stderr)
	}
}

// TestDuoCanarySecretKeyNeverLeaks: with a canary as the secret key,
// setup, verify (granted, missing, excess and clock skew), status, a
// wrong integration key, and token print nothing of it, and no file
// outside the store holds it.
func TestDuoCanarySecretKeyNeverLeaks(t *testing.T) {
	dir := isolate(t)
	const host, ikey = "api-ca4a7y00.duosecurity.com", "DIWJ8X6AEYOR5OMC6TQ1"
	skey := "CANARYduo9d2eneverprintme" + strings.Repeat("0", 15)
	acct := duotest.Account{Host: host, Integrations: []duotest.Integration{{IKey: ikey, SKey: skey,
		Grants: []string{duotest.GrantReadLog, duotest.GrantInfo}}}}
	var offset time.Duration // the server clock's, for the next run
	newEmu := func(cfg sandbox.Config) (sandbox.Emulator, error) {
		return duotest.EmulatorWith(duotest.Options{Accounts: []duotest.Account{acct}, ClockOffset: offset})(cfg)
	}
	sbOpts := &sandbox.Options{Dir: filepath.Join(dir, "sandbox"), Emulators: []sandbox.Entry{{Provider: "duo", New: newEmu}}}
	set := []string{"--set", "api_hostname=" + host, "--set", "integration_key=" + ikey}
	var all strings.Builder
	run := func(stdin string, args ...string) result {
		r := tether(t, stdin, &app{sandboxOptions: sbOpts}, append([]string{"--sandbox"}, args...)...)
		all.WriteString(r.stdout + r.stderr)
		return r
	}
	if r := run(skey+"\n", append([]string{"setup", "duo", "--secret-stdin", "--no-input", "--name", "canary"}, set...)...); r.code != 1 {
		t.Fatalf("setup: exit %d, want 1 (read resource missing)\n%s%s", r.code, r.stdout, r.stderr)
	}
	run("", "verify")
	run("", "verify", "--json")
	run("", "status", "--json")
	run("", "token", "duo/canary")
	run(skey+"\n", "setup", "duo", "--secret-stdin", "--no-input", "--name", "other", "--set", "api_hostname="+host, "--set", "integration_key=DIAAAAAAAAAAAAAAAAAA")
	run("", "setup", "duo", "--no-input", "--name", "pasted", "--set", "api_hostname="+skey, "--set", "integration_key="+skey)
	offset = 10 * time.Minute
	run("", "verify", "duo/canary")
	out := all.String()
	if strings.Contains(out, "CANARY") {
		t.Errorf("output reveals the secret key:\n%s", out)
	}
	for _, want := range []string{"✗ missing", "⚠ excess", "clock skew", "401 40102", "10m0s"} {
		if !strings.Contains(out, want) {
			t.Errorf("the life cycle did not show %q:\n%s", want, out)
		}
	}
	assertNoCanaryInFiles(t, dir)
}

// TestDuoTUIInTmux walks the wizard through the Duo demo application on
// a terminal, with Grant read log withheld: the checklist shows it
// missing with its fix, the grant is ticked in the sandbox, and a
// re-check turns it green.
func TestDuoTUIInTmux(t *testing.T) {
	dir := t.TempDir()
	tm := startTmux(t, "90", "30", []string{"TETHER_CONFIG_DIR=" + dir}, "--sandbox", "--sandbox-deny", "'duo:Grant read log'") // one shell word
	tm.selectProvider("Duo")
	tm.keys("Enter")
	tm.waitFor("Duo · step 1 of 4 · what will be granted", "adminapi_read_log, adminapi_read_resource")
	tm.keys("Enter")
	tm.waitFor("step 2 of 4", "Protect an Admin API application", "admin-7e7e7e7e.duosecurity.com")
	tm.keys("Enter")
	tm.waitFor("step 3 of 4 · credentials", "api-7e7e7e7e.duosecurity.com", "DITETHERDEMO00000001")
	tm.keys("Enter", "Enter", "Enter")
	s := tm.waitFor("step 4 of 4 · verified", "✗ Grant read log", "403 40301", "tick Grant", "1 granted · 1 missing")
	if strings.Contains(s, duotest.DemoSKey) {
		t.Fatal("the secret key is on the screen")
	}
	tm.keys("f")
	tm.waitFor("granted in the sandbox")
	tm.keys("r")
	tm.waitFor("✓ Grant read log", "2 granted · 0 missing")
	tm.keys("Enter")
	tm.waitFor("Duo · saved", "re-verify   tether --sandbox verify duo/default")
	tm.keys("Enter")
	tm.waitFor("✓ 2/2 verified just now")
	tm.keys("q")
	if code, stderr := tm.exited(); code != "0" {
		t.Fatalf("tether exited %s: %s", code, stderr)
	}
}
