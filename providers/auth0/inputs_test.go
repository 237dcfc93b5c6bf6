package auth0

import (
	"net/url"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/tetherdev/tether/providers"
)

func TestCustomDomain(t *testing.T) {
	tests := []struct {
		in, want string // want "" means an error
	}{
		{"login.acme.com", "login.acme.com"},
		{"https://Login.Acme.com/", "login.acme.com"},
		{"login.acme.com:443", "login.acme.com"},
		{"auth.bücher.de", "auth.xn--bcher-kva.de"},
		{"127.0.0.1:39211", "127.0.0.1:39211"},
		{"localhost:8443", "localhost:8443"},
		{"[::1]:8443", "[::1]:8443"},
		// The attack: everything before the @ is user information, so an
		// URL built from it would send the client secret to evil.example.
		{"login.acme.com:443@evil.example", ""},
		{"https://login.acme.com@evil.example", ""},
		{"login.acme.com:8443", ""},
		{"login.acme.com/oauth/token", ""},
		{"login.acme.com?x", ""},
		{"10.0.0.5", ""},
		{"http://login.acme.com", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, err := CustomDomain(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("CustomDomain(%q) = %q, want an error", tt.in, got)
			} else if !strings.Contains(err.Error(), "like login.acme.com") || strings.Contains(err.Error(), "\n") {
				t.Errorf("CustomDomain(%q) error %q: want one line showing a good value", tt.in, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("CustomDomain(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestCanonicalDomainRefusesWhatIsNotAHost(t *testing.T) {
	for _, in := range []string{"acme.us.auth0.com:443@evil.example", "evil.example@acme.us.auth0.com",
		"acme.us.auth0.com:8443", "localhost", "acme.us.auth0.com.evil.example", "acme.us.auth0.com#x"} {
		if got, err := CanonicalDomain(in); err == nil {
			t.Errorf("CanonicalDomain(%q) = %q, want an error", in, got)
		}
	}
}

// FuzzCanonicalDomain: an accepted tenant domain is a bare host under
// auth0.com, and is its own normal form.
func FuzzCanonicalDomain(f *testing.F) {
	for _, s := range []string{"acme.us.auth0.com", "https://Acme.EU.auth0.com/", "legacy.auth0.com",
		"acme.us.auth0.com:443@evil.example", "auth0.com", "x.auth0.com.", "ａcme.auth0.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := CanonicalDomain(s)
		if err != nil {
			if !strings.Contains(err.Error(), "acme.us.auth0.com") {
				t.Fatalf("CanonicalDomain(%q) error %q shows no good value", s, err)
			}
			return
		}
		if !strings.HasSuffix(d, ".auth0.com") || strings.ContainsAny(d, ":@/?#") {
			t.Fatalf("CanonicalDomain(%q) = %q: not a bare *.auth0.com host", s, d)
		}
		if u, err := url.Parse("https://" + d + "/api/v2/"); err != nil || u.Host != d || u.User != nil {
			t.Fatalf("CanonicalDomain(%q) = %q, but a URL on it goes to %q", s, d, u.Host)
		}
		if again, err := CanonicalDomain(d); err != nil || again != d {
			t.Fatalf("CanonicalDomain(%q) = %q, then %q, %v: not a normal form", s, d, again, err)
		}
	})
}

// FuzzCustomDomain: an accepted custom domain connects where it says and
// is its own normal form; a port appears only on loopback.
func FuzzCustomDomain(f *testing.F) {
	for _, s := range []string{"login.acme.com", "login.acme.com:443@evil.example", "127.0.0.1:8443",
		"[::1]:1", "localhost:99999", "login.acme.com:8443", "https://login.acme.com/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := CustomDomain(s)
		if err != nil {
			return
		}
		u, err := url.Parse("https://" + d + "/oauth/token")
		if err != nil || u.Host != d || u.User != nil || u.Path != "/oauth/token" {
			t.Fatalf("CustomDomain(%q) = %q, but the token URL goes to host %q (user %v)", s, d, u.Host, u.User)
		}
		if u.Port() != "" && u.Hostname() != "localhost" && u.Hostname() != "127.0.0.1" && u.Hostname() != "::1" &&
			!strings.HasPrefix(u.Hostname(), "127.") {
			t.Fatalf("CustomDomain(%q) = %q: a port off loopback", s, d)
		}
		if again, err := CustomDomain(d); err != nil || again != d {
			t.Fatalf("CustomDomain(%q) = %q, then %q, %v: not a normal form", s, d, again, err)
		}
	})
}

// FuzzClientID: an accepted client id is what Auth0 issues (letters,
// digits, - and _, 16 to 64 of them, spaces around trimmed), and every
// refusal says the same, showing a good value.
func FuzzClientID(f *testing.F) {
	for _, s := range []string{"2iZo3Uczt5LFHacKdM0zzgUO2eG2uDjT", " 2iZo3Uczt5LFHacKdM0zzgUO2eG2uDjT\n", "short", "has space in it okay", "ü2iZo3Uczt5LFHacKdM0zzgUO2eG2uDjT"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := validClientID(s)
		id := strings.TrimSpace(s)
		if err != nil {
			if want := validClientID("").Error(); err.Error() != want {
				t.Fatalf("validClientID(%q) = %q, want the one refusal %q", s, err, want)
			}
			return
		}
		if len(id) < 16 || len(id) > 64 || strings.Trim(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != "" {
			t.Fatalf("validClientID(%q) = nil for a value Auth0 never issues", s)
		}
	})
}

// FuzzClientSecret: an accepted secret has no whitespace inside, and
// the error depends on the secret's length and spacing only, never on
// its characters: the same error comes for the secret with every other
// character replaced by x, so no part of it can leak.
func FuzzClientSecret(f *testing.F) {
	for _, s := range []string{strings.Repeat("x", 64), "CANARY-short", "has space CANARY-xxxxxxxxxxxxxxxxxxxxxxxx", "CANARY\nxxxxxxxxxxxxxxxxxxxxxx", "  ", "\u00a0CANARY-xxxxxxxxxxxxxxxxxxxxxxxxx"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := validClientSecret(s)
		if err == nil {
			v := strings.TrimSpace(s)
			if len(v) < 20 || strings.ContainsAny(v, " \t\r\n") {
				t.Fatalf("validClientSecret(%q) = nil", s)
			}
			return
		}
		var masked strings.Builder
		for rest := s; rest != ""; {
			r, n := utf8.DecodeRuneInString(rest)
			if unicode.IsSpace(r) {
				masked.WriteString(rest[:n])
			} else {
				masked.WriteString(strings.Repeat("x", n))
			}
			rest = rest[n:]
		}
		if merr := validClientSecret(masked.String()); merr == nil || merr.Error() != err.Error() {
			t.Fatalf("validClientSecret(%q) = %q but for the masked secret %v: the message depends on the secret's characters", s, err, merr)
		}
	})
}

// TestStepsSayNothingOfTheStore: where a secret is kept depends on the
// store in use, which a provider does not know; the front ends say it.
func TestStepsSayNothingOfTheStore(t *testing.T) {
	p := &Provider{}
	for _, m := range p.Methods() {
		for _, st := range p.Steps(m, providers.Inputs{}) {
			if s := strings.ToLower(st.Title + " " + st.Detail); strings.Contains(s, "keyring") || strings.Contains(s, "stored in") {
				t.Errorf("%s step %q speaks of the store: %q", m.ID, st.Title, st.Detail)
			}
		}
	}
}
