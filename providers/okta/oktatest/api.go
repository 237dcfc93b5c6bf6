package oktatest

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/tetherdev/tether/flows/oauthtest"
)

// caller is who a request acts as: the owner of an SSWS token, or a
// service app with an OAuth token's scopes.
type caller struct {
	id     string // user 00u… or client 0oa…
	oauth  bool
	scopes []string
}

// authenticate reads the Authorization header (§1.10): SSWS, Bearer or
// DPoP; a missing or garbled one is 403 E0000005, an unknown token 401
// E0000011. It answers a refusal itself.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, o Org) (caller, bool) {
	h := r.Header.Get("Authorization")
	scheme, cred, _ := strings.Cut(h, " ")
	switch {
	case scheme == "SSWS" && cred != "" && !strings.ContainsAny(cred, " \t"):
		for _, t := range o.Tokens {
			if subtle.ConstantTimeCompare([]byte(t.Value), []byte(cred)) == 1 {
				if u, ok := o.user(t.UserID); ok && isActive(u.Status) {
					return caller{id: u.ID}, true
				}
			}
		}
		oktaError(w, http.StatusUnauthorized, "E0000011", "")
		return caller{}, false
	case (scheme == "Bearer" || scheme == "DPoP") && cred != "":
		return s.oauth.authorizeResource(w, r, o)
	}
	oktaError(w, http.StatusForbidden, "E0000005", "")
	return caller{}, false
}

func (o Org) user(id string) (User, bool) {
	i := slices.IndexFunc(o.Users, func(u User) bool { return u.ID == id })
	if i < 0 {
		return User{}, false
	}
	return o.Users[i], true
}

// reader says who may read an area: the OAuth scope it needs, the
// standard roles that include reading it, and the custom role
// permissions that do (§1.4, §1.5). No custom permission reads the
// System Log, policies, network zones or authenticators.
type reader struct {
	scope    string
	standard []string
	custom   []string
}

var (
	readAll = []string{"SUPER_ADMIN", "ORG_ADMIN", "READ_ONLY_ADMIN"}
	readers = map[string]reader{
		"users":          {"okta.users.read", append(slices.Clone(readAll), "HELP_DESK_ADMIN", "USER_ADMIN"), []string{"okta.users.read", "okta.users.manage"}},
		"groups":         {"okta.groups.read", append(slices.Clone(readAll), "HELP_DESK_ADMIN", "USER_ADMIN", "GROUP_MEMBERSHIP_ADMIN"), []string{"okta.groups.read", "okta.groups.manage"}},
		"apps":           {"okta.apps.read", append(slices.Clone(readAll), "APP_ADMIN"), []string{"okta.apps.read", "okta.apps.manage"}},
		"logs":           {"okta.logs.read", append(slices.Clone(readAll), "HELP_DESK_ADMIN", "USER_ADMIN", "APP_ADMIN", "REPORT_ADMIN", "GROUP_MEMBERSHIP_ADMIN"), nil},
		"policies":       {"okta.policies.read", readAll, nil},
		"zones":          {"okta.networkZones.read", readAll, nil},
		"authenticators": {"okta.authenticators.read", readAll, nil},
	}
)

// allows reports whether c's admin roles let it read area.
func (o Org) allows(c caller, area string) bool {
	rd := readers[area]
	for _, a := range o.Assignments[c.id] {
		if !isActive(a.Status) {
			continue
		}
		if slices.Contains(rd.standard, a.Type) {
			return true
		}
		if a.Type == "CUSTOM" {
			if cr, ok := o.customRole(a.Role); ok && slices.ContainsFunc(rd.custom, func(p string) bool { return slices.Contains(cr.Permissions, p) }) {
				return true
			}
		}
	}
	return false
}

func (o Org) customRole(id string) (CustomRole, bool) {
	i := slices.IndexFunc(o.CustomRoles, func(c CustomRole) bool { return c.ID == id || c.Label == id })
	if i < 0 {
		return CustomRole{}, false
	}
	return o.CustomRoles[i], true
}

// isAdmin reports whether c holds any active admin role.
func (o Org) isAdmin(c caller) bool {
	return slices.ContainsFunc(o.Assignments[c.id], func(a Assignment) bool { return isActive(a.Status) })
}

// seesAllRoles reports whether c may read anyone's role assignments.
func (o Org) seesAllRoles(c caller) bool {
	return slices.ContainsFunc(o.Assignments[c.id], func(a Assignment) bool {
		return isActive(a.Status) && slices.Contains(readAll, a.Type)
	})
}

// needScope refuses an OAuth token without scope: 403, with the
// WWW-Authenticate challenge Okta sends (§1.8) and an E0000006 body.
func needScope(w http.ResponseWriter, r *http.Request, c caller, scope string) bool {
	if !c.oauth || slices.Contains(c.scopes, scope) {
		return true
	}
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer authorization_uri="https://%s/oauth2/v1/authorize", realm="https://%s", scope=%q, error="insufficient_scope", error_description="The access token provided does not contain the required scopes.", resource=%q`,
		r.Host, r.Host, scope, r.URL.Path))
	oktaError(w, http.StatusForbidden, "E0000006", "")
	return false
}

// api serves /api/v1/ and /oauth2/v1/clients/: GETs only, after the rate
// limit and the authentication.
func (s *Server) api(w http.ResponseWriter, r *http.Request) {
	o, ok := s.orgFor(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if !s.limiter.Take(w, o.Domain) {
		w.Header().Del("Retry-After")
		oktaError(w, http.StatusTooManyRequests, "E0000047", "")
		return
	}
	c, ok := s.authenticate(w, r, o)
	if !ok {
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	for i := range parts {
		parts[i], _ = url.PathUnescape(parts[i])
	}
	if s.write(w, r, o, c, parts) {
		return
	}
	if r.Method != http.MethodGet {
		oktaError(w, http.StatusMethodNotAllowed, "E0000022", "")
		return
	}
	if s.adminReads(w, r, o, c, parts) {
		return
	}
	read := func(area string) bool {
		if !needScope(w, r, c, readers[area].scope) {
			return false
		}
		if !o.allows(c, area) {
			oktaError(w, http.StatusForbidden, "E0000006", "")
			return false
		}
		return true
	}
	p := strings.Join(parts, "/")
	switch {
	case p == "api/v1/users":
		if read("users") {
			s.list(w, r, o.userList(), 200)
		}
	case p == "api/v1/users/me":
		if c.oauth {
			oktaError(w, http.StatusNotFound, "E0000007", "Not found: Resource not found: me (User)")
			return
		}
		u, _ := o.user(c.id)
		oauthtest.WriteJSON(w, http.StatusOK, userJSON(r, u))
	case len(parts) == 4 && p == "api/v1/users/"+parts[3]:
		if !read("users") {
			return
		}
		if u, ok := o.user(parts[3]); ok {
			oauthtest.WriteJSON(w, http.StatusOK, userJSON(r, u))
			return
		}
		oktaError(w, http.StatusNotFound, "E0000007", "Not found: Resource not found: "+parts[3]+" (User)")
	case len(parts) == 5 && parts[2] == "users" && parts[4] == "factors":
		if !read("users") {
			return
		}
		u, ok := o.user(parts[3])
		if !ok {
			oktaError(w, http.StatusNotFound, "E0000007", "Not found: Resource not found: "+parts[3]+" (User)")
			return
		}
		out := []map[string]any{}
		for _, f := range u.Factors {
			out = append(out, map[string]any{"id": f.ID, "factorType": f.Type, "provider": f.Provider, "status": "ACTIVE"})
		}
		oauthtest.WriteJSON(w, http.StatusOK, out)
	case len(parts) == 5 && parts[2] == "users" && parts[4] == "roles":
		s.roles(w, r, o, c, parts[3], false)
	case len(parts) == 5 && parts[0] == "oauth2" && parts[2] == "clients" && parts[4] == "roles":
		s.roles(w, r, o, c, parts[3], true)
	case p == "api/v1/groups":
		if read("groups") {
			s.list(w, r, named(o.Groups, "profile"), 200)
		}
	case p == "api/v1/apps":
		if read("apps") {
			s.list(w, r, o.appList(r), 200)
		}
	case p == "api/v1/zones":
		if read("zones") {
			s.list(w, r, named(o.Zones, "name"), 200)
		}
	case p == "api/v1/logs":
		if read("logs") {
			s.list(w, r, o.logList(), 1000)
		}
	case p == "api/v1/policies":
		if !read("policies") {
			return
		}
		switch r.URL.Query().Get("type") {
		case "":
			oktaError(w, http.StatusBadRequest, "E0000001", "Api validation failed: type")
		case "OKTA_SIGN_ON":
			s.list(w, r, named(o.Policies, "name"), 200)
		default:
			s.list(w, r, nil, 200)
		}
	case p == "api/v1/authenticators":
		if o.Classic {
			oktaError(w, http.StatusUnauthorized, "E0000015", "")
			return
		}
		if read("authenticators") {
			oauthtest.WriteJSON(w, http.StatusOK, []map[string]any{
				{"id": "aut1okta0password0001", "key": "okta_password", "type": "password", "status": "ACTIVE"},
				{"id": "aut1okta0verify000001", "key": "okta_verify", "type": "app", "status": "ACTIVE"},
			})
		}
	case len(parts) == 6 && parts[2] == "iam" && parts[3] == "roles" && parts[5] == "permissions":
		s.permissions(w, r, o, c, parts[4])
	case len(parts) == 6 && parts[2] == "iam" && parts[3] == "resource-sets" && parts[5] == "resources":
		s.resources(w, r, o, c, parts[4])
	default:
		oktaError(w, http.StatusNotFound, "E0000007", "Not found: Resource not found: "+r.URL.Path)
	}
}

// list writes one page of items: limit (default and maximum max) after
// the cursor, with Link headers self and, when more follow, next (§1.3).
func (s *Server) list(w http.ResponseWriter, r *http.Request, items []map[string]any, maxLimit int) {
	q := r.URL.Query()
	limit := maxLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			oktaError(w, http.StatusBadRequest, "E0000001", "Api validation failed: limit")
			return
		}
		limit = min(n, maxLimit)
	}
	start := 0
	if after := q.Get("after"); after != "" {
		i := slices.IndexFunc(items, func(it map[string]any) bool { return it["id"] == after })
		if i < 0 {
			oktaError(w, http.StatusBadRequest, "E0000031", "Invalid search criteria.")
			return
		}
		start = i + 1
	}
	end := min(start+limit, len(items))
	page := items[start:end]
	if page == nil {
		page = []map[string]any{}
	}
	self := *r.URL
	self.Scheme, self.Host = "https", r.Host
	w.Header().Add("Link", "<"+self.String()+`>; rel="self"`)
	if end < len(items) && end > start {
		next := self
		nq := next.Query()
		nq.Set("after", fmt.Sprint(page[len(page)-1]["id"]))
		nq.Set("limit", strconv.Itoa(limit))
		next.RawQuery = nq.Encode()
		w.Header().Add("Link", "<"+next.String()+`>; rel="next"`)
	}
	oauthtest.WriteJSON(w, http.StatusOK, page)
}

func userJSON(r *http.Request, u User) map[string]any {
	status := u.Status
	if status == "" {
		status = "ACTIVE"
	}
	return map[string]any{
		"id": u.ID, "status": status, "created": "2025-06-24T16:39:18.000Z",
		"profile":     map[string]string{"login": u.Login, "email": u.Login, "firstName": u.FirstName, "lastName": u.LastName},
		"credentials": map[string]any{"provider": map[string]string{"type": "OKTA", "name": "OKTA"}},
		"_links":      map[string]any{"self": map[string]string{"href": "https://" + r.Host + "/api/v1/users/" + u.ID}},
	}
}

func (o Org) userList() []map[string]any {
	out := []map[string]any{}
	for _, u := range o.Users {
		if u.Status == "DEPROVISIONED" {
			continue // listUsers omits them (§1.5)
		}
		out = append(out, map[string]any{"id": u.ID, "status": cmpOr(u.Status, "ACTIVE"), "profile": map[string]string{"login": u.Login}})
	}
	return out
}

// appList is every app, service apps included, whose label or name
// starts with the q parameter (Okta's q search).
func (o Org) appList(r *http.Request) []map[string]any {
	q := strings.ToLower(r.URL.Query().Get("q"))
	var out []map[string]any
	for _, a := range named(o.Apps, "label") {
		if strings.HasPrefix(strings.ToLower(a["label"].(string)), q) {
			out = append(out, a)
		}
	}
	for _, a := range o.ServiceApps {
		if strings.HasPrefix(strings.ToLower(a.Label), q) || q == "" {
			out = append(out, appJSON(r, a))
		}
	}
	if out == nil {
		out = []map[string]any{}
	}
	return out
}

func (o Org) logList() []map[string]any {
	out := []map[string]any{}
	for _, l := range o.Logs {
		out = append(out, map[string]any{"uuid": l.UUID, "id": l.UUID, "published": l.Published, "eventType": l.EventType,
			"actor": map[string]string{"id": l.ActorID, "type": "User"}})
	}
	return out
}

func named(items []Named, field string) []map[string]any {
	out := []map[string]any{}
	for _, n := range items {
		m := map[string]any{"id": n.ID}
		if field == "profile" {
			m["profile"] = map[string]string{"name": n.Name}
		} else {
			m[field] = n.Name
		}
		out = append(out, m)
	}
	return out
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// roles is GET /api/v1/users/{id}/roles or /oauth2/v1/clients/{id}/roles
// (§1.4). An admin may read its own; a standard reader anyone's.
func (s *Server) roles(w http.ResponseWriter, r *http.Request, o Org, c caller, id string, client bool) {
	if !needScope(w, r, c, "okta.roles.read") {
		return
	}
	if !o.isAdmin(c) || (c.id != id && !o.seesAllRoles(c)) {
		oktaError(w, http.StatusForbidden, "E0000006", "")
		return
	}
	known := slices.ContainsFunc(o.Users, func(u User) bool { return u.ID == id })
	if client {
		known = slices.ContainsFunc(o.ServiceApps, func(a ServiceApp) bool { return a.ClientID == id })
	}
	if !known {
		oktaError(w, http.StatusNotFound, "E0000007", "Not found: Resource not found: "+id)
		return
	}
	kind, assignee := "USER", "https://"+r.Host+"/api/v1/users/"+id
	if client {
		kind, assignee = "CLIENT", "https://"+r.Host+"/oauth2/v1/clients/"+id
	}
	out := []map[string]any{}
	for _, a := range o.Assignments[id] {
		m := map[string]any{"id": a.ID, "label": a.Label, "type": a.Type, "status": cmpOr(a.Status, "ACTIVE"),
			"created": "2026-02-06T16:17:40.000Z", "lastUpdated": "2026-02-06T16:17:40.000Z", "assignmentType": kind}
		links := map[string]any{"assignee": map[string]string{"href": assignee}}
		if a.Type == "CUSTOM" {
			m["role"], m["resource-set"] = a.Role, a.ResourceSet
			base := "https://" + r.Host + "/api/v1/iam/"
			links["role"] = map[string]string{"href": base + "roles/" + a.Role}
			links["resource-set"] = map[string]string{"href": base + "resource-sets/" + a.ResourceSet}
			links["permissions"] = map[string]string{"href": base + "permission-sets/" + a.Role + "/permissions"}
		}
		m["_links"] = links
		out = append(out, m)
	}
	oauthtest.WriteJSON(w, http.StatusOK, out)
}

// holds reports whether c is assigned the custom role or resource set.
func (o Org) holds(c caller, match func(Assignment) bool) bool {
	return slices.ContainsFunc(o.Assignments[c.id], func(a Assignment) bool { return isActive(a.Status) && a.Type == "CUSTOM" && match(a) })
}

// permissions is GET /api/v1/iam/roles/{id}/permissions.
func (s *Server) permissions(w http.ResponseWriter, r *http.Request, o Org, c caller, id string) {
	if !needScope(w, r, c, "okta.roles.read") {
		return
	}
	cr, ok := o.customRole(id)
	if !o.seesAllRoles(c) && !(ok && o.holds(c, func(a Assignment) bool { return a.Role == cr.ID })) {
		oktaError(w, http.StatusForbidden, "E0000006", "")
		return
	}
	if !ok {
		oktaError(w, http.StatusNotFound, "E0000007", "Not found: Resource not found: "+id+" (Role)")
		return
	}
	out := []map[string]any{}
	for _, p := range cr.Permissions {
		out = append(out, map[string]any{"label": p, "created": "2026-02-06T16:20:57.000Z", "lastUpdated": "2026-02-06T16:20:57.000Z",
			"_links": map[string]any{"role": map[string]string{"href": "https://" + r.Host + "/api/v1/iam/roles/" + cr.ID}}})
	}
	oauthtest.WriteJSON(w, http.StatusOK, map[string]any{"permissions": out})
}

// resources is GET /api/v1/iam/resource-sets/{id}/resources.
func (s *Server) resources(w http.ResponseWriter, r *http.Request, o Org, c caller, id string) {
	if !needScope(w, r, c, "okta.roles.read") {
		return
	}
	i := slices.IndexFunc(o.ResourceSets, func(rs ResourceSet) bool { return rs.ID == id })
	if !o.seesAllRoles(c) && !(i >= 0 && o.holds(c, func(a Assignment) bool { return a.ResourceSet == id })) {
		oktaError(w, http.StatusForbidden, "E0000006", "")
		return
	}
	if i < 0 {
		oktaError(w, http.StatusNotFound, "E0000007", "Not found: Resource not found: "+id+" (ResourceSet)")
		return
	}
	out := []map[string]any{}
	for n, res := range o.ResourceSets[i].Resources {
		m := map[string]any{"id": fmt.Sprintf("ire%017d", n+1)}
		if strings.HasPrefix(res, "orn:") {
			m["orn"] = res
		} else {
			m["_links"] = map[string]any{"self": map[string]string{"href": res}}
		}
		out = append(out, m)
	}
	oauthtest.WriteJSON(w, http.StatusOK, map[string]any{"resources": out, "_links": map[string]any{}})
}
