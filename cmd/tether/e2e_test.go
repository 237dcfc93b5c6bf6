package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tetherdev/tether/flows/keyringtest"
	"github.com/tetherdev/tether/providers/auth0/auth0test"
	"github.com/tetherdev/tether/ui/plain"
)

// binary is the tether binary built once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "tether-e2e-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		binary = filepath.Join(dir, "tether")
		out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "building tether: %v\n%s", err, out)
			return 1
		}
		return m.Run()
	}())
}

// exe runs the built binary with env added to a clean environment.
func exe(t *testing.T, env []string, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "TERM=dumb"}, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running tether: %v", err)
	}
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// TestBinarySandboxOnAFreshHost runs the README's first command on a host
// with no Secret Service: the sandbox keeps its demo credential in its
// encrypted file and everything verifies.
func TestBinarySandboxOnAFreshHost(t *testing.T) {
	env := []string{"TETHER_CONFIG_DIR=" + t.TempDir()}
	r := exe(t, env, "", "--sandbox", "setup", "auth0", "--no-input")
	if r.code != 0 || strings.Count(r.stdout, "✓ granted") != 4 || !strings.Contains(r.stdout, "encrypted file") {
		t.Fatalf("setup: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = exe(t, env, "", "--sandbox", "verify", "--json")
	var doc plain.VerifyDocument
	if err := json.Unmarshal([]byte(r.stdout), &doc); r.code != 0 || err != nil || !doc.Connections[0].OK {
		t.Fatalf("verify --json: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	r = exe(t, env, "", "--sandbox", "--sandbox-deny", "auth0:read:logs", "verify", "--json")
	if r.code != 1 || !strings.Contains(r.stdout, `"status": "missing"`) {
		t.Errorf("verify with a denial: exit %d\n%s", r.code, r.stdout)
	}
	r = exe(t, env, "", "--sandbox", "--sandbox-deny", "auth0:read:logs", "verify", "auth0/nope")
	if r.code != 2 || !strings.Contains(r.stderr, "no connection auth0/nope") {
		t.Errorf("verify of an unknown connection: exit %d, %s", r.code, r.stderr)
	}
}

// TestBinaryStoresInGnomeKeyring sets up a connection through the real OS
// keyring (gnome-keyring-daemon on a private D-Bus session), reads it back
// with secret-tool, verifies from it, and forgets it completely.
func TestBinaryStoresInGnomeKeyring(t *testing.T) {
	s := keyringtest.Start(t)
	env := append([]string{"TETHER_CONFIG_DIR=" + t.TempDir()}, s.Env...)
	r := exe(t, env, "", "--sandbox", "setup", "auth0", "--no-input")
	if r.code != 0 || !strings.Contains(r.stdout, `OS keyring · service "tether-sandbox" · account "auth0/default"`) {
		t.Fatalf("setup: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := s.Lookup("tether-sandbox", "auth0/default"); !strings.Contains(got, auth0test.DemoClientSecret) {
		t.Errorf("secret-tool lookup service tether-sandbox username auth0/default = %q", got)
	}
	if accounts := s.Accounts("tether-sandbox"); !slices.Equal(accounts, []string{"auth0/default"}) {
		t.Errorf("keyring items = %q, want only auth0/default (the store probe cleans up)", accounts)
	}
	if r := exe(t, env, "", "--sandbox", "verify"); r.code != 0 {
		t.Errorf("verify from the keyring: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := exe(t, env, "", "--sandbox", "status", "--json"); !strings.Contains(r.stdout, `"credential": "keyring: present"`) {
		t.Errorf("status --json:\n%s", r.stdout)
	}
	if r := exe(t, env, "", "--sandbox", "forget", "auth0/default"); r.code != 0 {
		t.Fatalf("forget: exit %d %s", r.code, r.stderr)
	}
	if accounts := s.Accounts("tether-sandbox"); len(accounts) != 0 {
		t.Errorf("after forget, keyring items = %q", accounts)
	}
	// Real mode uses the "tether" service, never the sandbox's.
	if accounts := s.Accounts("tether"); len(accounts) != 0 {
		t.Errorf("the sandbox wrote to the real service: %q", accounts)
	}
}

func TestBinaryRefusesUnreachableKeyring(t *testing.T) {
	env := []string{"TETHER_CONFIG_DIR=" + t.TempDir()}
	r := exe(t, env, "secret-value-xxxxxxxxxxxxxxxxxxxx", "setup", "auth0", "--set", "domain=acme.us.auth0.com",
		"--set", "client_id=2iZo3Uczt5LFHacKdM0zzgUO2eG2uDjT", "--secret-stdin")
	if r.code != 2 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 ||
		!strings.Contains(r.stderr, "DBUS_SESSION_BUS_ADDRESS is not set") || !strings.Contains(r.stderr, "--store file") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}
