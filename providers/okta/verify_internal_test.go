package okta

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/providers"
)

func TestObserveRead(t *testing.T) {
	users, _ := areaByPart("users")
	auth, _ := areaByPart("authenticators")
	challenge := http.Header{"Www-Authenticate": {`Bearer realm="x", scope="okta.users.read", error="insufficient_scope"`}}
	tests := []struct {
		name string
		a    area
		g    grant
		ans  providers.Answer
		want providers.Status
	}{
		{"200 proves it", users, noToken, providers.Answer{Status: 200}, providers.Granted},
		{"403 E0000006 disproves it", users, noToken, providers.Answer{Status: 403, Code: "E0000006"}, providers.Missing},
		{"401 E0000011 is no verdict", users, noToken, providers.Answer{Status: 401, Code: "E0000011"}, providers.Error},
		{"403 E0000005 is no verdict", users, noToken, providers.Answer{Status: 403, Code: "E0000005"}, providers.Error},
		{"429 is no verdict", users, noToken, providers.Answer{Status: 429, Code: "E0000047"}, providers.Error},
		{"500 is no verdict", users, noToken, providers.Answer{Status: 500}, providers.Error},
		{"network failure is no verdict", users, noToken, providers.Answer{Err: errors.New("reset")}, providers.Error},
		{"skipped proves nothing", users, grants, providers.Answer{Skipped: "no user"}, providers.Unknown},
		{"scope lacking is missing whatever the probe", users, lacks, providers.Answer{Status: 200}, providers.Missing},
		{"scope granted and 200", users, grants, providers.Answer{Status: 200}, providers.Granted},
		{"scope granted, role refuses", users, grants, providers.Answer{Status: 403, Code: "E0000006"}, providers.Missing},
		{"insufficient_scope challenge", users, grants, providers.Answer{Status: 403, Header: challenge}, providers.Missing},
		{"classic org: no authenticators", auth, noToken, providers.Answer{Status: 401, Code: "E0000015"}, providers.Unknown},
		{"404 authenticators", auth, noToken, providers.Answer{Status: 404, Code: "E0000007"}, providers.Unknown},
		{"404 users is no verdict", users, noToken, providers.Answer{Status: 404, Code: "E0000007"}, providers.Error},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := observeRead(tt.a, tt.g, tt.ans)
			if o.Status != tt.want || o.Identifier != partID(tt.a) || o.Evidence == "" {
				t.Errorf("observeRead() = %+v, want %s", o, tt.want)
			}
		})
	}
}

func TestDecideRoles(t *testing.T) {
	const perm = "okta.users.lifecycle.suspend"
	custom := func(perms []string, all bool) customRole {
		return customRole{assignment: roleAssignment{Type: "CUSTOM", Label: "c", Role: "cr0abcdef", ResourceSet: "iamabcdef"},
			permissions: perms, allUsers: all, scope: "group 00g1"}
	}
	tests := []struct {
		name string
		f    roleFindings
		want providers.Status
	}{
		{"super admin", roleFindings{roles: []roleAssignment{{Type: "SUPER_ADMIN"}}}, providers.Granted},
		{"org admin", roleFindings{roles: []roleAssignment{{Type: "ORG_ADMIN", Status: "ACTIVE"}}}, providers.Granted},
		{"inactive super admin", roleFindings{roles: []roleAssignment{{Type: "SUPER_ADMIN", Status: "INACTIVE"}}}, providers.Missing},
		{"no roles", roleFindings{}, providers.Missing},
		{"read-only only", roleFindings{roles: []roleAssignment{{Type: "READ_ONLY_ADMIN"}}}, providers.Missing},
		{"custom with it over all users", roleFindings{custom: []customRole{custom([]string{perm}, true)}}, providers.Granted},
		{"custom with a broader one", roleFindings{custom: []customRole{custom([]string{"okta.users.manage"}, true)}}, providers.Granted},
		{"custom over some groups", roleFindings{custom: []customRole{custom([]string{perm}, false)}}, providers.Missing},
		{"custom without it", roleFindings{custom: []customRole{custom([]string{"okta.users.lifecycle.unsuspend"}, true)}}, providers.Missing},
		{"custom unreadable", roleFindings{custom: []customRole{{assignment: roleAssignment{Type: "CUSTOM"}, err: errors.New("403")}}}, providers.Error},
		{"unreadable but another grants", roleFindings{custom: []customRole{{assignment: roleAssignment{Type: "CUSTOM"}, err: errors.New("403")}, custom([]string{perm}, true)}}, providers.Granted},
		{"help desk admin", roleFindings{roles: []roleAssignment{{Type: "HELP_DESK_ADMIN"}}}, providers.Unknown},
		{"unknown standard role", roleFindings{roles: []roleAssignment{{Type: "MOBILE_ADMIN"}}}, providers.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.f.principal = "p"
			for _, c := range tt.f.custom {
				tt.f.roles = append(tt.f.roles, c.assignment)
			}
			if o := tt.f.decide(perm); o.Status != tt.want || o.Evidence == "" {
				t.Errorf("decide() = %+v, want %s", o, tt.want)
			}
		})
	}
}

func TestParseOrg(t *testing.T) {
	tests := []struct {
		in, want  string
		corrected bool
		wantErr   string
	}{
		{"acme.okta.com", "acme.okta.com", false, ""},
		{"https://Acme.okta.com/", "acme.okta.com", false, ""},
		{"acme.oktapreview.com", "acme.oktapreview.com", false, ""},
		{"acme.okta-emea.com", "acme.okta-emea.com", false, ""},
		{"acme.okta-gov.com", "acme.okta-gov.com", false, ""},
		{"https://acme-admin.okta.com/admin/dashboard", "acme.okta.com", true, ""},
		{"acme-admin.oktapreview.com", "acme.oktapreview.com", true, ""},
		{"login.acme.com", "login.acme.com", false, ""},
		{"acme.okta.com/app/UserHome", "acme.okta.com", false, ""},
		{"http://acme.okta.com", "", false, "https only"},
		{"https://user@acme.okta.com", "", false, "user name"},
		{"okta.com", "", false, "not an org host name"},
		{"a.b.okta.com", "", false, "not an org of okta.com"},
		{"", "", false, "empty"},
		{"acme", "", false, "not an org host name"},
		{"acme.okta.com:8443", "", false, "not an org host name"},
	}
	for _, tt := range tests {
		o, err := ParseOrg(tt.in)
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "acme.okta.com") {
				t.Errorf("ParseOrg(%q) = %+v, %v; want an error with %q and an example", tt.in, o, err, tt.wantErr)
			}
		case err != nil || o.Host != tt.want || (o.Corrected != "") != tt.corrected:
			t.Errorf("ParseOrg(%q) = %+v, %v; want %s (corrected %v)", tt.in, o, err, tt.want, tt.corrected)
		}
	}
	if got := (Org{Host: "acme.okta.com"}).Admin("/admin/x"); got != "https://acme-admin.okta.com/admin/x" {
		t.Errorf("Admin() = %s", got)
	}
}

func TestValidToken(t *testing.T) {
	good := "00QCjAl4MlV-WPXM_0HmjFx-vbGua0000000000000"
	tests := []struct{ in, wantErr string }{
		{good, ""},
		{" " + good + "\n", ""},
		{"SSWS " + good, "without the SSWS prefix"},
		{"00abc def" + good, "spaces"},
		{"00abc", "truncated"},
		{"00é" + good, "characters"},
		{strings.Repeat("a", 201), "42 characters"},
	}
	for _, tt := range tests {
		err := validToken(tt.in)
		if (tt.wantErr == "") != (err == nil) || err != nil && (!strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), good)) {
			t.Errorf("validToken(%q) = %v, want %q", tt.in, err, tt.wantErr)
		}
	}
}

func TestDecodeError(t *testing.T) {
	tests := []struct{ body, code, msg string }{
		{`{"errorCode":"E0000006","errorSummary":"You do not have permission to perform the requested action","errorLink":"E0000006","errorId":"x","errorCauses":[]}`, "E0000006", "You do not have permission to perform the requested action"},
		{`{"errorCode":"E0000011","errorSummary":"Invalid token provided"}`, "E0000011", "Invalid token provided"},
		{`{"error":"invalid_dpop_proof","error_description":"The DPoP proof JWT header is missing."}`, "invalid_dpop_proof", "The DPoP proof JWT header is missing."},
		{`<html>`, "", ""},
		{``, "", ""},
	}
	for _, tt := range tests {
		if code, msg := decodeError(400, []byte(tt.body)); code != tt.code || msg != tt.msg {
			t.Errorf("decodeError(%s) = %q, %q", tt.body, code, msg)
		}
	}
}

func TestTokenErrors(t *testing.T) {
	o := Org{Host: "acme.okta.com"}
	tests := []struct {
		a    providers.Answer
		want string
	}{
		{providers.Answer{Status: 401, Code: "E0000011"}, "expired"},
		{providers.Answer{Status: 403, Code: "E0000005"}, "Authorization header"},
		{providers.Answer{Status: 500}, "GET /api/v1/users/me"},
	}
	for _, tt := range tests {
		var si *providers.SignInError
		if err := tokenError(o, tt.a); !errors.As(err, &si) || !strings.Contains(err.Error(), tt.want) || si.Fix == "" {
			t.Errorf("tokenError(%+v) = %v, want %q with a fix", tt.a, err, tt.want)
		}
	}
}

// FuzzParseOrg: whatever is accepted is a lowercase host that parses to
// itself again, with nothing more to correct.
func FuzzParseOrg(f *testing.F) {
	for _, s := range []string{"acme.okta.com", "https://acme-admin.okta.com/admin", "login.acme.com", "http://x", "a..okta.com", "xn--d1acufc.okta.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := ParseOrg(s)
		if err != nil {
			return
		}
		again, err := ParseOrg(o.Host)
		if err != nil || again.Host != o.Host || again.Corrected != "" || o.Host != strings.ToLower(o.Host) || strings.ContainsAny(o.Host, "/:@ ") {
			t.Fatalf("ParseOrg(%q) = %+v, then %+v, %v", s, o, again, err)
		}
	})
}

// FuzzRoleDocuments: the role, permission and resource documents never
// panic, and a role list accepted has valid custom role ids.
func FuzzRoleDocuments(f *testing.F) {
	f.Add(`[{"type":"CUSTOM","role":"cr0abcdef","resource-set":"iamabcdef"}]`)
	f.Add(`{"permissions":[{"label":"okta.users.read"}]}`)
	f.Add(`{"resources":[{"orn":"orn:okta:directory:00o1:users"}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		if roles, err := parseRoles([]byte(s)); err == nil {
			for _, r := range roles {
				if r.Type == "" || r.Type == "CUSTOM" && (!objectID.MatchString(r.Role) || !objectID.MatchString(r.ResourceSet)) {
					t.Fatalf("accepted %+v", r)
				}
			}
		}
		_, _ = parsePermissions([]byte(s))
		_, _, _ = resourcesCoverAllUsers([]byte(s))
	})
}

// TestUnreadableRolesProveNothingMissing: a service app whose token lacks
// okta.roles.read cannot read its own roles; its remediation permissions
// are unknown, and the fix is the scope, not the custom role.
func TestUnreadableRolesProveNothingMissing(t *testing.T) {
	s := &session{conn: providers.Connection{Method: MethodServiceApp}, scopes: []string{scopeManage, "okta.users.read"}}
	challenge := http.Header{"Www-Authenticate": {`Bearer realm="x", scope="okta.roles.read", error="insufficient_scope"`}}
	o := s.observe("okta.users.lifecycle.suspend", providers.Answer{Status: 403, Header: challenge})
	if o.Status != providers.Unknown || !strings.Contains(o.Evidence, scopeRolesRead) {
		t.Fatalf("observe = %+v, want unknown naming %s", o, scopeRolesRead)
	}
	fix, _ := s.fix(catalog.Need{Capability: "suspend-users", Permission: catalog.Permission{Name: "okta.users.lifecycle.suspend"}})
	if !strings.HasPrefix(fix, "grant "+scopeRolesRead) {
		t.Errorf("fix = %q, want the okta.roles.read grant", fix)
	}
}
