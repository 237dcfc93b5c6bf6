package salesforce

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzLoginHost: an accepted login host is one a URL connects to and no
// other (no userinfo, path or query; a port only on loopback), lies under
// salesforce.com unless it is loopback, and is its own normal form. An
// accepted audience is an https URL with no userinfo, query or fragment.
func FuzzLoginHost(f *testing.F) {
	for _, s := range []string{
		"login.salesforce.com", "production", "sandbox", "TEST", "acme.my.salesforce.com",
		"acme--dev.sandbox.my.salesforce.com", "https://acme.my.salesforce.com/",
		"login.salesforce.com@evil.example", "evil.example#.salesforce.com", "login.salesforce.com.evil.example",
		"login.salesforce.com:8443", "127.0.0.1:8443", "[::1]:1", "https://user:pw@acme.my.salesforce.com",
		"acme.my.salesforce.com%2f@evil.example", "https://login.salesforce.com?x=1", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if h, err := LoginHost(s); err == nil {
			u, perr := url.Parse(h.url("/services/oauth2/token"))
			if perr != nil || u.Host != h.String() || u.User != nil || u.Path != "/services/oauth2/token" || u.RawQuery != "" {
				t.Fatalf("LoginHost(%q) = %q, but its token URL parses to host %q (user %v, path %q), %v", s, h.String(), u.Host, u.User, u.Path, perr)
			}
			if !h.IsLoopback() && (u.Port() != "" || !strings.HasSuffix(h.Name, ".salesforce.com")) {
				t.Fatalf("LoginHost(%q) = %q: off loopback, a port or a host outside salesforce.com", s, h.String())
			}
			if again, err := LoginHost(h.String()); err != nil || again != h {
				t.Fatalf("LoginHost(%q) = %q, then %q, %v: not a normal form", s, h.String(), again.String(), err)
			}
		} else if !strings.Contains(err.Error(), "acme.my.salesforce.com") {
			t.Fatalf("LoginHost(%q) error %q shows no good value", s, err)
		}
		if a, err := Audience(s); err == nil {
			u, perr := url.Parse(a)
			if perr != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
				t.Fatalf("Audience(%q) = %q: not a bare https URL", s, a)
			}
		}
	})
}
