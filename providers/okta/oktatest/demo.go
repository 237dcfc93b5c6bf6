package oktatest

import "crypto"

// The sandbox's demo org. These are not secrets: they exist only in the
// emulator, and `tether sandbox` prints them.
const (
	DemoDomain       = "tether-demo.okta.com"
	DemoCustomDomain = "login.tether-demo.test"
	DemoOrgID        = "00o1tetherdemo0org01"
	// DemoToken is the demo admin's SSWS token: 00 and 40 characters, as
	// Okta's are.
	DemoToken = "00TthrDemoSswsTokenSandboxOnly0000000001a"
	// DemoSuperToken is a Super Administrator's token, for create.
	DemoSuperToken = "00TthrDemoSuperAdminTokenSandboxOnly00001"
	// DemoAdminID is the token's owner; DemoSuperID a Super Administrator.
	DemoAdminID    = "00u1tetheradmin0001"
	DemoAdminLogin = "tether.admin@example.com"
	DemoSuperID    = "00u1tethersuper0001"
	// DemoRoleID is the custom "tether Help Desk" role, bound to the
	// resource set DemoResourceSetID of all users.
	DemoRoleID        = "cr0tetherhelpdesk01"
	DemoResourceSetID = "iamtetherallusers01"
	// DemoClientID is the demo API Services app.
	DemoClientID = "0oa1tetherservice01"
)

// Demo returns the demo org: a dedicated admin whose SSWS token is
// DemoToken, holding readRoles (Read-Only Administrator in the sandbox)
// and the custom role with permissions, bound to all users; a few users,
// groups, apps, zones, policies and log events.
//
// Its API Services app DemoClientID, registered with appKeys for
// private_key_jwt, is granted DemoScopes and holds the same roles.
func Demo(readRoles []string, permissions []string, appKeys ...crypto.PublicKey) Org {
	o := Org{Domain: DemoDomain, CustomDomains: []string{DemoCustomDomain}, ID: DemoOrgID}
	o.Users = []User{
		{ID: DemoAdminID, Login: DemoAdminLogin, FirstName: "Tether", LastName: "Admin",
			Factors: []Factor{{ID: "opf1tetheradmin0001", Type: "push", Provider: "OKTA"}}},
		{ID: "00u1adalovelace0001", Login: "ada@example.com", FirstName: "Ada", LastName: "Lovelace",
			Factors: []Factor{{ID: "sms1adalovelace0001", Type: "sms", Provider: "OKTA"}}},
		{ID: "00u1gracehopper0001", Login: "grace@example.com", FirstName: "Grace", LastName: "Hopper", Status: "SUSPENDED"},
		{ID: DemoSuperID, Login: "super@example.com", FirstName: "Super", LastName: "Admin"},
		{ID: "00u1alanturing00001", Login: "alan@example.com", FirstName: "Alan", LastName: "Turing", Status: "DEPROVISIONED"},
	}
	o.Groups = []Named{{ID: "00g1everyone0000001", Name: "Everyone"}, {ID: "00g1engineering0001", Name: "Engineering"}}
	o.Apps = []Named{{ID: "0oa1salesforce00001", Name: "Salesforce"}, {ID: "0oa1slack0000000001", Name: "Slack"}}
	o.Zones = []Named{{ID: "nzo1legacyiplist001", Name: "LegacyIpZone"}, {ID: "nzo1blockedip000001", Name: "BlockedIpZone"}}
	o.Policies = []Named{{ID: "00p1defaultsignon01", Name: "Default Policy"}}
	o.Logs = []Log{
		{UUID: "0b1f2c3d-0000-11ef-9c4a-000000000001", Published: "2026-11-27T09:12:44.101Z", EventType: "user.session.start", ActorID: "00u1adalovelace0001"},
		{UUID: "0b1f2c3d-0000-11ef-9c4a-000000000002", Published: "2026-11-27T09:13:02.553Z", EventType: "user.authentication.auth_via_mfa", ActorID: "00u1adalovelace0001"},
		{UUID: "0b1f2c3d-0000-11ef-9c4a-000000000003", Published: "2026-11-27T10:40:17.930Z", EventType: "user.account.lock", ActorID: "00u1gracehopper0001"},
	}
	o.Tokens = []APIToken{{ID: "00T1tetherdemo00001", Name: "tether", Value: DemoToken, UserID: DemoAdminID},
		{ID: "00T1tetherdemo00002", Name: "tether bootstrap", Value: DemoSuperToken, UserID: DemoSuperID}}
	o.Assignments = map[string][]Assignment{
		DemoSuperID: {{ID: "ra1superadmin000001", Type: "SUPER_ADMIN", Label: "Super Administrator"}},
	}
	var admin []Assignment
	for i, t := range readRoles {
		admin = append(admin, Assignment{ID: "ra1tetheradmin0000" + string(rune('1'+i)), Type: t, Label: standardLabels[t]})
	}
	admin = append(admin, Assignment{ID: "irb1tetherhelpdesk1", Type: "CUSTOM", Label: "tether Help Desk", Role: DemoRoleID, ResourceSet: DemoResourceSetID})
	o.Assignments[DemoAdminID] = admin
	app := make([]Assignment, len(admin))
	for i, a := range admin {
		a.ID = "irb1tetherapp00000" + string(rune('1'+i))
		app[i] = a
	}
	o.Assignments[DemoClientID] = app
	o.ServiceApps = []ServiceApp{{ClientID: DemoClientID, Label: "tether (demo)", PublicKeys: appKeys, Scopes: append([]string(nil), DemoScopes...)}}
	o.CustomRoles = []CustomRole{{ID: DemoRoleID, Label: "tether Help Desk", Permissions: append([]string(nil), permissions...)}}
	o.ResourceSets = []ResourceSet{{ID: DemoResourceSetID, Label: "All users", Resources: []string{"orn:okta:directory:" + DemoOrgID + ":users"}}}
	return o
}

// DemoScopes are the okta.* scopes granted to the demo app: every read
// area's, and what remediation needs.
var DemoScopes = []string{"okta.users.read", "okta.groups.read", "okta.apps.read", "okta.logs.read", "okta.policies.read",
	"okta.networkZones.read", "okta.authenticators.read", "okta.users.manage", "okta.roles.read"}

// standardLabels are the standard roles' labels.
var standardLabels = map[string]string{
	"SUPER_ADMIN": "Super Administrator", "ORG_ADMIN": "Organization Administrator",
	"READ_ONLY_ADMIN": "Read Only Administrator", "HELP_DESK_ADMIN": "Help Desk Administrator",
	"REPORT_ADMIN": "Report Administrator", "APP_ADMIN": "Application Administrator",
}
