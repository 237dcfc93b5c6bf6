package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite README.md's permissions section from the catalog")

func mustDefault(t *testing.T) *Catalog {
	t.Helper()
	c, err := Default()
	if err != nil {
		t.Fatalf("Default() error: %v", err)
	}
	return c
}

func TestDefaultHasSixProviders(t *testing.T) {
	c := mustDefault(t)
	want := []string{"entra", "okta", "duo", "auth0", "google", "salesforce"}
	if got := c.IDs(); !slices.Equal(got, want) {
		t.Errorf("IDs() = %v, want %v", got, want)
	}
}

func TestValidate(t *testing.T) {
	base := func() *Catalog {
		return &Catalog{Version: 1, Providers: []Provider{{
			ID: "p", Name: "P",
			Permissions: []Permission{{Name: "a"}, {Name: "b"}},
			Capabilities: []Capability{
				{ID: "collect", Name: "Collect", Tier: TierCollect, Permissions: []string{"a"}},
				{ID: "fix", Name: "Fix", Tier: TierRemediate, Permissions: []string{"b"}},
			},
		}}}
	}
	tests := []struct {
		name   string
		mutate func(c *Catalog)
		want   string // substring of the error; empty means valid
	}{
		{"valid", func(*Catalog) {}, ""},
		{"bad version", func(c *Catalog) { c.Version = 2 }, "version 2"},
		{"no providers", func(c *Catalog) { c.Providers = nil }, "no providers"},
		{"duplicate provider", func(c *Catalog) { c.Providers = append(c.Providers, c.Providers[0]) }, `provider "p" is defined twice`},
		{"bad provider id", func(c *Catalog) { c.Providers[0].ID = "P Q" }, "lowercase"},
		{"duplicate permission", func(c *Catalog) {
			c.Providers[0].Permissions = append(c.Providers[0].Permissions, Permission{Name: "a"})
		}, `permission "a" is defined twice`},
		{"empty capability", func(c *Catalog) { c.Providers[0].Capabilities[1].Permissions = nil }, `capability "fix" has no permissions`},
		{"undefined permission", func(c *Catalog) {
			c.Providers[0].Capabilities[1].Permissions = []string{"b", "zzz"}
		}, `undefined permission "zzz"`},
		{"orphan permission", func(c *Catalog) {
			c.Providers[0].Permissions = append(c.Providers[0].Permissions, Permission{Name: "c"})
		}, `"c" belongs to no capability`},
		{"no collect", func(c *Catalog) { c.Providers[0].Capabilities[0].Tier = TierRead }, "0 collect capabilities"},
		{"collect with another id", func(c *Catalog) { c.Providers[0].Capabilities[0].ID = "gather" }, `must have id "collect"`},
		{"bad tier", func(c *Catalog) { c.Providers[0].Capabilities[1].Tier = "write" }, `tier "write"`},
		{"duplicate capability", func(c *Catalog) {
			c.Providers[0].Capabilities = append(c.Providers[0].Capabilities, c.Providers[0].Capabilities[1])
		}, `capability "fix" is defined twice`},
		{"flag without scope", func(c *Catalog) { c.Providers[0].Permissions[0].Flag = "not real" }, "names no real scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base()
			tt.mutate(c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestParseRejectsUnknownFields(t *testing.T) {
	doc := []byte("version: 1\nproviders:\n  - id: p\n    name: P\n    permisions: []\n")
	if _, err := Parse(doc); err == nil || !strings.Contains(err.Error(), "permisions") {
		t.Errorf("Parse(typo) = %v, want an error naming the unknown field", err)
	}
}

func TestNeedsAndScopes(t *testing.T) {
	c := mustDefault(t)
	entra, _ := c.Provider("entra")
	auth0, _ := c.Provider("auth0")
	google, _ := c.Provider("google")
	tests := []struct {
		name    string
		p       Provider
		enabled []string
		want    []string
	}{
		{"auth0 collect requests the real user-logs scope", auth0, nil,
			[]string{"read:users", "read:logs", "read:logs_users", "read:guardian_factors"}},
		{"entra two actions share permissions once", entra, []string{"user-log-out", "update-user-type"},
			[]string{
				"AuditLog.Read.All", "Directory.Read.All", "Group.Read.All", "GroupMember.Read.All", "Reports.Read.All",
				"User.Read.All", "Policy.Read.All", "IdentityRiskyUser.Read.All", "IdentityRiskEvent.Read.All",
				"UserAuthenticationMethod.Read.All", "User.ReadWrite.All", "User.ManageIdentities.All", "Directory.ReadWrite.All",
			}},
		{"google replaces unreal scopes", google, nil, []string{
			"https://www.googleapis.com/auth/admin.directory.group.member.readonly",
			"https://www.googleapis.com/auth/admin.directory.group.readonly",
			"https://www.googleapis.com/auth/admin.directory.user.readonly",
			"https://www.googleapis.com/auth/admin.directory.rolemanagement.readonly",
			"https://www.googleapis.com/auth/admin.directory.device.mobile.readonly",
			"https://www.googleapis.com/auth/admin.directory.device.chromeos.readonly",
			"https://www.googleapis.com/auth/admin.reports.audit.readonly",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.Scopes(tt.enabled); !slices.Equal(got, tt.want) {
				t.Errorf("Scopes(%q) = %q, want %q", tt.enabled, got, tt.want)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	entra, _ := mustDefault(t).Provider("entra")
	tests := []struct {
		name    string
		enabled []string
		want    []string
		wantErr bool
	}{
		{"empty means collect", nil, []string{"collect"}, false},
		{"catalog order and dedupe", []string{"user-log-out", "devices", "devices", "collect"}, []string{"collect", "devices", "user-log-out"}, false},
		{"unknown", []string{"nope"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := entra.Normalize(tt.enabled)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Normalize(%q) error = %v, wantErr %v", tt.enabled, err, tt.wantErr)
			}
			var uce *UnknownCapabilityError
			if tt.wantErr && !errors.As(err, &uce) {
				t.Errorf("Normalize(%q) error = %T, want *UnknownCapabilityError", tt.enabled, err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Normalize(%q) = %q, want %q", tt.enabled, got, tt.want)
			}
		})
	}
}

func TestPermissionLookupAcceptsRealScope(t *testing.T) {
	auth0, _ := mustDefault(t).Provider("auth0")
	for _, name := range []string{"read:user_logs", "read:logs_users"} {
		p, ok := auth0.Permission(name)
		if !ok || p.Name != "read:user_logs" {
			t.Errorf("Permission(%q) = %q, %v; want read:user_logs", name, p.Name, ok)
		}
	}
	perm, capa, ok := auth0.Owner("read:logs_users")
	if !ok || perm.Name != "read:user_logs" || capa != "collect" {
		t.Errorf("Owner(read:logs_users) = %q, %q, %v", perm.Name, capa, ok)
	}
}

func TestJSONHasEveryPermission(t *testing.T) {
	c := mustDefault(t)
	data, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range c.Providers {
		for _, perm := range p.Permissions {
			enc, _ := json.Marshal(perm.Name)
			if !bytes.Contains(data, enc) {
				t.Errorf("JSON lacks %s permission %s", p.ID, perm.Name)
			}
		}
	}
}

// seedPath is the platform's integration guide, the requirement the
// catalog carries, kept with the tests so that every clone checks it.
const seedPath = "testdata/integration-guide.md"

// TestMatchesSeed reads the integration guide's tables and checks that the
// catalog carries every row word for word.
func TestMatchesSeed(t *testing.T) {
	data, err := os.ReadFile(seedPath)
	if err != nil {
		t.Fatalf("reading the integration guide: %v", err)
	}
	c := mustDefault(t)
	headings := map[string]string{
		"Microsoft Entra ID": "entra", "Duo": "duo", "Okta": "okta",
		"Auth0": "auth0", "Google Workspace": "google", "Salesforce": "salesforce",
	}
	var prov Provider
	var header []string
	rows := 0
	for _, line := range strings.Split(string(data), "\n") {
		if h, ok := strings.CutPrefix(line, "## "); ok {
			prov = Provider{}
			for prefix, id := range headings {
				if strings.HasPrefix(h, prefix) {
					prov, _ = c.Provider(id)
				}
			}
			continue
		}
		if prov.ID == "" || !strings.HasPrefix(line, "|") {
			header = nil
			continue
		}
		cells := splitRow(line)
		if header == nil {
			header = cells
			continue
		}
		if strings.HasPrefix(cells[0], "---") {
			continue
		}
		rows++
		switch header[0] {
		case "Remediation action":
			name, _, _ := strings.Cut(cells[0], " (")
			var capa Capability
			for _, cc := range prov.Capabilities {
				if cc.Name == name {
					capa = cc
				}
			}
			want := strings.Split(cells[1], ", ")
			if !slices.Equal(capa.Permissions, want) {
				t.Errorf("%s action %q: catalog permissions %q, guide %q", prov.ID, name, capa.Permissions, want)
			}
		default:
			perm, ok := prov.Permission(cells[0])
			if !ok || perm.Name != cells[0] {
				t.Errorf("%s: guide row %q is not in the catalog", prov.ID, cells[0])
				continue
			}
			if len(cells) > 1 && perm.Description != cells[1] {
				t.Errorf("%s %q description = %q, guide says %q", prov.ID, cells[0], perm.Description, cells[1])
			}
			if len(cells) > 2 && perm.Purpose != cells[2] {
				t.Errorf("%s %q purpose = %q, guide says %q", prov.ID, cells[0], perm.Purpose, cells[2])
			}
		}
	}
	if rows < 30 {
		t.Errorf("read only %d rows from the guide; the parser is out of step with it", rows)
	}
	for _, flagged := range []struct{ provider, name string }{
		{"auth0", "read:user_logs"},
		{"google", "https://www.googleapis.com/auth/admin.directory.audit.readonly"},
		{"google", "https://www.googleapis.com/auth/admin.directory.orgunit.readonly"},
	} {
		p, _ := c.Provider(flagged.provider)
		if perm, _ := p.Permission(flagged.name); !perm.Flagged() {
			t.Errorf("%s %q should be flagged as not a real scope", flagged.provider, flagged.name)
		}
	}
}

func splitRow(line string) []string {
	parts := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

var readmeSection = regexp.MustCompile(`(?s)(<!-- BEGIN catalog -->\n).*?(<!-- END catalog -->)`)

// TestReadmeMatchesCatalog fails when the README's permissions section is
// not what the catalog generates. Run `go test ./catalog -update` to
// regenerate it.
func TestReadmeMatchesCatalog(t *testing.T) {
	path := filepath.Join("..", "README.md")
	readme, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !readmeSection.Match(readme) {
		t.Fatalf("README.md has no <!-- BEGIN catalog --> ... <!-- END catalog --> section")
	}
	var gen bytes.Buffer
	if err := Markdown(&gen, mustDefault(t).Providers); err != nil {
		t.Fatal(err)
	}
	want := readmeSection.ReplaceAllLiteral(readme, []byte("<!-- BEGIN catalog -->\n"+gen.String()+"<!-- END catalog -->"))
	if bytes.Equal(readme, want) {
		return
	}
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's permissions section differs from the catalog; run `go test ./catalog -update`")
}

func TestEveryProviderPermissionHasIdentifiers(t *testing.T) {
	for _, p := range mustDefault(t).Providers {
		for _, perm := range p.Permissions {
			if ids := perm.Identifiers(); len(ids) == 0 || reflect.DeepEqual(ids, []string{""}) {
				t.Errorf("%s %q has no identifier", p.ID, perm.Name)
			}
		}
	}
}
