package sandbox

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tetherdev/tether/catalog"
)

func TestParseDeny(t *testing.T) {
	cat, _ := catalog.Default()
	tests := []struct {
		name    string
		in      []string
		want    map[string][]string
		wantErr string
	}{
		{"split at the first colon", []string{"auth0:read:logs"}, map[string][]string{"auth0": {"read:logs"}}, ""},
		{"commas and repeats", []string{"auth0:read:logs,auth0:read:users", "entra:User.Read.All"},
			map[string][]string{"auth0": {"read:logs", "read:users"}, "entra": {"User.Read.All"}}, ""},
		{"real scope names the guide's row", []string{"auth0:read:logs_users"}, map[string][]string{"auth0": {"read:user_logs"}}, ""},
		{"unknown provider", []string{"github:repo"}, nil, `unknown provider "github"`},
		{"unknown permission", []string{"auth0:read:clients"}, nil, `auth0 has no permission "read:clients" (valid: read:users`},
		{"no permission", []string{"auth0"}, nil, "want PROVIDER:PERMISSION"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDeny(cat, tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("ParseDeny(%q) = %v, want an error containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil || len(got) != len(tt.want) {
				t.Fatalf("ParseDeny(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
			for k, v := range tt.want {
				if !slices.Equal(got[k], v) {
					t.Errorf("ParseDeny(%q)[%s] = %q, want %q", tt.in, k, got[k], v)
				}
			}
		})
	}
}

func TestMatchHost(t *testing.T) {
	patterns := []string{"*.auth0.com", "*.us.auth0.com", "exact.test"}
	tests := []struct {
		host string
		want bool
	}{
		{"acme.auth0.com", true}, {"acme.us.auth0.com", true}, {"ACME.US.AUTH0.COM", true}, {"exact.test", true},
		{"auth0.com", false}, {"a.b.eu.auth0.com", false}, {"evil-auth0.com", false}, {"auth0.com.evil.test", false}, {".auth0.com", false},
	}
	for _, tt := range tests {
		if got := matchHost(patterns, tt.host); got != tt.want {
			t.Errorf("matchHost(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
}

func TestDenyWithholdsTheRealScope(t *testing.T) {
	cat, _ := catalog.Default()
	deny, err := ParseDeny(cat, []string{"auth0:read:user_logs"})
	if err != nil {
		t.Fatal(err)
	}
	cp, _ := cat.Provider("auth0")
	got := withhold(cp, deny["auth0"])
	want := []string{"read:users", "read:logs", "read:guardian_factors"}
	if !slices.Equal(got, want) {
		t.Errorf("withhold(read:user_logs) = %q, want %q", got, want)
	}
}

func TestDemoKeyPersists(t *testing.T) {
	dir := t.TempDir()
	_, a, err := DemoKey(dir, "auth0-demo-key.pem")
	if err != nil {
		t.Fatal(err)
	}
	_, b, err := DemoKey(dir, "auth0-demo-key.pem")
	if err != nil || a != b {
		t.Fatalf("second demoKey differs or fails: %v", err)
	}
	st, _ := os.Stat(filepath.Join(dir, "auth0-demo-key.pem"))
	if st.Mode().Perm() != 0o600 {
		t.Errorf("demo key mode %o", st.Mode().Perm())
	}
}

func TestCheckListen(t *testing.T) {
	tests := []struct {
		listen string
		remote bool
		ok     bool
		errHas string
	}{
		{"127.0.0.1:0", false, true, ""},
		{"[::1]:8443", false, true, ""},
		{"localhost:8443", false, true, ""},
		{"0.0.0.0:8443", false, false, "--allow-remote"},
		{"[::]:8443", false, false, "--allow-remote"},
		{"0.0.0.0:8443", true, true, ""},
		{"127.0.0.1", false, false, "HOST:PORT"},
		{"127.0.0.1:99999", false, false, "0 to 65535"},
		{"127.0.0.1:+80", false, false, "0 to 65535"},
		{"example.com:443", false, false, "IP address"},
	}
	for _, tt := range tests {
		_, _, err := checkListen(tt.listen, tt.remote)
		if (err == nil) != tt.ok || (err != nil && !strings.Contains(err.Error(), tt.errHas)) {
			t.Errorf("checkListen(%q, remote=%v) = %v, want ok=%v saying %q", tt.listen, tt.remote, err, tt.ok, tt.errHas)
		}
		var le *ListenError
		if err != nil && !errors.As(err, &le) {
			t.Errorf("checkListen(%q) = %T, want a *ListenError", tt.listen, err)
		}
	}
}
