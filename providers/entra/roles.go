package entra

// graphAppID is Microsoft Graph's application id, the same in every
// tenant and cloud.
const graphAppID = "00000003-0000-0000-c000-000000000000"

// graphPermission is one Microsoft Graph permission's two GUIDs: the app
// role (application permission, type "Role") and the OAuth2 permission
// scope (delegated, type "Scope"). Source: microsoft-graph-docs-contrib
// concepts/includes/permissions-ids.md (shared/providers
// entra-google-salesforce.md §1.10).
type graphPermission struct {
	role, scope string
}

// graphPermissions are the GUIDs of the permissions the catalog names,
// and of the ones the create method's admin needs.
var graphPermissions = map[string]graphPermission{
	"AuditLog.Read.All":                       {"b0afded3-3588-46d8-8b3d-9842eff778da", "e4c9e354-4dc5-45b8-9e7c-e1393b0b1a20"},
	"Directory.Read.All":                      {"7ab1d382-f21e-4acd-a863-ba3e13f7da61", "06da0dbc-49e2-44d2-8312-53f166ab848a"},
	"Group.Read.All":                          {"5b567255-7703-4780-807c-7be8301ae99b", "5f8c59db-677d-491f-a6b8-5f174b11ec1d"},
	"GroupMember.Read.All":                    {"98830695-27a2-44f7-8c18-0c3ebc9698f6", "bc024368-1153-4739-b217-4326f2e966d0"},
	"Reports.Read.All":                        {"230c1aed-a721-4c5d-9cb4-a90514e508ef", "02e97553-ed7b-43d0-ab3c-f8bace0d040c"},
	"User.Read.All":                           {"df021288-bdef-4463-88db-98f22de89214", "a154be20-db9c-4678-8ab7-66f6cc099a59"},
	"Policy.Read.All":                         {"246dd0d5-5bd0-4def-940b-0421030a5b68", "572fea84-0151-49b2-9301-11cb16974376"},
	"IdentityRiskyUser.Read.All":              {"dc5007c0-2d7d-4c42-879c-2dab87571379", "d04bb851-cb7c-4146-97c7-ca3e71baf56c"},
	"IdentityRiskEvent.Read.All":              {"6e472fd1-ad78-48da-a0f0-97ab2c6b769e", "8f6a01e7-0391-4ee5-aa22-a3af122cef27"},
	"UserAuthenticationMethod.Read.All":       {"38d9df27-64da-44fd-b7c5-a6fbac20248f", "aec28ec7-4d02-4e8c-b864-50163aea77eb"},
	"DeviceManagementApps.Read.All":           {"7a6ee1e7-141e-4cec-ae74-d9db155731ff", "4edf5f54-4666-44af-9de9-0144fb4b6e8c"},
	"DeviceManagementConfiguration.Read.All":  {"dc377aa6-52d8-4e23-b271-2a7ae04cedf3", "f1493658-876a-4c87-8fa7-edb559b3476a"},
	"DeviceManagementManagedDevices.Read.All": {"2f51be20-0bb4-4fed-bf7b-db946066c75e", "314874da-47d6-4978-88dc-cf0d37f0bb82"},
	"User.ReadWrite.All":                      {"741f803b-c850-494e-b5df-cde7c675a1ca", "204e0828-b5ca-4ad8-b9f3-f32a958e7cc4"},
	"User.ManageIdentities.All":               {"c529cfca-c91b-489c-af2b-d92990b66ce6", "637d7bec-b31e-4deb-acc9-24275642a2c9"},
	"Directory.ReadWrite.All":                 {"19dbc75e-c2e2-444c-a770-ec69d8559fc7", "c5366453-9fb0-48a5-a156-24f0c49a4b84"},
	"UserAuthenticationMethod.ReadWrite.All":  {"50483e42-d915-4231-9639-7fdb7fd190e5", "b7887744-6746-4312-813d-72daeaee7e2d"},
	"Application.Read.All":                    {"9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30", "c79f8feb-a9db-4090-85f9-90d820caa0eb"},
	"Application.ReadWrite.All":               {"1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9", "bdfbf15f-ee85-4955-8675-146e8e5296b5"},
	"AppRoleAssignment.ReadWrite.All":         {"06b708a9-e830-4db3-a914-8e69da51d44f", "84bccea3-f856-4a8a-967b-dbe0a3d53a64"},
}

// permissionOf returns the permission a requiredResourceAccess entry of
// Microsoft Graph names, and whether it is delegated (type Scope).
func permissionOf(id, typ string) (name string, delegated, ok bool) {
	for n, p := range graphPermissions {
		switch {
		case typ == "Role" && p.role == id:
			return n, false, true
		case typ == "Scope" && p.scope == id:
			return n, true, true
		}
	}
	return "", false, false
}

// appReaders are the application permissions that let an app read its
// own registration with GET /applications?$filter=appId eq '…'
// (application-list-permissions.md, §1.11).
var appReaders = []string{"Application.Read.All", "Application.ReadWrite.All", "Application.ReadWrite.OwnedBy", "Directory.Read.All"}
