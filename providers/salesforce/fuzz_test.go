package salesforce

import (
	"strings"
	"testing"
)

// FuzzParsers: what the network sends never panics a parser, a version
// picked is one the answer listed and has the form 62.0, and an instance
// URL accepted is https on a Salesforce host.
func FuzzParsers(f *testing.F) {
	f.Add([]byte(`[{"version":"62.0"},{"version":"65.0"}]`), "https://acme.my.salesforce.com")
	f.Add([]byte(`[{"message":"x","errorCode":"API_CURRENTLY_DISABLED"}]`), "https://127.0.0.1:1")
	f.Add([]byte(`{"totalSize":1,"records":[{"Username":"a","Profile":{"Name":"P"},"PermissionSetAssignments":null}]}`), "http://x")
	f.Fuzz(func(t *testing.T, body []byte, instance string) {
		if v, err := latestVersion(body); err == nil {
			if !versionPattern.MatchString(v) || !strings.Contains(string(body), v) {
				t.Errorf("latestVersion picked %q from %q", v, body)
			}
		}
		decodeError(400, body)
		apiEnabled(body)
		isLimits(body)
		_, _ = parseUser(body)
		if h, err := InstanceURL(instance, "login.salesforce.com"); err == nil {
			if h.IsLoopback() || !strings.HasPrefix(strings.ToLower(strings.TrimSpace(instance)), "https://") {
				t.Errorf("InstanceURL accepted %q as %q", instance, h.String())
			}
		}
	})
}
