package main

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/providers/auth0/auth0test"
	"github.com/tetherdev/tether/providers/sandbox"
	"github.com/tetherdev/tether/ui/plain"
)

// result is one in-process run of tether.
type result struct {
	code           int
	stdout, stderr string
}

// tether runs the command in-process with stdin, in a config dir of the
// test's own and with no keyring (DBUS_SESSION_BUS_ADDRESS unset), so the
// sandbox keeps its credentials in its encrypted file.
func tether(t *testing.T, stdin string, a *app, args ...string) result {
	t.Helper()
	return tetherOn(t, false, stdin, a, args...)
}

// tetherOn runs tether in-process; on a terminal, stdin and stderr are
// terminals (so tether may ask) and stdout is captured.
func tetherOn(t *testing.T, terminal bool, stdin string, a *app, args ...string) result {
	t.Helper()
	ios, in, out, errOut := plain.Test()
	ios.SetTTY(terminal, false, terminal)
	in.WriteString(stdin)
	if a == nil {
		a = &app{}
	}
	a.ios = ios
	code := runApp(context.Background(), a, args)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

func isolate(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("TETHER_CONFIG_DIR", dir)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("TETHER_STORE", "")
	return dir
}

func TestSandboxSetupThenVerify(t *testing.T) {
	isolate(t)
	r := tether(t, "", nil, "--sandbox", "setup", "auth0", "--no-input")
	if r.code != 0 || strings.Count(r.stdout, "✓ granted") != 4 || r.stderr != "" {
		t.Fatalf("setup: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "re-verify  tether --sandbox verify auth0/default") {
		t.Errorf("setup does not say how to re-verify:\n%s", r.stdout)
	}

	r = tether(t, "", nil, "--sandbox", "verify", "--json")
	if r.code != 0 {
		t.Fatalf("verify --json: exit %d, stderr %s", r.code, r.stderr)
	}
	var doc plain.VerifyDocument
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("verify --json output is not JSON: %v\n%s", err, r.stdout)
	}
	if len(doc.Connections) != 1 || !doc.Connections[0].OK || len(doc.Connections[0].Checks) != 4 {
		t.Fatalf("verify --json = %+v", doc)
	}
	for _, c := range doc.Connections[0].Checks {
		if c.Status != providers.Granted || c.Evidence == "" {
			t.Errorf("check %+v", c)
		}
	}
	// The documented field names.
	var raw map[string][]map[string]any
	_ = json.Unmarshal([]byte(r.stdout), &raw)
	for _, f := range []string{"provider", "name", "ok", "verified_at", "checks", "warnings"} {
		if _, ok := raw["connections"][0][f]; !ok {
			t.Errorf("verify --json lacks %q", f)
		}
	}

	r = tether(t, "", nil, "--sandbox", "--sandbox-deny", "auth0:read:logs", "verify", "--json")
	if r.code != 1 {
		t.Fatalf("verify with read:logs denied: exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	doc = plain.VerifyDocument{}
	_ = json.Unmarshal([]byte(r.stdout), &doc)
	var missing []providers.Check
	for _, c := range doc.Connections[0].Checks {
		if c.Status != providers.Granted {
			missing = append(missing, c)
		}
	}
	if len(missing) != 1 || missing[0].Permission != "read:logs" || missing[0].Status != providers.Missing || missing[0].Fix == "" || missing[0].FixURL == "" {
		t.Errorf("with read:logs denied, not granted = %+v; want exactly read:logs missing with a fix", missing)
	}

	r = tether(t, "", nil, "--sandbox", "--sandbox-deny", "auth0:read:logs", "verify")
	if r.code != 1 || !strings.Contains(r.stdout, "✗ missing  collect   read:logs") || !strings.Contains(r.stdout, "fix: tick read:logs") {
		t.Errorf("plain verify with a denial: exit %d\n%s", r.code, r.stdout)
	}
}

func TestCatalogJSONListsEveryPermission(t *testing.T) {
	isolate(t)
	r := tether(t, "", nil, "catalog", "--format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	got, err := catalog.Parse([]byte(r.stdout)) // JSON is YAML
	if err != nil {
		t.Fatalf("catalog --format json does not parse back: %v", err)
	}
	want, _ := catalog.Default()
	if len(got.Providers) != 6 {
		t.Fatalf("%d providers, want 6", len(got.Providers))
	}
	for i, p := range want.Providers {
		if len(got.Providers[i].Permissions) != len(p.Permissions) {
			t.Errorf("%s: %d permissions, want %d", p.ID, len(got.Providers[i].Permissions), len(p.Permissions))
		}
	}
	for _, format := range []string{"table", "markdown"} {
		r := tether(t, "", nil, "catalog", "auth0", "--format", format)
		if r.code != 0 || !strings.Contains(r.stdout, "read:logs_users") || !strings.Contains(r.stdout, "⚑") {
			t.Errorf("catalog auth0 --format %s: exit %d\n%s", format, r.code, r.stdout)
		}
	}
}

const canary = "CANARY-9d2e-never-print-me-00000000000000000000000000000000000000"

// TestErrorsAreOneLine: each bad input gives one line on stderr naming what
// was wrong, a non-zero exit, no stack trace, and never the secret.
func TestErrorsAreOneLine(t *testing.T) {
	good := []string{"--set", "domain=acme.us.auth0.com", "--set", "client_id=2iZo3Uczt5LFHacKdM0zzgUO2eG2uDjT"}
	tests := []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  string
	}{
		{"malformed domain", canary, []string{"setup", "auth0", "--store", "file", "--set", "domain=acme.example.com", "--set", "client_id=2iZo3Uczt5LFHacKdM0zzgUO2eG2uDjT", "--secret-stdin"},
			2, "is not an Auth0 tenant domain: use the canonical domain from Settings → Domain, like acme.us.auth0.com"},
		{"empty secret", "", append([]string{"setup", "auth0", "--store", "file", "--secret-stdin"}, good...), 2, "stdin was empty"},
		{"secret on the command line", "", append([]string{"setup", "auth0", "--set", "client_secret=" + canary}, good...), 2, "pass it on stdin"},
		{"missing input", "", []string{"setup", "auth0", "--no-input"}, 2, "missing domain (tenant domain): pass --set domain=acme.us.auth0.com"},
		{"truncated secret", "CANARY-short", append([]string{"setup", "auth0", "--store", "file", "--secret-stdin"}, good...), 2, "looks truncated"},
		{"wrong secret", canary, []string{"--sandbox", "setup", "auth0", "--secret-stdin", "--no-input"}, 3, "Auth0 rejected the client credentials"},
		{"unreachable host", canary, append([]string{"setup", "auth0", "--store", "file", "--set", "custom_domain=localhost:1", "--secret-stdin"}, good...), 3, "cannot reach localhost:1: connection refused"},
		{"unknown provider", "", []string{"setup", "github"}, 2, `unknown provider "github"`},
		{"unknown capability", "", []string{"--sandbox", "setup", "auth0", "--with", "devices"}, 2, `auth0 has no capability "devices"`},
		{"bad sandbox deny", "", []string{"--sandbox", "--sandbox-deny", "auth0:read:everything", "verify"}, 2, `auth0 has no permission "read:everything"`},
		{"keyring unreachable", canary, append([]string{"setup", "auth0", "--secret-stdin"}, good...), 2,
			"the OS keyring is unavailable: there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set); either start a Secret Service"},
		{"unknown flag", "", []string{"verify", "--bogus"}, 2, "unknown flag: --bogus"},
		{"unknown command", "", []string{"bogus-cmd"}, 2, `tether: unknown command "bogus-cmd"; the commands are setup, verify, status, forget, token, export, exec, catalog`},
		{"mistyped command", "", []string{"stauts"}, 2, `unknown command "stauts": did you mean status?`},
		{"setup without a provider", "", []string{"setup"}, 2, "setup needs the provider to connect, one of: " + registeredIDs() + " (like tether setup auth0)"},
		{"setup with two providers", "", []string{"setup", "auth0", "okta"}, 2, "setup takes one argument, got 2 (auth0 okta): it needs the provider to connect"},
		{"forget without a connection", "", []string{"forget"}, 2, "forget needs the connection to delete, as PROVIDER[/NAME]"},
		{"status with an argument", "", []string{"status", "auth0"}, 2, `status takes no argument, got "auth0"`},
		{"catalog with two providers", "", []string{"catalog", "auth0", "okta"}, 2, "catalog takes at most one argument"},
		{"missing flag value", "", []string{"setup", "auth0", "--name"}, 2, "flag needs an argument: --name (see tether setup --help)"},
		{"unknown format", "", []string{"catalog", "--format", "yaml"}, 2, `--format "yaml": use table, markdown or json`},
		{"two formats", "", []string{"catalog", "--json", "--format", "markdown"}, 2, "--json and --format markdown ask for two formats"},
		{"every missing input", "", []string{"setup", "auth0", "--no-input"}, 2,
			"missing domain (tenant domain): pass --set domain=acme.us.auth0.com; missing client_id (client id): pass --set client_id=2iZo3Uczt5LFHacKdM0zzgUO2eG2uDjT; missing client_secret (client secret): pipe it into tether with --secret-stdin"},
		{"bad PEM body", "-----BEGIN PRIVATE KEY-----\nCANARY*bad\n-----END PRIVATE KEY-----\n",
			append([]string{"setup", "auth0", "--store", "file", "--method", "private-key-jwt", "--secret-stdin"}, good...), 2,
			"the private key has a damaged body: the lines between -----BEGIN PRIVATE KEY----- and -----END PRIVATE KEY----- are not valid base64"},
		{"one character secret", "x", append([]string{"setup", "auth0", "--store", "file", "--secret-stdin"}, good...), 2, "the client secret is 1 character long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := isolate(t)
			r := tether(t, tt.stdin, nil, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\nstderr: %s", r.code, tt.code, r.stderr)
			}
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			if strings.HasPrefix(lines[0], "tether: created the age identity") {
				lines = lines[1:] // the file store's first key, said once
			}
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "tether: ") || !strings.Contains(lines[0], tt.want) ||
				strings.Contains(lines[0], "tether: tether") {
				t.Errorf("stderr = %q, want one line containing %q", r.stderr, tt.want)
			}
			for _, bad := range []string{"goroutine", "panic", ".go:", "CANARY"} {
				if strings.Contains(r.stderr+r.stdout, bad) {
					t.Errorf("output contains %q:\n%s%s", bad, r.stdout, r.stderr)
				}
			}
			assertNoCanaryInFiles(t, dir)
		})
	}
}

// assertNoCanaryInFiles fails if any file under dir holds the canary in
// the clear.
func assertNoCanaryInFiles(t *testing.T, dir string) {
	t.Helper()
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		data, _ := os.ReadFile(path)
		if strings.Contains(string(data), "CANARY") {
			t.Errorf("%s contains the canary secret", path)
		}
		return nil
	})
}

// TestCanarySecretNeverLeaks runs a whole life cycle with a canary as the
// real client secret and checks every output and every file.
func TestCanarySecretNeverLeaks(t *testing.T) {
	dir := isolate(t)
	tn := auth0test.Demo([]string{"read:users", "read:logs_users", "read:guardian_factors", "read:clients"})
	tn.Clients[0].Secret = canary
	sbOpts := &sandbox.Options{Dir: filepath.Join(dir, "sandbox"),
		Emulators: []sandbox.Entry{{Provider: "auth0", New: auth0test.EmulatorWith(auth0test.Options{Tenants: []auth0test.Tenant{tn}})}}}
	var all strings.Builder
	steps := [][]string{
		{"--sandbox", "setup", "auth0", "--secret-stdin", "--no-input", "--name", "canary"},
		{"--sandbox", "verify"},
		{"--sandbox", "verify", "--json"},
		{"--sandbox", "status"},
		{"--sandbox", "status", "--json"},
	}
	for _, args := range steps {
		r := tether(t, canary+"\n", &app{sandboxOptions: sbOpts}, args...)
		if r.code == 3 || r.code == 2 {
			t.Fatalf("%v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
		all.WriteString(r.stdout + r.stderr)
	}
	if strings.Contains(all.String(), "CANARY") {
		t.Errorf("output reveals the secret:\n%s", all.String())
	}
	if !strings.Contains(all.String(), "✗ missing") || !strings.Contains(all.String(), "⚠ excess") {
		t.Errorf("the life cycle did not exercise missing and excess checks:\n%s", all.String())
	}
	assertNoCanaryInFiles(t, dir)
	// The secret is really stored, encrypted.
	store, err := flows.OpenFileStoreWithIdentity(filepath.Join(dir, "sandbox", "credentials"), filepath.Join(dir, "sandbox", "age-identity.txt"))
	if err != nil {
		t.Fatal(err)
	}
	sec, err := store.Load(context.Background(), flows.Key{Provider: "auth0", Name: "canary"})
	if err != nil || sec.Get("client_secret") != canary {
		t.Errorf("stored secret: %v", err)
	}
	r := tether(t, "", &app{sandboxOptions: sbOpts}, "--sandbox", "forget", "auth0/canary", "--yes")
	if r.code != 0 {
		t.Fatalf("forget: %d %s", r.code, r.stderr)
	}
	if _, err := store.Load(context.Background(), flows.Key{Provider: "auth0", Name: "canary"}); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("after forget: %v", err)
	}
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{&silentError{&providers.VerdictError{Verdict: providers.VerdictMissing}}, 1},
		{&providers.VerdictError{Verdict: providers.VerdictNone}, 3},
		{&providers.UsageError{Msg: "x"}, 2},
		{&flows.StoreUnavailableError{}, 2},
		{&providers.ConfigError{}, 2},
		{&providers.InputError{Err: providers.ErrRequired}, 2},
		{providers.ErrNotImplemented, 2},
		{&providers.SignInError{Reason: "no"}, 3},
		{&flows.NetworkError{}, 3},
		{context.Canceled, 130},
		{errors.New("anything else"), 3},
	}
	for _, tt := range tests {
		if got := exitCode(tt.err); got != tt.want {
			t.Errorf("exitCode(%T %v) = %d, want %d", tt.err, tt.err, got, tt.want)
		}
	}
}

func TestVersionAndHelp(t *testing.T) {
	isolate(t)
	if r := tether(t, "", nil, "--version"); r.code != 0 || !strings.Contains(r.stdout, "tether") {
		t.Errorf("--version: %d %q", r.code, r.stdout)
	}
	r := tether(t, "", nil)
	if r.code != 0 || !strings.Contains(r.stdout, "setup") || !strings.Contains(r.stdout, "verify") {
		t.Errorf("no arguments without a terminal should print help: %d\n%s", r.code, r.stdout)
	}
}

// TestAccessibleSetup answers the wizard's questions line by line, with no
// redraws, and gets the same checks.
func TestAccessibleSetup(t *testing.T) {
	isolate(t)
	ios, in, out, errOut := plain.Test()
	ios.SetTTY(true, false, true) // a person at a terminal, output captured
	in.WriteString("1\n\n\n\n")
	code := runApp(context.Background(), &app{ios: ios}, []string{"--sandbox", "--accessible", "setup", "auth0"})
	r := result{code: code, stdout: out.String(), stderr: errOut.String()}
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, w := range []string{"what will be granted", "How do you want to connect?", "In the Auth0 console",
		"✓ granted  collect   read:users", "Saved: ", "Re-verify with: tether --sandbox verify auth0/default"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("accessible output lacks %q:\n%s", w, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "\x1b[2J") || strings.Contains(r.stdout, "\x1b[H") || strings.Contains(r.stdout, "sandbox-only-demo-secret") {
		t.Errorf("accessible output redraws or shows the secret:\n%q", r.stdout)
	}
	// Without a terminal there is no one to answer: plain mode, no prompts.
	r = tether(t, "", nil, "--sandbox", "--accessible", "setup", "auth0", "--name", "piped")
	if r.code != 0 || strings.Contains(r.stdout, "How do you want to connect?") {
		t.Errorf("accessible without a terminal: exit %d\n%s", r.code, r.stdout)
	}
}

// TestStatusJSONIsStable: status --json of a known connections file is the
// document earlier versions printed, byte for byte.
func TestStatusJSONIsStable(t *testing.T) {
	dir := isolate(t)
	data, err := os.ReadFile("testdata/status/connections.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "connections.json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/status/status.golden.json")
	if err != nil {
		t.Fatal(err)
	}
	r := tether(t, "", nil, "status", "--json")
	if r.code != 0 || r.stdout != string(want) {
		t.Errorf("status --json: exit %d, stderr %q\n%s\nwant\n%s", r.code, r.stderr, r.stdout, want)
	}
}
