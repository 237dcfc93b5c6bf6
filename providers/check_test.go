package providers

import (
	"slices"
	"testing"

	"github.com/tetherdev/tether/catalog"
)

func TestEvaluate(t *testing.T) {
	one := catalog.Need{Capability: "collect", Permission: catalog.Permission{Name: "read:logs"}}
	two := catalog.Need{Capability: "collect", Permission: catalog.Permission{Name: "devices", Scopes: []string{"mobile", "chromeos"}}}
	obs := func(id string, s Status) Observation {
		return Observation{Identifier: id, Status: s, Evidence: id + " " + string(s)}
	}
	tests := []struct {
		name string
		need catalog.Need
		obs  []Observation
		want Status
	}{
		{"granted", one, []Observation{obs("read:logs", Granted)}, Granted},
		{"missing", one, []Observation{obs("read:logs", Missing)}, Missing},
		{"nothing observed is an error", one, nil, Error},
		{"all of several granted", two, []Observation{obs("mobile", Granted), obs("chromeos", Granted)}, Granted},
		{"one of several missing", two, []Observation{obs("mobile", Granted), obs("chromeos", Missing)}, Missing},
		{"missing beats error", two, []Observation{obs("mobile", Error), obs("chromeos", Missing)}, Missing},
		{"error beats unknown", two, []Observation{obs("mobile", Error), obs("chromeos", Unknown)}, Error},
		{"unknown beats granted", two, []Observation{obs("mobile", Granted), obs("chromeos", Unknown)}, Unknown},
		{"one of several unobserved", two, []Observation{obs("mobile", Granted)}, Error},
		{"observations of other identifiers are ignored", one, []Observation{obs("read:users", Missing), obs("read:logs", Granted)}, Granted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Evaluate(tt.need, tt.obs, "fix it", "https://fix")
			if c.Status != tt.want {
				t.Errorf("Evaluate() = %s (%s), want %s", c.Status, c.Evidence, tt.want)
			}
			if (c.Fix != "") != (tt.want != Granted) {
				t.Errorf("Evaluate() fix = %q for %s", c.Fix, c.Status)
			}
			// Only a missing or unknown grant gets the console fix; an
			// error gets what to do about the error.
			consoleFix := tt.want == Missing || tt.want == Unknown
			if (c.Fix == "fix it") != consoleFix || (c.FixURL != "") != consoleFix {
				t.Errorf("Evaluate() fix = %q %q for %s", c.Fix, c.FixURL, c.Status)
			}
			if c.Permission != tt.need.Permission.Name || c.Capability != "collect" {
				t.Errorf("Evaluate() = %+v", c)
			}
		})
	}
}

func TestExcessGrants(t *testing.T) {
	cat, _ := catalog.Default()
	entra, _ := cat.Provider("entra")
	tests := []struct {
		name    string
		enabled []string
		granted []string
		want    []ExcessGrant
	}{
		{"exactly what collect needs", nil, entra.Scopes(nil), nil},
		{"a remediation permission not enabled", nil, append(entra.Scopes(nil), "Directory.ReadWrite.All"),
			[]ExcessGrant{{Identifier: "Directory.ReadWrite.All", Permission: "Directory.ReadWrite.All", Capability: "update-user-type"}}},
		{"enabled, so not excess", []string{"user-log-out"}, append(entra.Scopes(nil), "Directory.ReadWrite.All"), nil},
		{"outside the catalog, once", nil, []string{"Mail.Send", "Mail.Send", ""}, []ExcessGrant{{Identifier: "Mail.Send"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExcessGrants(entra, tt.enabled, tt.granted); !slices.Equal(got, tt.want) {
				t.Errorf("ExcessGrants() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestVerdict(t *testing.T) {
	c := func(s Status) Check { return Check{Permission: string(s), Status: s} }
	tests := []struct {
		name   string
		checks []Check
		want   Verdict
	}{
		{"all granted", []Check{c(Granted), c(Granted)}, VerdictOK},
		{"excess and unknown do not fail", []Check{c(Granted), c(Excess), c(Unknown)}, VerdictOK},
		{"missing", []Check{c(Granted), c(Missing)}, VerdictMissing},
		{"error", []Check{c(Granted), c(Error)}, VerdictNone},
		{"missing wins over error", []Check{c(Error), c(Missing)}, VerdictMissing},
		{"nothing", nil, VerdictOK},
	}
	for _, tt := range tests {
		if got := Summarize(tt.checks).Verdict(); got != tt.want {
			t.Errorf("%s: Verdict() = %s, want %s", tt.name, got, tt.want)
		}
	}
}

// TestEvaluateKeepsLicense: a licence problem observed is the check's,
// beside a status it does not change.
func TestEvaluateKeepsLicense(t *testing.T) {
	need := catalog.Need{Capability: "collect", Permission: catalog.Permission{Name: "logs", Scopes: []string{"a", "b"}}}
	c := Evaluate(need, []Observation{{Identifier: "a", Status: Granted}, {Identifier: "b", Status: Granted, License: "P2", LicenseURL: "https://lic"}}, "fix", "")
	if c.Status != Granted || c.License != "P2" || c.LicenseURL != "https://lic" || c.Fix != "" {
		t.Errorf("Evaluate() = %+v", c)
	}
}
