package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// addRecord appends a raw connection record to the sandbox's
// connections.json, as a hand edit or an attacker would.
func addRecord(t *testing.T, dir string, record map[string]any) {
	t.Helper()
	path := filepath.Join(dir, "sandbox", "connections.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	doc["connections"] = append(doc["connections"].([]any), record)
	if data, err = json.Marshal(doc); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestBadRecordIsNamedAndTheOthersWork: a record named like a path is
// not used. Commands that need it name it and why on one line, exit 2,
// and touch no file outside the credentials directory; the good
// connection beside it still verifies.
func TestBadRecordIsNamedAndTheOthersWork(t *testing.T) {
	dir := isolate(t)
	if r := tether(t, "", nil, "--sandbox", "setup", "auth0", "--no-input"); r.code != 0 {
		t.Fatalf("setup: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Where the file store would look for a secret of this name.
	name := "../../../../victim/precious"
	victim := filepath.Join(dir, "sandbox", "credentials", "auth0", name+".age")
	if err := os.MkdirAll(filepath.Dir(victim), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(victim, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	addRecord(t, dir, map[string]any{"provider": "auth0", "name": name, "method": "client-secret", "tenant": "acme.us.auth0.com",
		"settings":     map[string]string{"domain": "acme.us.auth0.com", "client_id": "2iZo3Uczt5LFHacKdM0zzgUO2eG2uDjT"},
		"capabilities": []string{"collect"}, "store": "file"})
	oneLine := func(stderr string) bool {
		s := strings.TrimSpace(stderr)
		return strings.Count(s, "\n") == 0 && strings.Contains(s, `connection 2 ("auth0/`+name+`")`) &&
			strings.Contains(s, "is not valid") && strings.HasPrefix(s, "tether: ")
	}

	r := tether(t, "", nil, "--sandbox", "forget", "auth0/"+name, "--yes")
	if r.code != 2 || !oneLine(r.stderr) {
		t.Errorf("forget of the bad record: exit %d, stderr %q", r.code, r.stderr)
	}
	if data, err := os.ReadFile(victim); err != nil || string(data) != "precious" {
		t.Fatalf("forget touched %s outside the credentials dir: %q, %v", victim, data, err)
	}
	r = tether(t, "", nil, "--sandbox", "verify")
	if r.code != 2 || !oneLine(r.stderr) || strings.Count(r.stdout, "✓ granted") != 4 {
		t.Errorf("verify of all: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if r := tether(t, "", nil, "--sandbox", "verify", "auth0/default"); r.code != 0 || r.stderr != "" {
		t.Errorf("verify of the good connection: exit %d, stderr %q", r.code, r.stderr)
	}
	r = tether(t, "", nil, "--sandbox", "status", "--json")
	var doc struct{ Connections []struct{ Name string } }
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || r.code != 2 || !oneLine(r.stderr) ||
		len(doc.Connections) != 1 || doc.Connections[0].Name != "default" {
		t.Errorf("status --json: exit %d, %v\nstdout:\n%s\nstderr:\n%s", r.code, err, r.stdout, r.stderr)
	}
	if data, err := os.ReadFile(victim); err != nil || string(data) != "precious" {
		t.Errorf("%s outside the credentials dir changed: %q, %v", victim, data, err)
	}
	// The bad record is still there for the admin to repair.
	if data, _ := os.ReadFile(filepath.Join(dir, "sandbox", "connections.json")); !strings.Contains(string(data), "victim/precious") {
		t.Errorf("the bad record was dropped from connections.json:\n%s", data)
	}
}

// TestConfigDirOthersCanWrite: status warns and reads no credential;
// verify and setup refuse, saying the chmod to run, before any secret is
// read or signed in for.
func TestConfigDirOthersCanWrite(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("mode bits")
	}
	dir := isolate(t)
	if r := tether(t, "", nil, "--sandbox", "setup", "auth0", "--no-input"); r.code != 0 {
		t.Fatalf("setup: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	sandboxDir := filepath.Join(dir, "sandbox")
	if err := os.Chmod(sandboxDir, 0o777); err != nil {
		t.Fatal(err)
	}
	want := "writable by other users (mode 0777), so tether reads no credential through it; run chmod 700 " + sandboxDir
	r := tether(t, "", nil, "--sandbox", "status")
	if r.code != 0 || !strings.Contains(r.stderr, "warning: "+sandboxDir+" is "+want) || !strings.Contains(r.stdout, "file: not checked") {
		t.Errorf("status: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, args := range [][]string{{"verify"}, {"verify", "--json"}, {"setup", "auth0", "--no-input"}} {
		r := tether(t, "", nil, append([]string{"--sandbox"}, args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, want) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || r.stdout != "" {
			t.Errorf("%s: exit %d\nstdout:\n%s\nstderr:\n%s", args, r.code, r.stdout, r.stderr)
		}
	}
	if err := os.Chmod(sandboxDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if r := tether(t, "", nil, "--sandbox", "verify"); r.code != 0 {
		t.Errorf("verify once fixed: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestNewerConfigIsNoticedBeforeSignIn: setup refuses a connections file
// from a newer tether before it signs in, in one line, exit 2.
func TestNewerConfigIsNoticedBeforeSignIn(t *testing.T) {
	dir := isolate(t)
	if err := os.MkdirAll(filepath.Join(dir, "sandbox"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sandbox", "connections.json"), []byte(`{"version": 2, "connections": []}`), 0o600); err != nil {
		t.Fatal(err)
	}
	r := tether(t, "", nil, "--sandbox", "setup", "auth0", "--no-input")
	if r.code != 2 || !strings.Contains(r.stderr, "format version 2 was written by a newer tether") ||
		strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || strings.Contains(r.stdout, "granted") {
		t.Errorf("setup over a newer file: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

// TestSecretInARecordIsNeverShown: a record that holds a secret in its
// settings is not used, and no command repeats the secret in saying so.
func TestSecretInARecordIsNeverShown(t *testing.T) {
	dir := isolate(t)
	if r := tether(t, "", nil, "--sandbox", "setup", "auth0", "--no-input"); r.code != 0 {
		t.Fatalf("setup: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	addRecord(t, dir, map[string]any{"provider": "auth0", "name": "leaky", "method": "client-secret", "tenant": "acme.us.auth0.com",
		"settings":     map[string]string{"domain": "acme.us.auth0.com", "client_id": "2iZo3Uczt5LFHacKdM0zzgUO2eG2uDjT", "client_secret": canary},
		"capabilities": []string{"collect"}, "store": "file"})
	var all strings.Builder
	for _, args := range [][]string{{"status"}, {"status", "--json"}, {"verify"}, {"verify", "--json"}, {"verify", "auth0/leaky"}, {"forget", "auth0/leaky", "--yes"}} {
		r := tether(t, "", nil, append([]string{"--sandbox"}, args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, `connection 2 ("auth0/leaky")`) || !strings.Contains(r.stderr, `"client_secret" belongs in the credential store only`) {
			t.Errorf("%s: exit %d\nstdout:\n%s\nstderr:\n%s", args, r.code, r.stdout, r.stderr)
		}
		all.WriteString(r.stdout + r.stderr)
	}
	if strings.Contains(all.String(), "CANARY") {
		t.Errorf("output reveals the secret:\n%s", all.String())
	}
}
