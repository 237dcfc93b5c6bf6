package entratest

import (
	"crypto/sha1"
	"encoding/hex"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
)

// graphCaller is who a Graph request is from: the token's tenant, app
// and roles.
type graphCaller struct {
	tenant string
	appID  string
	roles  []string // an app-only token's application permissions
	scp    []string // a delegated token's scopes
}

// graphAuth checks a Graph request's bearer token as Graph does: one
// this emulator signed, for this Graph host, not expired. It answers a
// refusal itself.
func (s *Server) graphAuth(w http.ResponseWriter, r *http.Request) (graphCaller, bool) {
	now := s.opts.Now()
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || raw == "" {
		graphError(w, now, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty.")
		return graphCaller{}, false
	}
	var c accessClaims
	if err := s.tokens.Parse(raw, &c); err != nil {
		graphError(w, now, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure. Invalid signature.")
		return graphCaller{}, false
	}
	if err := c.Claims.ValidateWithLeeway(jwt.Expected{Time: now}, 5*time.Minute); err != nil {
		graphError(w, now, http.StatusUnauthorized, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")
		return graphCaller{}, false
	}
	if !c.Audience.Contains("https://" + r.Host) {
		graphError(w, now, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
		return graphCaller{}, false
	}
	return graphCaller{tenant: c.TenantID, appID: c.AppID, roles: c.Roles, scp: strings.Fields(c.Scp)}, true
}

func (c graphCaller) has(roles ...string) bool {
	return slices.ContainsFunc(roles, func(r string) bool { return slices.Contains(c.roles, r) || slices.Contains(c.scp, r) })
}

// graph serves the Microsoft Graph v1.0 endpoints tether calls.
func (s *Server) graph(w http.ResponseWriter, r *http.Request) {
	caller, ok := s.graphAuth(w, r)
	if !ok {
		return
	}
	now := s.opts.Now()
	switch {
	case r.URL.Path == "/v1.0/applications" && r.Method == http.MethodGet:
		s.listApplications(w, r, caller)
	case s.graphWrite(w, r, caller):
	case s.graphGet(w, r, caller):
	default:
		graphError(w, now, http.StatusBadRequest, "BadRequest", "Resource not found for the segment '"+strings.TrimPrefix(r.URL.Path, "/v1.0/")+"'.")
	}
}

var appIDFilter = regexp.MustCompile(`^appId eq '([0-9a-fA-F-]{36})'$`)

// applicationFields are the properties $select may name.
var applicationFields = []string{"id", "appId", "displayName", "requiredResourceAccess", "passwordCredentials", "keyCredentials", "tags", "signInAudience"}

// listApplications is GET /applications with $filter=appId eq '…' and
// $select (application-list.md): Application.Read.All and up, or
// Directory.Read.All.
func (s *Server) listApplications(w http.ResponseWriter, r *http.Request, caller graphCaller) {
	now := s.opts.Now()
	if !caller.has("Application.Read.All", "Application.ReadWrite.All", "Application.ReadWrite.OwnedBy", "Directory.Read.All", "Directory.ReadWrite.All") {
		graphError(w, now, http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
		return
	}
	q := r.URL.Query()
	filter, tag := "", ""
	if f := q.Get("$filter"); f != "" {
		m := appIDFilter.FindStringSubmatch(f)
		if tm := tagFilter.FindStringSubmatch(f); tm != nil {
			m, tag = []string{"", ""}, tm[1]
		}
		if m == nil {
			graphError(w, now, http.StatusBadRequest, "Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified for property 'appId' of resource 'Application'.")
			return
		}
		filter = strings.ToLower(m[1])
	}
	fields := applicationFields
	if sel := q.Get("$select"); sel != "" {
		fields = strings.Split(sel, ",")
		for _, f := range fields {
			if !slices.Contains(applicationFields, f) {
				graphError(w, now, http.StatusBadRequest, "BadRequest", "Parsing OData Select and Expand failed: Could not find a property named '"+f+"' on type 'microsoft.graph.application'.")
				return
			}
		}
	}
	s.mu.Lock()
	var out []map[string]any
	if t := s.tenantByID(caller.tenant); t != nil {
		for _, a := range t.Apps {
			if (filter != "" && strings.ToLower(a.AppID) != filter) || (tag != "" && !slices.Contains(a.Tags, tag)) {
				continue
			}
			full := applicationJSON(a)
			sel := map[string]any{}
			for _, f := range fields {
				sel[f] = full[f]
			}
			out = append(out, sel)
		}
	}
	s.mu.Unlock()
	if out == nil {
		out = []map[string]any{}
	}
	writeGraph(w, http.StatusOK, map[string]any{"@odata.context": "https://" + r.Host + "/v1.0/$metadata#applications", "value": out})
}

func writeGraph(w http.ResponseWriter, status int, v any) {
	id := newID()
	w.Header().Set("request-id", id)
	w.Header().Set("client-request-id", id)
	writeJSON(w, status, v)
}

// applicationJSON is an application object as Graph shows it: secrets
// by hint and dates only (secretText is null on reads, §1.11).
func applicationJSON(a App) map[string]any {
	pcs := []map[string]any{}
	for _, sc := range a.Secrets {
		pcs = append(pcs, map[string]any{"customKeyIdentifier": nil, "displayName": sc.DisplayName, "endDateTime": sc.End.UTC().Format(time.RFC3339Nano),
			"hint": sc.Hint(), "keyId": sc.KeyID, "secretText": nil, "startDateTime": sc.Start.UTC().Format(time.RFC3339Nano)})
	}
	kcs := []map[string]any{}
	for _, c := range a.Certificates {
		sum := sha1.Sum(c.Raw)
		kcs = append(kcs, map[string]any{"customKeyIdentifier": strings.ToUpper(hex.EncodeToString(sum[:])), "displayName": "CN=" + c.Subject.CommonName,
			"endDateTime": c.NotAfter.UTC().Format(time.RFC3339), "key": nil, "keyId": newID(), "startDateTime": c.NotBefore.UTC().Format(time.RFC3339),
			"type": "AsymmetricX509Cert", "usage": "Verify"})
	}
	required := []map[string]any{}
	if len(a.Required) > 0 {
		required = append(required, map[string]any{"resourceAppId": GraphAppID, "resourceAccess": a.Required})
	}
	tags := a.Tags
	if tags == nil {
		tags = []string{}
	}
	return map[string]any{"id": a.ObjectID, "appId": a.AppID, "displayName": a.DisplayName, "signInAudience": "AzureADMyOrg",
		"requiredResourceAccess": required, "passwordCredentials": pcs, "keyCredentials": kcs, "tags": tags}
}
