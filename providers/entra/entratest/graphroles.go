package entratest

// GraphAppID is Microsoft Graph's application id in every tenant.
const GraphAppID = "00000003-0000-0000-c000-000000000000"

// AppRole is one of Microsoft Graph's service principal appRoles (an
// application permission), with the id of its delegated twin (the
// oauth2PermissionScope of the same value).
type AppRole struct {
	ID, Value, ScopeID string
}

// GraphAppRoles are the app roles of Microsoft Graph's service principal
// that the emulated tenants know, as GET /servicePrincipals(appId=
// '00000003-…')?$select=appRoles lists them (permissions-ids.md, §1.10).
var GraphAppRoles = []AppRole{
	{"b0afded3-3588-46d8-8b3d-9842eff778da", "AuditLog.Read.All", "e4c9e354-4dc5-45b8-9e7c-e1393b0b1a20"},
	{"7ab1d382-f21e-4acd-a863-ba3e13f7da61", "Directory.Read.All", "06da0dbc-49e2-44d2-8312-53f166ab848a"},
	{"5b567255-7703-4780-807c-7be8301ae99b", "Group.Read.All", "5f8c59db-677d-491f-a6b8-5f174b11ec1d"},
	{"98830695-27a2-44f7-8c18-0c3ebc9698f6", "GroupMember.Read.All", "bc024368-1153-4739-b217-4326f2e966d0"},
	{"230c1aed-a721-4c5d-9cb4-a90514e508ef", "Reports.Read.All", "02e97553-ed7b-43d0-ab3c-f8bace0d040c"},
	{"df021288-bdef-4463-88db-98f22de89214", "User.Read.All", "a154be20-db9c-4678-8ab7-66f6cc099a59"},
	{"246dd0d5-5bd0-4def-940b-0421030a5b68", "Policy.Read.All", "572fea84-0151-49b2-9301-11cb16974376"},
	{"dc5007c0-2d7d-4c42-879c-2dab87571379", "IdentityRiskyUser.Read.All", "d04bb851-cb7c-4146-97c7-ca3e71baf56c"},
	{"6e472fd1-ad78-48da-a0f0-97ab2c6b769e", "IdentityRiskEvent.Read.All", "8f6a01e7-0391-4ee5-aa22-a3af122cef27"},
	{"38d9df27-64da-44fd-b7c5-a6fbac20248f", "UserAuthenticationMethod.Read.All", "aec28ec7-4d02-4e8c-b864-50163aea77eb"},
	{"7a6ee1e7-141e-4cec-ae74-d9db155731ff", "DeviceManagementApps.Read.All", "4edf5f54-4666-44af-9de9-0144fb4b6e8c"},
	{"dc377aa6-52d8-4e23-b271-2a7ae04cedf3", "DeviceManagementConfiguration.Read.All", "f1493658-876a-4c87-8fa7-edb559b3476a"},
	{"2f51be20-0bb4-4fed-bf7b-db946066c75e", "DeviceManagementManagedDevices.Read.All", "314874da-47d6-4978-88dc-cf0d37f0bb82"},
	{"741f803b-c850-494e-b5df-cde7c675a1ca", "User.ReadWrite.All", "204e0828-b5ca-4ad8-b9f3-f32a958e7cc4"},
	{"c529cfca-c91b-489c-af2b-d92990b66ce6", "User.ManageIdentities.All", "637d7bec-b31e-4deb-acc9-24275642a2c9"},
	{"19dbc75e-c2e2-444c-a770-ec69d8559fc7", "Directory.ReadWrite.All", "c5366453-9fb0-48a5-a156-24f0c49a4b84"},
	{"50483e42-d915-4231-9639-7fdb7fd190e5", "UserAuthenticationMethod.ReadWrite.All", "b7887744-6746-4312-813d-72daeaee7e2d"},
	{"9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30", "Application.Read.All", "c79f8feb-a9db-4090-85f9-90d820caa0eb"},
	{"1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9", "Application.ReadWrite.All", "bdfbf15f-ee85-4955-8675-146e8e5296b5"},
	{"06b708a9-e830-4db3-a914-8e69da51d44f", "AppRoleAssignment.ReadWrite.All", "84bccea3-f856-4a8a-967b-dbe0a3d53a64"},
}

// RoleByValue returns the app role with the given value.
func RoleByValue(value string) (AppRole, bool) {
	for _, r := range GraphAppRoles {
		if r.Value == value {
			return r, true
		}
	}
	return AppRole{}, false
}

// RoleByID returns the app role with the given id.
func RoleByID(id string) (AppRole, bool) {
	for _, r := range GraphAppRoles {
		if r.ID == id {
			return r, true
		}
	}
	return AppRole{}, false
}

// ApplicationAccess is the requiredResourceAccess entries that request
// values as application permissions (type Role).
func ApplicationAccess(values ...string) []Access {
	var out []Access
	for _, v := range values {
		if r, ok := RoleByValue(v); ok {
			out = append(out, Access{ID: r.ID, Type: "Role"})
		}
	}
	return out
}

// DelegatedAccess is the requiredResourceAccess entries that request
// values as delegated permissions (type Scope): the common mistake.
func DelegatedAccess(values ...string) []Access {
	var out []Access
	for _, v := range values {
		if r, ok := RoleByValue(v); ok {
			out = append(out, Access{ID: r.ScopeID, Type: "Scope"})
		}
	}
	return out
}
