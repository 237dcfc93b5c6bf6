package entratest

import (
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Licences a tenant may lack (Tenant.Unlicensed).
const (
	// NoPremium: no Microsoft Entra ID P1 nor P2. Sign-in logs answer
	// Authentication_RequestFromNonPremiumTenantOrB2CTenant (§1.8.2 v3),
	// and Identity Protection is unavailable.
	NoPremium = "p1"
	// NoP2: P1 but no P2: risky users are unavailable (§1.8.2 v6).
	NoP2 = "p2"
	// NoIntune: no Microsoft Intune licence: device management answers
	// "Request not applicable to target tenant." (§1.8.2 v5).
	NoIntune = "intune"
)

// Unlicensed lists every value of Tenant.Unlicensed.
var Unlicensed = []string{NoPremium, NoP2, NoIntune}

// The directory objects every emulated tenant holds, for the reads that
// list them.
const (
	SeedUserID  = "5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e"
	SeedGroupID = "6c7d8e9f-0a1b-4c2d-9e3f-4a5b6c7d8e9f"
)

// graphRead is one side-effect-free GET of §1.8.3: the roles any of which
// let an app-only token read it, what a refusal looks like, and the
// licence it needs.
type graphRead struct {
	path  *regexp.Regexp
	roles []string
	// refuse answers a token without any of roles.
	refuse func(w http.ResponseWriter, s *Server)
	// unlicensed answers a tenant lacking the licence, when it does.
	unlicensed func(w http.ResponseWriter, s *Server, t *Tenant) bool
	// answer is the 2xx answer, from the id in the path when it has one.
	answer func(w http.ResponseWriter, r *http.Request, id string)
}

func requestDenied(w http.ResponseWriter, s *Server) {
	graphError(w, s.opts.Now(), http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
}

func list(kind string, items ...map[string]any) func(http.ResponseWriter, *http.Request, string) {
	return func(w http.ResponseWriter, r *http.Request, _ string) {
		if items == nil {
			items = []map[string]any{}
		}
		writeGraph(w, http.StatusOK, map[string]any{"@odata.context": "https://" + r.Host + "/v1.0/$metadata#" + kind, "value": items})
	}
}

// intuneDenied is Intune's refusal, whose message is itself JSON
// (§1.8.2 v4).
func intuneDenied(scopes string) func(http.ResponseWriter, *Server) {
	return func(w http.ResponseWriter, s *Server) {
		id := newID()
		msg := "{\r\n  \"_version\": 3,\r\n  \"Message\": \"Application is not authorized to perform this operation. Application must have one of the following scopes: " + scopes +
			" - Operation ID (for customer support): 00000000-0000-0000-0000-000000000000 - Activity ID: " + id + " - Url: https://proxy.amsub0502.manage.microsoft.com/\",\r\n  \"CustomApiErrorPhrase\": \"\",\r\n  \"RetryAfter\": null,\r\n  \"ErrorSourceService\": \"\",\r\n  \"HttpHeaders\": \"{}\"\r\n}"
		graphError(w, s.opts.Now(), http.StatusForbidden, "Forbidden", msg)
	}
}

func intuneUnlicensed(w http.ResponseWriter, s *Server, t *Tenant) bool {
	if !slices.Contains(t.Unlicensed, NoIntune) {
		return false
	}
	graphError(w, s.opts.Now(), http.StatusBadRequest, "BadRequest", "Request not applicable to target tenant.")
	return true
}

// riskUnlicensed answers Identity Protection without its licence. The
// body is UNVERIFIED (§1.8.2 v6 gives no wire sample): a 403 whose
// message names the licence, which tether reads by its words.
func riskUnlicensed(need string) func(http.ResponseWriter, *Server, *Tenant) bool {
	return func(w http.ResponseWriter, s *Server, t *Tenant) bool {
		if !slices.Contains(t.Unlicensed, NoPremium) && (need != NoP2 || !slices.Contains(t.Unlicensed, NoP2)) {
			return false
		}
		graphError(w, s.opts.Now(), http.StatusForbidden, "Forbidden", "Your tenant is not licensed for this feature.")
		return true
	}
}

var (
	directoryReaders = []string{"Directory.Read.All", "Directory.ReadWrite.All"}
	userReaders      = append([]string{"User.Read.All", "User.ReadWrite.All"}, directoryReaders...)
	groupReaders     = append([]string{"Group.Read.All", "GroupMember.Read.All", "Group.ReadWrite.All", "GroupMember.ReadWrite.All"}, directoryReaders...)
)

func intune(path, scope string) graphRead {
	return graphRead{path: regexp.MustCompile(path), roles: []string{scope + ".Read.All", scope + ".ReadWrite.All"},
		refuse: intuneDenied(scope + ".Read.All, " + scope + ".ReadWrite.All"), unlicensed: intuneUnlicensed, answer: list(strings.TrimSuffix(path[strings.LastIndex(path, "/")+1:], "$"))}
}

var graphReads = []graphRead{
	{path: regexp.MustCompile(`^/v1\.0/users$`), roles: userReaders, refuse: requestDenied,
		answer: list("users(id,userPrincipalName)", map[string]any{"id": SeedUserID, "userPrincipalName": "admin@" + DemoDomain})},
	{path: regexp.MustCompile(`^/v1\.0/groups$`), roles: groupReaders, refuse: requestDenied,
		answer: list("groups(id)", map[string]any{"id": SeedGroupID})},
	{path: regexp.MustCompile(`^/v1\.0/groups/([^/]+)/members$`), roles: groupReaders, refuse: requestDenied,
		answer: member(SeedGroupID, list("directoryObjects", map[string]any{"@odata.type": "#microsoft.graph.user", "id": SeedUserID}))},
	{path: regexp.MustCompile(`^/v1\.0/directoryRoles$`), roles: append([]string{"RoleManagement.Read.Directory", "RoleManagement.ReadWrite.Directory"}, directoryReaders...), refuse: requestDenied,
		answer: list("directoryRoles", map[string]any{"id": "0f9a3b2c-1d4e-4f5a-8b6c-7d8e9f0a1b2c", "displayName": "Global Administrator", "roleTemplateId": "62e90394-69f5-4237-9190-012177145e10"})},
	{path: regexp.MustCompile(`^/v1\.0/auditLogs/signIns$`), roles: []string{"AuditLog.Read.All"},
		refuse: func(w http.ResponseWriter, s *Server) {
			graphError(w, s.opts.Now(), http.StatusForbidden, "Authentication_MSGraphPermissionMissing", "Calling principal does not have required MSGraph permissions AuditLog.Read.All")
		},
		unlicensed: func(w http.ResponseWriter, s *Server, t *Tenant) bool {
			if !slices.Contains(t.Unlicensed, NoPremium) {
				return false
			}
			graphError(w, s.opts.Now(), http.StatusForbidden, "Authentication_RequestFromNonPremiumTenantOrB2CTenant", "Neither tenant is B2C or tenant doesn't have premium license")
			return true
		},
		answer: list("auditLogs/signIns")},
	{path: regexp.MustCompile(`^/v1\.0/auditLogs/directoryAudits$`), roles: []string{"AuditLog.Read.All"},
		refuse: func(w http.ResponseWriter, s *Server) {
			graphError(w, s.opts.Now(), http.StatusForbidden, "Authentication_ApplicationHasNoReadAuditLogDataAccess", "Application missing MSGraph API 'Read all audit log data' permission")
		},
		answer: list("auditLogs/directoryAudits")},
	{path: regexp.MustCompile(`^/v1\.0/reports/getOffice365ActiveUserCounts\(period='D(7|30|90|180)'\)$`), roles: []string{"Reports.Read.All"}, refuse: requestDenied,
		answer: func(w http.ResponseWriter, _ *http.Request, _ string) {
			// A report answers with a pre-authenticated download (§1.8.3).
			w.Header().Set("Location", "https://reportsncu.office.com/data/download/"+newID()+"?sig=emulated")
			w.Header().Set("request-id", newID())
			w.WriteHeader(http.StatusFound)
		}},
	{path: regexp.MustCompile(`^/v1\.0/identity/conditionalAccess/namedLocations$`), roles: []string{"Policy.Read.All", "Policy.ReadWrite.ConditionalAccess"}, refuse: requestDenied,
		answer: list("identity/conditionalAccess/namedLocations")},
	{path: regexp.MustCompile(`^/v1\.0/identityProtection/riskyUsers$`), roles: []string{"IdentityRiskyUser.Read.All", "IdentityRiskyUser.ReadWrite.All"}, refuse: requestDenied,
		unlicensed: riskUnlicensed(NoP2), answer: list("identityProtection/riskyUsers")},
	{path: regexp.MustCompile(`^/v1\.0/identityProtection/riskDetections$`), roles: []string{"IdentityRiskEvent.Read.All"}, refuse: requestDenied,
		unlicensed: riskUnlicensed(NoPremium), answer: list("identityProtection/riskDetections")},
	{path: regexp.MustCompile(`^/v1\.0/users/([^/]+)/authentication/methods$`), roles: []string{"UserAuthenticationMethod.Read.All", "UserAuthenticationMethod.ReadWrite.All"}, refuse: requestDenied,
		answer: member(SeedUserID, list("users('"+SeedUserID+"')/authentication/methods", map[string]any{"@odata.type": "#microsoft.graph.passwordAuthenticationMethod", "id": "28c10230-6103-485e-b985-444c60001490"}))},
	intune(`^/v1\.0/deviceManagement/managedDevices$`, "DeviceManagementManagedDevices"),
	intune(`^/v1\.0/deviceManagement/deviceConfigurations$`, "DeviceManagementConfiguration"),
	intune(`^/v1\.0/deviceAppManagement/mobileApps$`, "DeviceManagementApps"),
}

// member answers for the one seeded object id, and 404 for any other.
func member(want string, ok func(http.ResponseWriter, *http.Request, string)) func(http.ResponseWriter, *http.Request, string) {
	return func(w http.ResponseWriter, r *http.Request, id string) {
		if !strings.EqualFold(id, want) {
			graphError(w, time.Now(), http.StatusNotFound, "Request_ResourceNotFound", "Resource '"+id+"' does not exist or one of its queried reference-property objects are not present.")
			return
		}
		ok(w, r, id)
	}
}

// readQuery are the query options the reads accept.
var readQuery = []string{"$top", "$select"}

// graphGet serves the reads of §1.8.3, or reports that path is none of
// them. The token's roles decide, then the tenant's licences.
func (s *Server) graphGet(w http.ResponseWriter, r *http.Request, caller graphCaller) bool {
	if r.Method != http.MethodGet {
		return false
	}
	i := slices.IndexFunc(graphReads, func(g graphRead) bool { return g.path.MatchString(r.URL.Path) })
	if i < 0 {
		return false
	}
	g := graphReads[i]
	now := s.opts.Now()
	for k, v := range r.URL.Query() {
		if !slices.Contains(readQuery, k) {
			graphError(w, now, http.StatusBadRequest, "BadRequest", "Query option '"+strings.TrimPrefix(k, "$")+"' is not allowed.")
			return true
		}
		if n, err := strconv.Atoi(v[0]); k == "$top" && (err != nil || n < 1 || n > 999) {
			graphError(w, now, http.StatusBadRequest, "BadRequest", "Invalid page size specified: '"+v[0]+"'. Must be between 1 and 999 inclusive.")
			return true
		}
	}
	s.mu.Lock()
	t := s.tenantByID(caller.tenant)
	var tenant Tenant
	if t != nil {
		tenant = Tenant{ID: t.ID, Unlicensed: slices.Clone(t.Unlicensed), NotEffective: slices.Clone(t.NotEffective)}
	}
	s.mu.Unlock()
	if t == nil {
		graphError(w, now, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
		return true
	}
	if !slices.ContainsFunc(g.roles, func(role string) bool {
		return slices.Contains(caller.roles, role) && !slices.Contains(tenant.NotEffective, role)
	}) {
		g.refuse(w, s)
		return true
	}
	if g.unlicensed != nil && g.unlicensed(w, s, &tenant) {
		return true
	}
	id := ""
	if m := g.path.FindStringSubmatch(r.URL.Path); len(m) > 1 {
		id = m[1]
	}
	g.answer(w, r, id)
	return true
}
