package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/tetherdev/tether/ui/plain"
)

// tetherOnTerminal runs tether as a person at a terminal would, with
// stdout captured.
func tetherOnTerminal(t *testing.T, stdin string, a *app, args ...string) result {
	t.Helper()
	return tetherOn(t, true, stdin, a, args...)
}

// oneLine reports whether s is exactly one "tether: " line containing
// every one of want.
func oneLine(s string, want ...string) bool {
	s = strings.TrimSuffix(s, "\n")
	if strings.Contains(s, "\n") || !strings.HasPrefix(s, "tether: ") {
		return false
	}
	for _, w := range want {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}

// connections returns the names of the stored sandbox connections.
func connections(t *testing.T) []string {
	t.Helper()
	r := tether(t, "", nil, "--sandbox", "status", "--json")
	var doc struct {
		Connections []struct{ Provider, Name string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("status --json: %v\n%s%s", err, r.stdout, r.stderr)
	}
	var out []string
	for _, c := range doc.Connections {
		out = append(out, c.Provider+"/"+c.Name)
	}
	return out
}

func TestSetupDoesNotReplaceUnasked(t *testing.T) {
	isolate(t)
	if r := tether(t, "", nil, "--sandbox", "setup", "auth0", "--no-input"); r.code != 0 {
		t.Fatalf("first setup: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Without a terminal: refused before any sign-in, naming both ways on.
	r := tether(t, "", nil, "--sandbox", "setup", "auth0", "--no-input")
	if r.code != 2 || r.stdout != "" || !oneLine(r.stderr, "auth0/default already exists (tenant tether-demo.us.auth0.com", "--replace", "--name NAME") {
		t.Errorf("setup over auth0/default without --replace: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	// On a terminal, with --no-input: the same refusal, nothing asked.
	r = tetherOnTerminal(t, "y\n", nil, "--sandbox", "setup", "auth0", "--no-input")
	if r.code != 2 || !oneLine(r.stderr, "--replace") {
		t.Errorf("setup --no-input on a terminal: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// On a terminal: asked; no keeps it.
	r = tetherOnTerminal(t, "n\n", nil, "--sandbox", "setup", "auth0", "--set", "domain=tether-demo.us.auth0.com")
	if r.code != 130 || !strings.Contains(r.stderr, "Replace auth0/default? [y/N]") || !strings.Contains(r.stderr, "auth0/default is kept as it was") ||
		strings.Contains(r.stdout, "granted") {
		t.Errorf("answering no: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	// The line-by-line wizard asks before its first question.
	r = tetherOnTerminal(t, "n\n", nil, "--sandbox", "--accessible", "setup", "auth0")
	if r.code != 130 || !strings.Contains(r.stderr, "Replace auth0/default? [y/N]") || strings.Contains(r.stdout, "How do you want to connect?") {
		t.Errorf("--accessible, answering no: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	r = tetherOnTerminal(t, "y\n", nil, "--sandbox", "setup", "auth0", "--set", "domain=tether-demo.us.auth0.com")
	if r.code != 0 || !strings.Contains(r.stdout, "replaced ") {
		t.Errorf("answering yes: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if r := tether(t, "", nil, "--sandbox", "setup", "auth0", "--no-input", "--replace"); r.code != 0 || !strings.Contains(r.stdout, "replaced ") {
		t.Errorf("setup --replace: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := tether(t, "", nil, "--sandbox", "setup", "auth0", "--no-input", "--name", "second"); r.code != 0 || !strings.Contains(r.stdout, "saved ") {
		t.Errorf("setup --name second: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got, want := connections(t), []string{"auth0/default", "auth0/second"}; !slices.Equal(got, want) {
		t.Errorf("connections = %q, want %q", got, want)
	}
}

func TestForgetNeedsYesWithoutTerminal(t *testing.T) {
	isolate(t)
	if r := tether(t, "", nil, "--sandbox", "setup", "auth0", "--no-input"); r.code != 0 {
		t.Fatalf("setup: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := tether(t, "y\n", nil, "--sandbox", "forget", "auth0/default")
	if r.code != 2 || r.stdout != "" || !oneLine(r.stderr, "forget deletes auth0/default", "--yes") {
		t.Errorf("forget without a terminal or --yes: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if got := connections(t); !slices.Equal(got, []string{"auth0/default"}) {
		t.Fatalf("after a refused forget, connections = %q", got)
	}
	r = tetherOnTerminal(t, "n\n", nil, "--sandbox", "forget", "auth0/default")
	if r.code != 0 || !strings.Contains(r.stderr, "kept auth0/default") || len(connections(t)) != 1 {
		t.Errorf("answering no: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = tetherOnTerminal(t, "y\n", nil, "--sandbox", "forget", "AUTH0/default")
	if r.code != 0 || !strings.Contains(r.stdout, "forgot auth0/default") || len(connections(t)) != 0 {
		t.Errorf("answering yes: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestProviderIDsIgnoreCase(t *testing.T) {
	isolate(t)
	if r := tether(t, "", nil, "--sandbox", "setup", "Auth0", "--no-input"); r.code != 0 || !strings.Contains(r.stdout, "saved ") {
		t.Fatalf("setup Auth0: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, args := range [][]string{{"verify", "AUTH0"}, {"verify", "Auth0/default"}, {"catalog", "Auth0"}} {
		if r := tether(t, "", nil, append([]string{"--sandbox"}, args...)...); r.code != 0 {
			t.Errorf("%s: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
	}
	// Names are the admin's own, and keep their case.
	if r := tether(t, "", nil, "--sandbox", "verify", "auth0/Default"); r.code != 2 || !strings.Contains(r.stderr, "no connection auth0/Default") {
		t.Errorf("verify auth0/Default: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestNothingToVerifyIsNotAnError(t *testing.T) {
	isolate(t)
	r := tether(t, "", nil, "verify")
	if r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "no connections yet") {
		t.Errorf("verify with no connections: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, args := range [][]string{{"verify", "--json"}, {"verify", "--format", "json"}, {"status", "--json"}} {
		r := tether(t, "", nil, args...)
		var doc map[string][]any
		if err := json.Unmarshal([]byte(r.stdout), &doc); r.code != 0 || err != nil || doc["connections"] == nil || len(doc["connections"]) != 0 {
			t.Errorf("%s with no connections: exit %d, %v\n%s, want {\"connections\":[]}", args, r.code, err, r.stdout)
		}
	}
}

// TestJSONFlagAndFormatAgree: wherever JSON is printed, --json and
// --format json print the same document.
func TestJSONFlagAndFormatAgree(t *testing.T) {
	isolate(t)
	if r := tether(t, "", nil, "--sandbox", "setup", "auth0", "--no-input"); r.code != 0 {
		t.Fatalf("setup: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, args := range [][]string{{"catalog"}, {"catalog", "auth0"}, {"status"}} {
		a := tether(t, "", nil, append(append([]string{"--sandbox"}, args...), "--json")...)
		b := tether(t, "", nil, append(append([]string{"--sandbox"}, args...), "--format", "json")...)
		if a.code != 0 || a.stdout != b.stdout || !json.Valid([]byte(a.stdout)) {
			t.Errorf("%s: --json (exit %d) and --format json (exit %d) differ:\n%s\n%s", args, a.code, b.code, a.stdout, b.stdout)
		}
	}
	// verify's documents differ by their times only.
	a := tether(t, "", nil, "--sandbox", "verify", "--json")
	b := tether(t, "", nil, "--sandbox", "verify", "--format", "json")
	var da, db plain.VerifyDocument
	if json.Unmarshal([]byte(a.stdout), &da) != nil || json.Unmarshal([]byte(b.stdout), &db) != nil ||
		len(da.Connections) != 1 || len(db.Connections) != 1 || !slices.Equal(statuses(da), statuses(db)) {
		t.Errorf("verify --json and --format json differ:\n%s\n%s", a.stdout, b.stdout)
	}
}

func statuses(d plain.VerifyDocument) []string {
	var out []string
	for _, c := range d.Connections {
		for _, ch := range c.Checks {
			out = append(out, ch.Permission+"="+string(ch.Status))
		}
	}
	return out
}

// TestVerifyOfAProviderNotYetConnectable does not promise a setup that
// cannot be done.
func TestVerifyOfAProviderNotYetConnectable(t *testing.T) {
	isolate(t)
	a := &app{}
	a.ios, _, _, _ = plain.Test()
	later := a.notYet()
	if len(later) == 0 {
		t.Skip("every catalog provider can be connected")
	}
	for _, cmd := range [][]string{{"verify", later[0]}, {"forget", later[0], "--yes"}} {
		r := tether(t, "", nil, cmd...)
		if r.code != 2 || !oneLine(r.stderr, "cannot connect", "yet", "tether catalog "+later[0]) || strings.Contains(r.stderr, "creates one") {
			t.Errorf("%s: exit %d, stderr %q", cmd, r.code, r.stderr)
		}
	}
}
