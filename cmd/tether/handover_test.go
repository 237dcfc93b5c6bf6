package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"filippo.io/age/armor"
	"golang.org/x/crypto/ssh"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/providers/audit"
	"github.com/tetherdev/tether/providers/auth0/auth0test"
	"github.com/tetherdev/tether/providers/registry"
	"github.com/tetherdev/tether/providers/sandbox"
	"github.com/tetherdev/tether/ui/plain"
)

// call is one in-process run of tether with the test's PATH in the
// environment commands started by exec inherit, and the given terminals.
type call struct {
	stdin   string
	tty     bool // stdout and stderr are terminals
	environ []string
	a       *app
}

func (r call) tether(t *testing.T, args ...string) result {
	t.Helper()
	ios, in, out, errOut := plain.Test()
	in.WriteString(r.stdin)
	ios.Environ = append([]string{"TERM=dumb", "PATH=" + os.Getenv("PATH")}, r.environ...)
	if r.tty {
		ios.SetTTY(false, true, true)
	}
	a := r.a
	if a == nil {
		a = &app{}
	}
	a.ios = ios
	code := runApp(context.Background(), a, args)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// sandboxSetup sets up the demo connection (and any other method's) and
// returns the config dir.
func sandboxSetup(t *testing.T, extra ...[]string) string {
	t.Helper()
	dir := isolate(t)
	for _, args := range append([][]string{{}}, extra...) {
		r := tether(t, "", nil, append([]string{"--sandbox", "setup", "auth0", "--no-input"}, args...)...)
		if r.code != 0 {
			t.Fatalf("setup %v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
	}
	return dir
}

// auditLog reads the sandbox's audit log.
func auditLog(t *testing.T, dir string) []audit.Record {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "sandbox", audit.FileName))
	if err != nil {
		t.Fatal(err)
	}
	var out []audit.Record
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var r audit.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		out = append(out, r)
	}
	return out
}

func lastAudit(t *testing.T, dir string) audit.Record {
	t.Helper()
	recs := auditLog(t, dir)
	if len(recs) == 0 {
		t.Fatal("the audit log is empty")
	}
	return recs[len(recs)-1]
}

// TestTokenMakesAManagementAPICall: what `tether --sandbox token auth0`
// prints, piped to a client, is a token the emulator's Management API
// accepts; the JSON form adds its type, expiry and scopes.
func TestTokenMakesAManagementAPICall(t *testing.T) {
	dir := sandboxSetup(t)
	r := (call{}).tether(t, "--sandbox", "token", "auth0")
	if r.code != 0 || r.stderr != "" || strings.Count(r.stdout, "\n") != 1 || strings.Count(r.stdout, ".") != 2 {
		t.Fatalf("token: exit %d, stdout %q, stderr %q; want one JWT line", r.code, r.stdout, r.stderr)
	}
	token := strings.TrimSpace(r.stdout)

	// The client: another process's view of the same demo tenant.
	cat, _ := catalog.Default()
	sb, err := sandbox.Start(cat, sandbox.Options{Dir: filepath.Join(dir, "sandbox"), Emulators: registry.Emulators(registry.Entries)})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	for _, tt := range []struct {
		bearer string
		want   int
	}{{token, http.StatusOK}, {token[:len(token)-4] + "AAAA", http.StatusUnauthorized}} {
		req, _ := http.NewRequest(http.MethodGet, "https://"+auth0test.DemoDomain+"/api/v2/users?per_page=1", nil)
		req.Header.Set("Authorization", "Bearer "+tt.bearer)
		resp, err := sb.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("GET /api/v2/users = %d %s, want %d", resp.StatusCode, body, tt.want)
		}
	}

	r = (call{}).tether(t, "--sandbox", "token", "auth0/default", "--json")
	var doc plain.TokenDocument
	if err := json.Unmarshal([]byte(r.stdout), &doc); r.code != 0 || err != nil {
		t.Fatalf("token --json: exit %d, %v\n%s", r.code, err, r.stdout)
	}
	if doc.Connection != "auth0/default" || doc.TokenType != "Bearer" || doc.ExpiresAt == nil || len(doc.Scopes) != 4 || doc.AccessToken == "" {
		t.Errorf("token --json = %+v", doc)
	}
	if rec := lastAudit(t, dir); rec.Action != "token" || rec.Connection != "auth0/default" || rec.Outcome != audit.OK || rec.User == "" {
		t.Errorf("audit record %+v", rec)
	}
}

// TestTerminalNeedsReveal: on a terminal, token and export refuse to print
// a secret with one line that says why and how, and say it in the audit
// log; --reveal, a file or a recipient makes them proceed.
func TestTerminalNeedsReveal(t *testing.T) {
	dir := sandboxSetup(t)
	out := t.TempDir()
	x, _ := age.GenerateX25519Identity()
	tests := []struct {
		args   []string
		code   int
		stderr string // in the one line, when refused
	}{
		{[]string{"token", "auth0"}, 2, "the access token is a secret and stdout is a terminal: pipe it to the program that needs it (tether token auth0/default | …), or pass --reveal"},
		{[]string{"token", "auth0", "--json"}, 2, "pass --reveal to print it here"},
		{[]string{"export", "auth0"}, 2, "the export holds a secret and stdout is a terminal: write it to a file (--to FILE), encrypt it (--age-recipient KEY), pipe it, or pass --reveal"},
		{[]string{"export", "auth0", "--format", "env"}, 2, "pass --reveal"},
		{[]string{"token", "auth0", "--reveal"}, 0, ""},
		{[]string{"export", "auth0", "--reveal"}, 0, ""},
		{[]string{"export", "auth0", "--to", filepath.Join(out, "a.json")}, 0, ""},
		{[]string{"export", "auth0", "--age-recipient", x.Recipient().String()}, 0, ""},
	}
	for _, tt := range tests {
		r := call{tty: true}.tether(t, append([]string{"--sandbox"}, tt.args...)...)
		if r.code != tt.code {
			t.Errorf("%v on a terminal: exit %d, want %d\n%s", tt.args, r.code, tt.code, r.stderr)
			continue
		}
		rec := lastAudit(t, dir)
		if tt.code == 0 {
			if rec.Outcome != audit.OK {
				t.Errorf("%v: audit outcome %q, want ok", tt.args, rec.Outcome)
			}
			continue
		}
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		if r.stdout != "" || len(lines) != 1 || !strings.Contains(lines[0], tt.stderr) {
			t.Errorf("%v on a terminal: stdout %q, stderr %q; want nothing, and one line saying %q", tt.args, r.stdout, r.stderr, tt.stderr)
		}
		if rec.Outcome != audit.Refused || rec.Action != tt.args[0] || rec.Connection != "auth0/default" {
			t.Errorf("%v: audit %+v, want refused", tt.args, rec)
		}
	}
}

// TestExportEnvFeedsExec: the env export, sourced by a shell, sets exactly
// what tether exec gives its command, a multi-line private key included;
// exec adds a fresh access token.
func TestExportEnvFeedsExec(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	sandboxSetup(t, []string{"--method", "private-key-jwt", "--name", "pk"})
	out := t.TempDir()
	for _, conn := range []string{"auth0/default", "auth0/pk"} {
		file := filepath.Join(out, strings.ReplaceAll(conn, "/", "-")+".env")
		if r := (call{}).tether(t, "--sandbox", "export", conn, "--format", "env", "--to", file); r.code != 0 {
			t.Fatalf("export %s: exit %d %s", conn, r.code, r.stderr)
		}
		sourced, err := exec.Command("sh", "-c", `set -a; . "$1"; env -0`, "sh", file).Output()
		if err != nil {
			t.Fatalf("sourcing %s: %v", file, err)
		}
		r := (call{}).tether(t, "--sandbox", "exec", conn, "--", "env", "-0")
		if r.code != 0 {
			t.Fatalf("exec %s: exit %d %s", conn, r.code, r.stderr)
		}
		want, got := tetherVars(string(sourced)), tetherVars(r.stdout)
		token := got["TETHER_ACCESS_TOKEN"]
		delete(got, "TETHER_ACCESS_TOKEN")
		if len(want) < 3 || !mapsEqual(want, got) {
			t.Errorf("%s: the sourced export sets\n%q\nexec sets\n%q", conn, want, got)
		}
		if strings.Count(token, ".") != 2 {
			t.Errorf("%s: exec's TETHER_ACCESS_TOKEN = %q, want a JWT", conn, token)
		}
		if conn == "auth0/pk" && !strings.Contains(want["TETHER_AUTH0_PRIVATE_KEY"], "\n") {
			t.Errorf("the private key lost its lines: %q", want["TETHER_AUTH0_PRIVATE_KEY"])
		}
	}
}

func tetherVars(env0 string) map[string]string {
	out := map[string]string{}
	for _, kv := range strings.Split(env0, "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "TETHER_") && k != "TETHER_CONFIG_DIR" && k != "TETHER_STORE" {
			out[k] = v
		}
	}
	return out
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestExportToAgeRecipients: an export encrypted to an age key and an SSH
// key decrypts, with either identity, to the document export prints in
// the clear: armored on stdout, binary in a file.
func TestExportToAgeRecipients(t *testing.T) {
	dir := sandboxSetup(t)
	x, _ := age.GenerateX25519Identity()
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	sshPub, _ := ssh.NewPublicKey(edPub)
	edID, _ := agessh.NewEd25519Identity(edPriv)
	recipients := []string{"--age-recipient", x.Recipient().String(), "--age-recipient", strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub))) + " colleague@laptop, 2026"}

	clear := (call{}).tether(t, "--sandbox", "export", "auth0")
	if clear.code != 0 {
		t.Fatalf("export: %d %s", clear.code, clear.stderr)
	}
	armored := (call{}).tether(t, append([]string{"--sandbox", "export", "auth0"}, recipients...)...)
	if armored.code != 0 || !strings.HasPrefix(armored.stdout, armor.Header) {
		t.Fatalf("export --age-recipient: exit %d %s\n%s", armored.code, armored.stderr, armored.stdout)
	}
	file := filepath.Join(t.TempDir(), "auth0.json.age")
	if r := (call{}).tether(t, append([]string{"--sandbox", "export", "auth0", "--to", file}, recipients...)...); r.code != 0 {
		t.Fatalf("export --to --age-recipient: exit %d %s", r.code, r.stderr)
	}
	binary, _ := os.ReadFile(file)
	if bytes.HasPrefix(binary, []byte(armor.Header)) || !bytes.HasPrefix(binary, []byte("age-encryption.org/v1")) {
		t.Errorf("the file is not binary age: %q", binary[:min(len(binary), 40)])
	}
	for _, id := range []age.Identity{x, edID} {
		for name, src := range map[string]io.Reader{"armored": armor.NewReader(strings.NewReader(armored.stdout)), "file": bytes.NewReader(binary)} {
			dec, err := age.Decrypt(src, id)
			if err != nil {
				t.Fatalf("%s with %T: %v", name, id, err)
			}
			got, _ := io.ReadAll(dec)
			if string(got) != clear.stdout {
				t.Errorf("%s with %T decrypts to\n%s\nwant\n%s", name, id, got, clear.stdout)
			}
		}
	}
	// The age tool reads it too, as the receiver would (.ci/run installs it).
	ageCLI, err := exec.LookPath("age")
	if err != nil && os.Getenv("CI") == "true" {
		t.Error("age is not installed; .ci/run installs it")
	}
	if err == nil {
		idFile := filepath.Join(t.TempDir(), "identity.txt")
		if err := os.WriteFile(idFile, []byte(x.String()+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(ageCLI, "-d", "-i", idFile)
		cmd.Stdin = strings.NewReader(armored.stdout)
		got, err := cmd.Output()
		if err != nil || string(got) != clear.stdout {
			t.Errorf("age -d: %v\n%s", err, got)
		}
	}
	if rec := lastAudit(t, dir); !strings.Contains(rec.Detail, "age-encrypted to 2 recipients") || !strings.Contains(rec.Detail, file) {
		t.Errorf("audit detail %q", rec.Detail)
	}
}

func TestExportToFile(t *testing.T) {
	sandboxSetup(t)
	file := filepath.Join(t.TempDir(), "auth0.json")
	if r := (call{}).tether(t, "--sandbox", "export", "auth0", "--to", file); r.code != 0 || r.stdout != "" {
		t.Fatalf("export --to: exit %d, stdout %q, %s", r.code, r.stdout, r.stderr)
	}
	first, _ := os.ReadFile(file)
	if st, _ := os.Stat(file); runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Errorf("mode %04o, want 0600", st.Mode().Perm())
	}
	var doc plain.ExportDocument
	if err := json.Unmarshal(first, &doc); err != nil || doc.Provider != "auth0" || len(doc.Fields) != 3 {
		t.Errorf("the file holds %v %+v", err, doc)
	}
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--to", file, "--format", "env"}, 2, "already exists: pass --force to replace it, or choose another --to"},
		{[]string{"--force"}, 2, "--force replaces the file named by --to"},
		{[]string{"--format", "yaml"}, 2, `--format "yaml": use json or env`},
		{[]string{"--to", filepath.Join(t.TempDir(), "no", "such", "dir", "x")}, 3, "there is no directory"},
		{[]string{"--age-recipient", "AGE-SECRET-KEY-1QQQQ"}, 2, "that is a private key"},
	}
	for _, tt := range tests {
		r := (call{}).tether(t, append([]string{"--sandbox", "export", "auth0"}, tt.args...)...)
		if r.code != tt.code || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("export %v: exit %d, stderr %q; want %d and one line saying %q", tt.args, r.code, r.stderr, tt.code, tt.want)
		}
		if strings.Contains(r.stderr, "QQQQ") {
			t.Errorf("export %v echoes the private key: %q", tt.args, r.stderr)
		}
	}
	if got, _ := os.ReadFile(file); !bytes.Equal(got, first) {
		t.Error("a refused export changed the file")
	}
	if r := (call{}).tether(t, "--sandbox", "export", "auth0", "--to", file, "--format", "env", "--force"); r.code != 0 {
		t.Fatalf("export --force: exit %d %s", r.code, r.stderr)
	}
	if got, _ := os.ReadFile(file); !strings.HasPrefix(string(got), "# tether export auth0/default") {
		t.Errorf("--force did not replace the file: %q", got)
	}
}

// TestExecStatus: tether exec passes the command's streams and exit status
// through, with the shell's 127 and 126 when it cannot run it, and keeps
// the file store's passphrase to itself.
func TestExecStatus(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	dir := sandboxSetup(t)
	notExec := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		stdin   string
		environ []string
		args    []string
		code    int
		stdout  string
		stderr  string
		outcome string
	}{
		{"exit status", "", nil, []string{"--", "sh", "-c", "echo out; echo err >&2; exit 7"}, 7, "out\n", "err\n", "exit 7"},
		{"stdin", "from stdin\n", nil, []string{"--", "sh", "-c", "cat"}, 0, "from stdin\n", "", "exit 0"},
		{"arguments as given", "", nil, []string{"--", "sh", "-c", `printf '[%s]' "$@"`, "sh", "a b", "--reveal", "-x"}, 0, "[a b][--reveal][-x]", "", "exit 0"},
		{"passphrase withheld", "", []string{"TETHER_PASSPHRASE=CANARY-store-key", "TETHER_AUTH0_DOMAIN=stale"}, []string{"--", "sh", "-c", `echo "${TETHER_PASSPHRASE:-none} $TETHER_AUTH0_DOMAIN"`}, 0, "none " + auth0test.DemoDomain + "\n", "", "exit 0"},
		{"no token", "", nil, []string{"--no-token", "--", "sh", "-c", `echo "${TETHER_ACCESS_TOKEN:-none}"`}, 0, "none\n", "", "exit 0"},
		{"signalled", "", nil, []string{"--", "sh", "-c", "kill -TERM $$"}, 143, "", "", "exit 143"},
		{"not found", "", nil, []string{"--", "no-such-command-9d2e"}, 127, "", "tether: exec: no-such-command-9d2e: executable file not found in $PATH\n", "exit 127"},
		{"not executable", "", nil, []string{"--", notExec}, 126, "", "permission denied", "exit 126"},
		{"no --", "", nil, []string{"true"}, 2, "", "want a connection, then --, then the command", ""},
		{"no -- before a flag", "", nil, []string{"sh", "-c", "true"}, 2, "", "unknown shorthand flag: 'c' in -c (the command goes after --", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "signalled" && runtime.GOOS == "windows" {
				t.Skip("no signals")
			}
			r := call{stdin: tt.stdin, environ: tt.environ}.tether(t, append([]string{"--sandbox", "exec", "auth0"}, tt.args...)...)
			if r.code != tt.code || r.stdout != tt.stdout || !strings.Contains(r.stderr, tt.stderr) || (tt.stderr == "" && r.stderr != "") {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q, %q", r.code, r.stdout, r.stderr, tt.code, tt.stdout, tt.stderr)
			}
			if tt.outcome != "" {
				if rec := lastAudit(t, dir); rec.Action != "exec" || rec.Outcome != tt.outcome || !strings.HasPrefix(rec.Detail, "command ") {
					t.Errorf("audit %+v, want outcome %q", rec, tt.outcome)
				}
			}
		})
	}
}
