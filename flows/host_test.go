package flows

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestParseHost(t *testing.T) {
	loop := HostOptions{Loopback: true}
	tests := []struct {
		name string
		in   string
		opts HostOptions
		want string // "" means an error
	}{
		{"plain", "acme.us.auth0.com", HostOptions{}, "acme.us.auth0.com"},
		{"scheme and slash", "https://Acme.US.auth0.com/", HostOptions{}, "acme.us.auth0.com"},
		{"upper scheme", "HTTPS://login.acme.com", HostOptions{}, "login.acme.com"},
		{"spaces around", "  login.acme.com \n", HostOptions{}, "login.acme.com"},
		{"trailing dot", "login.acme.com.", HostOptions{}, "login.acme.com"},
		{"https port said out loud", "login.acme.com:443", HostOptions{}, "login.acme.com"},
		{"idna", "login.bücher.de", HostOptions{}, "login.xn--bcher-kva.de"},
		{"idna fullwidth", "ｌｏｇｉｎ.acme.com", HostOptions{}, "login.acme.com"},
		{"punycode kept", "login.xn--bcher-kva.de", HostOptions{}, "login.xn--bcher-kva.de"},
		{"digits in labels", "1password.eu.auth0.com", HostOptions{}, "1password.eu.auth0.com"},

		{"userinfo with port", "login.acme.com:443@evil.example", HostOptions{}, ""},
		{"userinfo", "admin@login.acme.com", HostOptions{}, ""},
		{"userinfo after scheme", "https://login.acme.com@evil.example/", HostOptions{}, ""},
		{"fullwidth at", "login.acme.com＠evil.example", HostOptions{}, ""},
		{"fullwidth colon port", "login.acme.com：8443", HostOptions{}, ""},
		{"path", "login.acme.com/api/v2", HostOptions{}, ""},
		{"backslash", `login.acme.com\evil`, HostOptions{}, ""},
		{"query", "login.acme.com?x=1", HostOptions{}, ""},
		{"fragment", "login.acme.com#x", HostOptions{}, ""},
		{"percent", "login%2eacme.com", HostOptions{}, ""},
		{"space inside", "login acme.com", HostOptions{}, ""},
		{"http", "http://login.acme.com", HostOptions{}, ""},
		{"other scheme", "ftp://login.acme.com", HostOptions{}, ""},
		{"port on a name", "login.acme.com:8443", HostOptions{}, ""},
		{"port on a name with loopback allowed", "login.acme.com:8443", loop, ""},
		{"port zero", "localhost:0", loop, ""},
		{"port too big", "localhost:65536", loop, ""},
		{"port signed", "localhost:+80", loop, ""},
		{"port leading zero", "localhost:080", loop, ""},
		{"port empty", "localhost:", loop, ""},
		{"port not a number", "localhost:http", loop, ""},
		{"one label", "acme", HostOptions{}, ""},
		{"empty label", "acme..com", HostOptions{}, ""},
		{"leading hyphen", "-acme.com", HostOptions{}, ""},
		{"trailing hyphen", "acme-.com", HostOptions{}, ""},
		{"underscore", "ac_me.com", HostOptions{}, ""},
		{"long label", strings.Repeat("a", 64) + ".com", HostOptions{}, ""},
		{"too long", strings.Repeat(strings.Repeat("a", 60)+".", 5) + "com", HostOptions{}, ""},
		{"numeric tld", "acme.123", HostOptions{}, ""},
		{"public ip", "93.184.216.34", HostOptions{}, ""},
		{"public ip with loopback allowed", "93.184.216.34", loop, ""},
		{"bare ipv6", "::1", loop, ""},
		{"ipv6 zone", "[fe80::1%25eth0]:80", loop, ""},
		{"brackets around a name", "[localhost]:80", loop, ""},
		{"unclosed bracket", "[::1:80", loop, ""},
		{"junk after bracket", "[::1]x", loop, ""},
		{"empty", "", HostOptions{}, ""},
		{"scheme only", "https://", HostOptions{}, ""},
		{"loopback refused", "localhost", HostOptions{}, ""},
		{"loopback ip refused", "127.0.0.1", HostOptions{}, ""},

		{"localhost", "localhost:8443", loop, "localhost:8443"},
		{"loopback ipv4", "https://127.0.0.1:39211/", loop, "127.0.0.1:39211"},
		{"loopback ipv6", "[::1]:8443", loop, "[::1]:8443"},
		{"loopback ipv6 no port", "[::1]", loop, "[::1]"},
		{"a name with loopback allowed", "login.acme.com", loop, "login.acme.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := ParseHost(tt.in, tt.opts)
			got := ""
			if err == nil {
				got = h.String()
			}
			if got != tt.want {
				t.Fatalf("ParseHost(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			if err != nil {
				if !errors.Is(err, ErrNotHost) {
					t.Errorf("ParseHost(%q) error %v is not ErrNotHost", tt.in, err)
				}
				if strings.Count(err.Error(), "\n") > 0 {
					t.Errorf("ParseHost(%q) error %q is not one line", tt.in, err)
				}
			}
		})
	}
}

// FuzzParseHost: whatever the input, a host ParseHost accepts holds no
// user information, connects where it says (a URL built from it has
// exactly that host), is its own normal form, and has a port only on
// loopback.
func FuzzParseHost(f *testing.F) {
	for _, s := range []string{"acme.us.auth0.com", "https://Acme.auth0.com/", "login.acme.com:443@evil.example",
		"localhost:8443", "[::1]:1", "127.0.0.1:80", "login.bücher.de", "a@b", "x.y/z", "ｌｏｇｉｎ.acme.com"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, loopback bool) {
		opts := HostOptions{Loopback: loopback}
		h, err := ParseHost(s, opts)
		if err != nil {
			if !errors.Is(err, ErrNotHost) {
				t.Fatalf("ParseHost(%q) error %v is not ErrNotHost", s, err)
			}
			return
		}
		hp := h.String()
		if strings.ContainsAny(hp, "@/\\?#% ") {
			t.Fatalf("ParseHost(%q) = %q, which holds more than a host", s, hp)
		}
		u, err := url.Parse("https://" + hp)
		if err != nil || u.Host != hp || u.User != nil || u.Path != "" || u.Hostname() != h.Name || u.Port() != h.Port {
			t.Fatalf("ParseHost(%q) = %q, but https://%s parses to host %q (user %v, path %q, port %q), err %v",
				s, hp, hp, u.Host, u.User, u.Path, u.Port(), err)
		}
		again, err := ParseHost(hp, opts)
		if err != nil || again != h {
			t.Fatalf("ParseHost(%q) = %q, but ParseHost of that = %+v, %v: not a normal form", s, hp, again, err)
		}
		if h.Port != "" && (!loopback || !h.IsLoopback()) {
			t.Fatalf("ParseHost(%q, loopback=%v) = %q: a port off loopback", s, loopback, hp)
		}
		if !loopback && h.IsLoopback() {
			t.Fatalf("ParseHost(%q) = %q: loopback without the option", s, hp)
		}
	})
}
