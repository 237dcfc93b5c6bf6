package sandbox

import (
	"errors"
	"net/http"
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

func TestClientReachesOnlyEmulators(t *testing.T) {
	cat, _ := catalog.Default()
	sb, err := Start(cat, Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	c := sb.HTTPClient()
	resp, err := c.Get("https://tether-demo.us.auth0.com/api/v2/users")
	if err != nil {
		t.Fatalf("GET emulated host: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /api/v2/users without a token = %d, want 401", resp.StatusCode)
	}
	_, err = c.Get("https://example.com/")
	if !errors.Is(err, ErrNotEmulated) {
		t.Errorf("GET https://example.com/ = %v, want ErrNotEmulated", err)
	}
	// The default client does not trust the sandbox's authority.
	e, _ := sb.Emulator("auth0")
	if _, err := http.Get("https://" + e.Addr + "/"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("a default client reached the sandbox: %v", err)
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
	_, a, err := demoKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, b, err := demoKey(dir)
	if err != nil || a != b {
		t.Fatalf("second demoKey differs or fails: %v", err)
	}
	st, _ := os.Stat(filepath.Join(dir, "auth0-demo-key.pem"))
	if st.Mode().Perm() != 0o600 {
		t.Errorf("demo key mode %o", st.Mode().Perm())
	}
}
