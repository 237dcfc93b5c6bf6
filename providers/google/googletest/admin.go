package googletest

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/tetherdev/tether/flows/oauthtest"
)

const auth = "https://www.googleapis.com/auth/"

// endpoint is one Admin SDK read: its path pattern, the scopes any of
// which lets a token call it (the discovery documents), the RPC name in
// ErrorInfo, and its answer.
type endpoint struct {
	pattern *regexp.Regexp
	scopes  []string
	method  string
	answer  func(s *Server, d Domain, m []string, q url.Values) (int, any)
}

var endpoints = []endpoint{
	{regexp.MustCompile(`^/admin/directory/v1/users$`), []string{auth + "admin.directory.user", auth + "admin.directory.user.readonly", auth + "cloud-platform"},
		"ccc.hosted.frontend.directory.v1.DirectoryUsers.List", listUsers},
	{regexp.MustCompile(`^/admin/directory/v1/groups$`), []string{auth + "admin.directory.group", auth + "admin.directory.group.readonly"},
		"ccc.hosted.frontend.directory.v1.DirectoryGroups.List", listGroups},
	{regexp.MustCompile(`^/admin/directory/v1/groups/([^/]+)/members$`), []string{auth + "admin.directory.group", auth + "admin.directory.group.member", auth + "admin.directory.group.member.readonly", auth + "admin.directory.group.readonly"},
		"ccc.hosted.frontend.directory.v1.DirectoryMembers.List", listMembers},
	{regexp.MustCompile(`^/admin/directory/v1/customer/([^/]+)/roles$`), []string{auth + "admin.directory.rolemanagement", auth + "admin.directory.rolemanagement.readonly"},
		"ccc.hosted.frontend.directory.v1.DirectoryRoles.List", customerList("admin#directory#roles", "items", []any{
			map[string]any{"kind": "admin#directory#role", "roleId": "3894208461012993", "roleName": "_SEED_ADMIN_ROLE", "isSystemRole": true, "isSuperAdminRole": true}})},
	{regexp.MustCompile(`^/admin/directory/v1/customer/([^/]+)/orgunits$`), []string{auth + "admin.directory.orgunit", auth + "admin.directory.orgunit.readonly"},
		"ccc.hosted.frontend.directory.v1.DirectoryOrgunits.List", customerList("admin#directory#orgUnits", "organizationUnits", []any{
			map[string]any{"kind": "admin#directory#orgUnit", "name": "Engineering", "orgUnitPath": "/Engineering", "orgUnitId": "id:03ph8a2z1xdnme9"}})},
	{regexp.MustCompile(`^/admin/directory/v1/customer/([^/]+)/devices/mobile$`), []string{auth + "admin.directory.device.mobile", auth + "admin.directory.device.mobile.action", auth + "admin.directory.device.mobile.readonly"},
		"ccc.hosted.frontend.directory.v1.DirectoryMobiledevices.List", customerList("admin#directory#mobiledevices", "mobiledevices", []any{
			map[string]any{"kind": "admin#directory#mobiledevice", "resourceId": "AFiQxQ8Qgd-rHBJkQf0", "model": "Pixel 8", "os": "Android 15", "status": "APPROVED"}})},
	{regexp.MustCompile(`^/admin/directory/v1/customer/([^/]+)/devices/chromeos$`), []string{auth + "admin.directory.device.chromeos", auth + "admin.directory.device.chromeos.readonly"},
		"ccc.hosted.frontend.directory.v1.DirectoryChromeosdevices.List", customerList("admin#directory#chromeosdevices", "chromeosdevices", []any{
			map[string]any{"kind": "admin#directory#chromeosdevice", "deviceId": "2b6e1c9a-4f0d-4c1e-9b1a-5d2f3e4a5b6c", "model": "Chromebook Plus", "status": "ACTIVE"}})},
	{regexp.MustCompile(`^/admin/reports/v1/activity/users/([^/]+)/applications/([^/]+)$`), []string{auth + "admin.reports.audit.readonly"},
		"ccc.hosted.frontend.reports.v1.Activities.List", listActivities},
	{regexp.MustCompile(`^/admin/directory/v1/users/([^/]+)/tokens$`), []string{auth + "admin.directory.user.security"},
		"ccc.hosted.frontend.directory.v1.DirectoryTokens.List", listTokens},
}

// apiError writes the Admin SDK's error envelope (§2.9).
func apiError(w http.ResponseWriter, code int, message, reason, domain, status string, details ...any) {
	e := map[string]any{"code": code, "message": message,
		"errors": []any{map[string]any{"message": message, "domain": domain, "reason": reason}}}
	if status != "" {
		e["status"] = status
	}
	if len(details) > 0 {
		e["details"] = details
	}
	oauthtest.WriteJSON(w, code, map[string]any{"error": e})
}

func badRequest(w http.ResponseWriter, message string) {
	apiError(w, http.StatusBadRequest, message, "invalid", "global", "INVALID_ARGUMENT")
}

// admin serves the Admin SDK reads. The checks come in Google's order:
// the token (401), the API enabled in the project (403
// accessNotConfigured), the token's scope (403 insufficientPermissions),
// the admin's role (403 forbidden), then the request itself.
func (s *Server) admin(w http.ResponseWriter, r *http.Request) {
	i := slices.IndexFunc(endpoints, func(e endpoint) bool { return e.pattern.MatchString(r.URL.EscapedPath()) })
	if i < 0 {
		notFound(w, r)
		return
	}
	ep := endpoints[i]
	if r.Method != http.MethodGet {
		apiError(w, http.StatusMethodNotAllowed, "Method Not Allowed", "methodNotAllowed", "global", "")
		return
	}
	at, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	g, live := s.lookupLocked(at)
	d := s.opts.Domain
	var u User
	if live && g.subject != "" {
		u, _ = s.userLocked(g.subject)
	}
	s.mu.Unlock()
	if !ok || !live {
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`)
		apiError(w, http.StatusUnauthorized, "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
			"authError", "global", "UNAUTHENTICATED")
		return
	}
	if d.APIDisabled {
		msg := "Admin SDK API has not been used in project " + d.ProjectNumber + " before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/admin.googleapis.com/overview?project=" + d.ProjectNumber + " then retry."
		apiError(w, http.StatusForbidden, msg, "accessNotConfigured", "usageLimits", "PERMISSION_DENIED",
			map[string]any{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "SERVICE_DISABLED", "domain": "googleapis.com",
				"metadata": map[string]any{"service": "admin.googleapis.com", "consumer": "projects/" + d.ProjectNumber}})
		return
	}
	if !slices.ContainsFunc(ep.scopes, func(sc string) bool { return slices.Contains(g.scopes, sc) }) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error=insufficient_scope, scope="`+strings.Join(ep.scopes, " ")+`"`)
		apiError(w, http.StatusForbidden, "Request had insufficient authentication scopes.", "insufficientPermissions", "global", "PERMISSION_DENIED",
			map[string]any{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT", "domain": "googleapis.com",
				"metadata": map[string]any{"service": "admin.googleapis.com", "method": ep.method}})
		return
	}
	if !u.Admin {
		apiError(w, http.StatusForbidden, "Not Authorized to access this resource/api", "forbidden", "global", "PERMISSION_DENIED")
		return
	}
	q := r.URL.Query()
	if v := q.Get("maxResults"); v != "" {
		if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 500 {
			badRequest(w, "Invalid value '"+v+"'. Values must be within the range: [1, 500]")
			return
		}
	}
	status, body := ep.answer(s, d, ep.pattern.FindStringSubmatch(r.URL.EscapedPath())[1:], q)
	if status != http.StatusOK {
		apiError(w, status, body.(string), map[int]string{404: "notFound", 400: "badRequest"}[status], "global", "")
		return
	}
	oauthtest.WriteJSON(w, http.StatusOK, body)
}

// ownCustomer reports whether c names the caller's customer.
func ownCustomer(d Domain, c string) bool { return c == "my_customer" || c == d.CustomerID }

func first[T any](items []T, q url.Values) []T {
	n, err := strconv.Atoi(q.Get("maxResults"))
	if err != nil || n > len(items) {
		return items
	}
	return items[:n]
}

func etag() string { return `"nMWDQj2VPV0tLbG8KAtHZk5q2w4"` }

func userJSON(d Domain, u User) map[string]any {
	given, family, _ := strings.Cut(u.Name, " ")
	return map[string]any{"kind": "admin#directory#user", "id": u.ID, "primaryEmail": u.Email,
		"name":    map[string]any{"givenName": given, "familyName": family, "fullName": u.Name},
		"isAdmin": u.Admin, "isDelegatedAdmin": false, "suspended": false, "orgUnitPath": "/", "customerId": d.CustomerID}
}

func listUsers(_ *Server, d Domain, _ []string, q url.Values) (int, any) {
	if c := q.Get("customer"); !ownCustomer(d, c) && q.Get("domain") != d.Name {
		return http.StatusBadRequest, "Bad Request"
	}
	var users []any
	for _, u := range d.Users {
		if !u.Deleted {
			users = append(users, userJSON(d, u))
		}
	}
	return http.StatusOK, map[string]any{"kind": "admin#directory#users", "etag": etag(), "users": first(users, q)}
}

func groupJSON(g Group) map[string]any {
	return map[string]any{"kind": "admin#directory#group", "id": g.ID, "email": g.Email, "name": g.Name,
		"directMembersCount": strconv.Itoa(len(g.Members))}
}

func listGroups(_ *Server, d Domain, _ []string, q url.Values) (int, any) {
	if c := q.Get("customer"); !ownCustomer(d, c) && q.Get("domain") != d.Name {
		return http.StatusBadRequest, "Bad Request"
	}
	out := map[string]any{"kind": "admin#directory#groups", "etag": etag()}
	var groups []any
	for _, g := range d.Groups {
		groups = append(groups, groupJSON(g))
	}
	if len(groups) > 0 { // the key is absent when there are none (§2.8)
		out["groups"] = first(groups, q)
	}
	return http.StatusOK, out
}

func listMembers(_ *Server, d Domain, m []string, q url.Values) (int, any) {
	key, _ := url.PathUnescape(m[0])
	i := slices.IndexFunc(d.Groups, func(g Group) bool { return g.ID == key || strings.EqualFold(g.Email, key) })
	if i < 0 {
		return http.StatusNotFound, "Resource Not Found: groupKey"
	}
	var members []any
	for _, e := range d.Groups[i].Members {
		members = append(members, map[string]any{"kind": "admin#directory#member", "email": e, "role": "MEMBER", "type": "USER", "status": "ACTIVE"})
	}
	return http.StatusOK, map[string]any{"kind": "admin#directory#members", "etag": etag(), "members": first(members, q)}
}

func customerList(kind, key string, items []any) func(*Server, Domain, []string, url.Values) (int, any) {
	return func(_ *Server, d Domain, m []string, q url.Values) (int, any) {
		if c, _ := url.PathUnescape(m[0]); !ownCustomer(d, c) {
			return http.StatusBadRequest, "Bad Request"
		}
		return http.StatusOK, map[string]any{"kind": kind, "etag": etag(), key: first(items, q)}
	}
}

var applications = []string{"access_transparency", "admin", "calendar", "chat", "drive", "gcp", "groups", "groups_enterprise",
	"jamboard", "login", "meet", "mobile", "rules", "saml", "token", "user_accounts", "context_aware_access", "chrome", "data_studio", "keep"}

func listActivities(_ *Server, d Domain, m []string, q url.Values) (int, any) {
	user, _ := url.PathUnescape(m[0])
	app, _ := url.PathUnescape(m[1])
	if !slices.Contains(applications, app) {
		return http.StatusBadRequest, "Bad Request"
	}
	if user != "all" && !slices.ContainsFunc(d.Users, func(u User) bool { return strings.EqualFold(u.Email, user) || u.ID == user }) {
		return http.StatusBadRequest, "Bad Request"
	}
	var items []any
	for _, u := range d.Users {
		items = append(items, map[string]any{"kind": "admin#reports#activity",
			"id":     map[string]any{"time": "2026-11-27T09:12:44.101Z", "uniqueQualifier": "358068855354", "applicationName": app, "customerId": d.CustomerID},
			"actor":  map[string]any{"email": u.Email, "profileId": u.ID},
			"events": []any{map[string]any{"type": "login", "name": "login_success"}}})
	}
	return http.StatusOK, map[string]any{"kind": "admin#reports#activities", "etag": etag(), "items": first(items, q)}
}

func listTokens(_ *Server, d Domain, m []string, _ url.Values) (int, any) {
	key, _ := url.PathUnescape(m[0])
	if !slices.ContainsFunc(d.Users, func(u User) bool { return strings.EqualFold(u.Email, key) || u.ID == key }) {
		return http.StatusNotFound, "Resource Not Found: userKey"
	}
	return http.StatusOK, map[string]any{"kind": "admin#directory#tokenList", "etag": etag(), "items": []any{
		map[string]any{"kind": "admin#directory#token", "clientId": "1234-abc.apps.googleusercontent.com", "displayText": "Calendar sync",
			"anonymous": false, "nativeApp": true, "userKey": key, "scopes": []string{"https://www.googleapis.com/auth/calendar"}}}}
}
