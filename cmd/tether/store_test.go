package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/providers/auth0/auth0test"
	"github.com/tetherdev/tether/ui/plain"
)

const testPassphrase = "PASSPHRASE-canary-0b1d-horse"

// storeCredential stores a canary credential for auth0/name in s and its
// record in dir's connections file, as a setup would.
func storeCredential(t *testing.T, dir string, s flows.Store, name string) {
	t.Helper()
	k := flows.Key{Provider: "auth0", Name: name}
	if err := s.Save(context.Background(), k, flows.NewSecret(map[string]string{"client_secret": canary})); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	conn := providers.Connection{Provider: "auth0", Name: name, Method: "client-secret", Tenant: auth0test.DemoDomain,
		Settings:     map[string]string{"domain": auth0test.DemoDomain, "client_id": auth0test.DemoClientID},
		Capabilities: []string{"collect"}, Store: flows.StoreFile, CreatedAt: now, UpdatedAt: now}
	if err := (providers.Config{Dir: dir}).Update(func(f *providers.ConfigFile) error { f.Put(conn); return nil }); err != nil {
		t.Fatal(err)
	}
}

func statusCredentials(t *testing.T, r result) []string {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("status --json: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var doc plain.StatusDocument
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("status --json: %v\n%s", err, r.stdout)
	}
	var states []string
	for _, c := range doc.Connections {
		states = append(states, c.Credential)
	}
	return states
}

// TestStatusNeedsNoPassphrase: status checks that each credential is
// there without decrypting it: no passphrase, a wrong one, or an
// identity path with a typo all show it present, and none makes a key.
func TestStatusNeedsNoPassphrase(t *testing.T) {
	dir := isolate(t)
	t.Setenv("TETHER_STORE", "file")
	t.Setenv("TETHER_PASSPHRASE", "")
	t.Setenv("TETHER_AGE_IDENTITY", "")
	s, err := flows.OpenFileStoreWithPassphrase(filepath.Join(dir, "credentials"), testPassphrase)
	if err != nil {
		t.Fatal(err)
	}
	s.WorkFactor = 10
	storeCredential(t, dir, s, "default")
	storeCredential(t, dir, s, "second")

	for _, env := range []struct{ name, pass, identity string }{
		{"no passphrase", "", ""},
		{"wrong passphrase", "not the passphrase at all", ""},
		{"identity path with a typo", "", filepath.Join(dir, "age-identty.txt")},
	} {
		t.Run(env.name, func(t *testing.T) {
			t.Setenv("TETHER_PASSPHRASE", env.pass)
			t.Setenv("TETHER_AGE_IDENTITY", env.identity)
			r := tether(t, "", nil, "status", "--json")
			if got := statusCredentials(t, r); len(got) != 2 || got[0] != "file: present" || got[1] != "file: present" {
				t.Errorf("status credentials = %q, want both file: present", got)
			}
			if strings.Contains(r.stdout+r.stderr, testPassphrase) || strings.Contains(r.stdout+r.stderr, "CANARY") {
				t.Errorf("status shows a secret:\n%s%s", r.stdout, r.stderr)
			}
			for _, p := range []string{filepath.Join(dir, "age-identity.txt"), filepath.Join(dir, "age-identty.txt")} {
				if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("status made a key %s: %v", p, err)
				}
			}
		})
	}
}

// TestFileStoreKeyProblemsNeverAdviseSetup: a credential encrypted with
// another key is named as such by verify and status, with the key it
// needs, and never called damaged.
func TestFileStoreKeyProblemsNeverAdviseSetup(t *testing.T) {
	dir := isolate(t)
	t.Setenv("TETHER_STORE", "file")
	t.Setenv("TETHER_PASSPHRASE", "")
	first := filepath.Join(dir, "age-identity.txt")
	s, err := flows.OpenFileStoreWithIdentity(filepath.Join(dir, "credentials"), first)
	if err != nil {
		t.Fatal(err)
	}
	storeCredential(t, dir, s, "default")
	other := filepath.Join(t.TempDir(), "other.txt")
	o, _ := flows.OpenFileStoreWithIdentity(filepath.Join(t.TempDir(), "c"), other)
	if err := o.Save(context.Background(), flows.Key{Provider: "x", Name: "y"}, flows.NewSecret(map[string]string{"a": "b"})); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TETHER_AGE_IDENTITY", other)

	r := tether(t, "", nil, "verify", "auth0/default")
	out := r.stdout + r.stderr
	if r.code != 3 || !strings.Contains(out, "was encrypted to age1") || !strings.Contains(out, first) ||
		strings.Contains(out, "damaged") || strings.Contains(out, "tether setup") {
		t.Errorf("verify with another identity: exit %d, want 3 naming the key %s without advising setup:\n%s", r.code, first, out)
	}
	if strings.Contains(out, "CANARY") {
		t.Errorf("verify shows the secret:\n%s", out)
	}
	if got := statusCredentials(t, tether(t, "", nil, "status", "--json")); len(got) != 1 || got[0] != "file: another key" {
		t.Errorf("status credentials = %q, want file: another key", got)
	}

	// With the identity gone, verify names the missing key; no new key.
	t.Setenv("TETHER_AGE_IDENTITY", "")
	if err := os.Remove(first); err != nil {
		t.Fatal(err)
	}
	r = tether(t, "", nil, "verify", "auth0/default")
	out = r.stdout + r.stderr
	if r.code != 3 || !strings.Contains(out, first+" does not exist") || strings.Contains(out, "tether setup") {
		t.Errorf("verify with the identity deleted: exit %d\n%s", r.code, out)
	}
	if _, err := os.Stat(first); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("verify made a new identity: %v", err)
	}
}

// TestFileStoreSaysWhereItsKeyIs: the first credential write (setup's
// store probe) makes the identity and says where it is, once.
func TestFileStoreSaysWhereItsKeyIs(t *testing.T) {
	dir := isolate(t)
	args := []string{"setup", "auth0", "--store", "file", "--set", "domain=acme.us.auth0.com",
		"--set", "client_id=2iZo3Uczt5LFHacKdM0zzgUO2eG2uDjT", "--set", "custom_domain=localhost:1", "--secret-stdin"}
	r := tether(t, canary, nil, args...)
	key := filepath.Join(dir, "age-identity.txt")
	if !strings.Contains(r.stderr, "created the age identity "+key) || !strings.Contains(r.stderr, "TETHER_PASSPHRASE") ||
		!strings.Contains(r.stderr, "TETHER_AGE_IDENTITY") {
		t.Errorf("first setup with the file store does not say where its key is:\n%s", r.stderr)
	}
	if _, err := os.Stat(key); err != nil {
		t.Errorf("no identity at %s: %v", key, err)
	}
	r = tether(t, canary, nil, args...)
	if strings.Contains(r.stderr, "created the age identity") {
		t.Errorf("the second setup says it created the key again:\n%s", r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, "CANARY") {
		t.Errorf("output shows the secret")
	}
	assertNoCanaryInFiles(t, dir)
}
