package sshd

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"
)

func newSigner(t testing.TB) gossh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func authLine(s gossh.Signer) string {
	return strings.TrimSpace(string(gossh.MarshalAuthorizedKey(s.PublicKey())))
}

func TestParseAuthorizedKeys(t *testing.T) {
	a, b, c := newSigner(t), newSigner(t), newSigner(t)
	for _, tc := range []struct {
		name     string
		line     string
		key      gossh.Signer
		want     Role // "" means refused
		warnLine int
	}{
		{"no role is a viewer", authLine(a) + " me@laptop", a, RoleViewer, 0},
		{"admin", `role="admin" ` + authLine(a), a, RoleAdmin, 0},
		{"viewer", `role="viewer" ` + authLine(a), a, RoleViewer, 0},
		{"admin among other options", `no-pty,role="admin",from="10.0.0.0/8" ` + authLine(a), a, RoleAdmin, 0},
		{"unknown role refused", `role="root" ` + authLine(a), a, "", 2},
		{"role twice refused", `role="viewer",role="admin" ` + authLine(a), a, "", 2},
		{"garbage refused", `role="admin" ssh-ed25519 AAAAnotbase64`, a, "", 2},
		{"truncated key refused", `role="admin" ` + authLine(a)[:30], a, "", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Line 1 is a comment; line 3 another key that must not leak
			// its role onto a refused line 2.
			data := "# tether's keys\n" + tc.line + "\n" + `role="admin" ` + authLine(b) + "\n\n"
			ak := ParseAuthorizedKeys([]byte(data))
			k, err := ak.Lookup(tc.key.PublicKey())
			if tc.want == "" {
				if !errors.Is(err, ErrUnknownKey) {
					t.Fatalf("Lookup(%q) = %v, %v, want ErrUnknownKey", tc.line, k.Role, err)
				}
				if len(ak.Warnings) != 1 || ak.Warnings[0].Line != tc.warnLine {
					t.Fatalf("ParseAuthorizedKeys(%q) warnings = %v, want one on line %d", tc.line, ak.Warnings, tc.warnLine)
				}
			} else if err != nil || k.Role != tc.want {
				t.Fatalf("Lookup(%q) = %v, %v, want %v", tc.line, k.Role, err, tc.want)
			}
			if k, err := ak.Lookup(b.PublicKey()); err != nil || k.Role != RoleAdmin || k.Line != 3 {
				t.Fatalf("Lookup(line 3) = %+v, %v, want admin on line 3", k, err)
			}
			if _, err := ak.Lookup(c.PublicKey()); !errors.Is(err, ErrUnknownKey) {
				t.Fatalf("Lookup(unlisted) = %v, want ErrUnknownKey", err)
			}
		})
	}
}

// TestDuplicateKeyGetsLesserRole: a key listed as admin and as viewer is
// a viewer.
func TestDuplicateKeyGetsLesserRole(t *testing.T) {
	a := newSigner(t)
	ak := ParseAuthorizedKeys([]byte(`role="admin" ` + authLine(a) + "\n" + authLine(a) + "\n"))
	if k, err := ak.Lookup(a.PublicKey()); err != nil || k.Role != RoleViewer {
		t.Fatalf("Lookup = %v, %v, want viewer", k.Role, err)
	}
}

func TestCheckCommand(t *testing.T) {
	for _, tc := range []struct {
		role Role
		args []string
		ok   bool
	}{
		{RoleViewer, []string{"status", "--json"}, true},
		{RoleViewer, []string{"verify", "--json"}, true},
		{RoleViewer, []string{"setup", "auth0"}, false},
		{RoleViewer, []string{"forget", "auth0/default"}, false},
		{RoleAdmin, []string{"setup", "auth0"}, true},
		{RoleAdmin, []string{"forget", "auth0/default", "--yes"}, true},
		{RoleAdmin, []string{"reset"}, false},
		{RoleAdmin, []string{"--sandbox", "status"}, false},
		{RoleAdmin, []string{"status", "--store=file"}, false},
		{RoleAdmin, []string{"verify", "--sandbox"}, false},
		{RoleAdmin, nil, false},
	} {
		err := CheckCommand(tc.role, tc.args)
		if (err == nil) != tc.ok {
			t.Errorf("CheckCommand(%v, %q) = %v, want ok %v", tc.role, tc.args, err, tc.ok)
		}
	}
}

func TestConnectionArg(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"setup", "auth0"}, "auth0/default"},
		{[]string{"setup", "--no-input", "auth0", "--name", "prod"}, "auth0/prod"},
		{[]string{"setup", "auth0", "--name=prod"}, "auth0/prod"},
		{[]string{"forget", "auth0/prod", "--yes"}, "auth0/prod"},
		{[]string{"verify", "--json"}, ""},
		{[]string{"status"}, ""},
		{[]string{"setup", "--name"}, ""},
	} {
		if got := connectionArg(tc.args); got != tc.want {
			t.Errorf("connectionArg(%q) = %q, want %q", tc.args, got, tc.want)
		}
	}
}
