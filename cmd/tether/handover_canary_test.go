package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/tetherdev/tether/providers/auth0/auth0test"
	"github.com/tetherdev/tether/providers/sandbox"
)

// TestHandoverCanarySecretNeverLeaks runs every hand-over path, those that
// fail included, with a canary as the client secret: it reaches only the
// places asked for (a pipe, a file outside the config dir, ciphertext, a
// command's environment), never an error, the audit log, a command line
// or the config directory.
func TestHandoverCanarySecretNeverLeaks(t *testing.T) {
	dir := isolate(t)
	tn := auth0test.Demo([]string{"read:users", "read:logs", "read:logs_users", "read:guardian_factors"})
	tn.Clients[0].Secret = canary
	sbOpts := &sandbox.Options{Dir: filepath.Join(dir, "sandbox"),
		Emulators: []sandbox.Entry{{Provider: "auth0", New: auth0test.EmulatorWith(auth0test.Options{Tenants: []auth0test.Tenant{tn}})}}}
	with := func(r call) call { r.a = &app{sandboxOptions: sbOpts}; return r }
	if r := with(call{stdin: canary + "\n"}).tether(t, "--sandbox", "setup", "auth0", "--secret-stdin", "--no-input"); r.code != 0 {
		t.Fatalf("setup: exit %d %s%s", r.code, r.stdout, r.stderr)
	}
	out := t.TempDir()
	x, _ := age.GenerateX25519Identity()
	cmdline := "echo no /proc"
	if _, err := os.Stat("/proc/self/cmdline"); err == nil {
		cmdline = "tr '\\0' ' ' < /proc/$$/cmdline"
	}
	var shown strings.Builder
	for _, tt := range []struct {
		r      call
		args   []string
		code   int
		secret bool // stdout is meant to hold a secret
	}{
		{call{}, []string{"token", "auth0"}, 0, true},
		{call{}, []string{"token", "auth0", "--json"}, 0, true},
		{call{tty: true}, []string{"token", "auth0"}, 2, false},
		{call{tty: true}, []string{"export", "auth0"}, 2, false},
		{call{tty: true}, []string{"export", "auth0", "--format", "env"}, 2, false},
		{call{}, []string{"export", "auth0"}, 0, true},
		{call{}, []string{"export", "auth0", "--format", "env", "--to", filepath.Join(out, "a.env")}, 0, false},
		{call{}, []string{"export", "auth0", "--format", "env", "--to", filepath.Join(out, "a.env")}, 2, false},
		{call{}, []string{"export", "auth0", "--age-recipient", x.Recipient().String()}, 0, false},
		{call{}, []string{"export", "auth0", "--age-recipient", canary}, 2, false},
		{call{}, []string{"exec", "auth0", "--", "sh", "-c", cmdline}, 0, false},
		{call{}, []string{"exec", "auth0", "--", "sh", "-c", `test "$TETHER_AUTH0_CLIENT_SECRET" = "$1"`, "sh", canary}, 0, false},
		{call{}, []string{"exec", "auth0", "--", "no-such-command"}, 127, false},
		{call{}, []string{"exec", "auth0", "--", "sh", "-c", "exit 3"}, 3, false},
	} {
		r := with(tt.r).tether(t, append([]string{"--sandbox"}, tt.args...)...)
		if r.code != tt.code {
			t.Errorf("%v: exit %d, want %d\n%s", tt.args, r.code, tt.code, r.stderr)
		}
		if tt.secret {
			if !strings.Contains(r.stdout, "eyJ") && !strings.Contains(r.stdout, "CANARY") {
				t.Errorf("%v printed no credential: %q", tt.args, r.stdout)
			}
			shown.WriteString(r.stderr)
			continue
		}
		shown.WriteString(r.stdout + r.stderr)
	}
	if strings.Contains(shown.String(), "CANARY") {
		t.Errorf("a secret reached the output:\n%s", shown.String())
	}
	assertNoCanaryInFiles(t, dir)
	recs := auditLog(t, dir)
	if len(recs) != 14 {
		t.Errorf("%d audit records, want 14 (one per command)", len(recs))
	}
	var actions []string
	for _, rec := range recs {
		actions = append(actions, rec.Action+":"+rec.Outcome)
	}
	for _, want := range []string{"token:ok", "token:refused", "export:refused", "export:ok", "export:error", "exec:exit 0", "exec:exit 127", "exec:exit 3"} {
		if !slices.Contains(actions, want) {
			t.Errorf("no audit record %s in %q", want, actions)
		}
	}
	env, _ := os.ReadFile(filepath.Join(out, "a.env"))
	if !strings.Contains(string(env), "TETHER_AUTH0_CLIENT_SECRET="+canary+"\n") {
		t.Errorf("the env export lacks the secret:\n%s", env)
	}
}
