package duo

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzAPIHostname: an accepted API hostname is a bare Duo host, a URL on
// it connects to that host and no other (no userinfo, port or path), and
// it is its own normal form. A refusal always shows a good value and
// never repeats a value shaped like a secret key.
func FuzzAPIHostname(f *testing.F) {
	for _, s := range []string{
		"api-1a2b3c4d.duosecurity.com",
		"https://API-1A2B3C4D.duosecurity.com/",
		"api-1a2b3c4d.duofederal.com",
		"api-1a2b3c4d.duosecurity.com@evil.example",
		"api-1a2b3c4d.duosecurity.com.evil.example",
		"api-1a2b3c4d.duosecurity.com:443",
		"https://user:pw@api-1a2b3c4d.duosecurity.com",
		"api-1a2b3c4d.duosecurity.com#@evil.example",
		"api-1a2b3c4d.duosecurity.com\\@evil.example",
		"api-1a2b3c4d.duosecurity.com%2f@evil.example",
		" api-1a2b3c4d.duosecurity.com\n",
		"CanarySecretKey0000000000000000000000001",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := APIHostname(s)
		if err != nil {
			if h != "" {
				t.Fatalf("APIHostname(%q) = %q with error %v", s, h, err)
			}
			if !strings.Contains(err.Error(), "like api-1a2b3c4d.duosecurity.com") {
				t.Fatalf("APIHostname(%q) error %q shows no good value", s, err)
			}
			if k := strings.TrimSpace(s); skeyPattern.MatchString(k) && strings.Contains(err.Error(), k) {
				t.Fatalf("APIHostname(%q) error repeats a secret key: %q", s, err)
			}
			return
		}
		if !hostPattern.MatchString(h) {
			t.Fatalf("APIHostname(%q) = %q: not a Duo API host", s, h)
		}
		u, perr := url.Parse("https://" + h + "/admin/v1/info/summary")
		if perr != nil || u.Hostname() != h || u.Port() != "" || u.User != nil {
			t.Fatalf("APIHostname(%q) = %q, but a URL on it goes to host %q port %q (user %v), %v", s, h, u.Hostname(), u.Port(), u.User, perr)
		}
		if again, err := APIHostname(h); err != nil || again != h {
			t.Fatalf("APIHostname(%q) = %q, then %q, %v: not a normal form", s, h, again, err)
		}
	})
}
