package entra

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzCanonicalTenant: an accepted tenant is one path segment of the
// token URL and nothing more (no slash, query, fragment, userinfo or
// escape), in lower case, never a multi-tenant alias, and its own normal
// form; a refusal shows a good value.
func FuzzCanonicalTenant(f *testing.F) {
	for _, s := range []string{
		"72f988bf-86f1-41af-91ab-2d7cd011db47", " 72F988BF-86F1-41AF-91AB-2D7CD011DB47\n", "contoso.onmicrosoft.com",
		"common", "Organizations", "consumers", "contoso.onmicrosoft.com/../evil", "contoso.com?x=1", "contoso.com#frag",
		"user@contoso.com", "contoso.com:443", "%2e%2e", "", "a.b", "xn--bcher-kva.example",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tenant, err := CanonicalTenant(s)
		if err != nil {
			if tenant != "" || !strings.Contains(err.Error(), "contoso.onmicrosoft.com") {
				t.Fatalf("CanonicalTenant(%q) = %q, %v: a refusal must show a good value", s, tenant, err)
			}
			return
		}
		if tenant != strings.ToLower(tenant) || tenant == "common" || tenant == "organizations" || tenant == "consumers" {
			t.Fatalf("CanonicalTenant(%q) = %q", s, tenant)
		}
		u, perr := url.Parse("https://login.microsoftonline.com/" + tenant + "/oauth2/v2.0/token")
		if perr != nil || u.Host != "login.microsoftonline.com" || u.User != nil || u.RawQuery != "" || u.Fragment != "" ||
			u.Path != "/"+tenant+"/oauth2/v2.0/token" || strings.ContainsAny(tenant, "/%@:?#\\") {
			t.Fatalf("CanonicalTenant(%q) = %q, which changes the token URL to %v, %v", s, tenant, u, perr)
		}
		if again, err := CanonicalTenant(tenant); err != nil || again != tenant {
			t.Fatalf("CanonicalTenant(%q) = %q, then %q, %v: not a normal form", s, tenant, again, err)
		}
	})
}
