package salesforcetest

import (
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/tetherdev/tether/flows/oauthtest"
)

// Versions are the API versions the emulated orgs serve, oldest first.
var Versions = []string{"61.0", "62.0", "63.0", "64.0", "65.0"}

var versionLabels = map[string]string{"61.0": "Summer '24", "62.0": "Winter '25", "63.0": "Spring '25", "64.0": "Summer '25", "65.0": "Winter '26"}

// restError answers a REST API refusal: a JSON array of one error (§3.5).
func restError(w http.ResponseWriter, status int, code, msg string) {
	oauthtest.WriteJSON(w, status, []map[string]string{{"message": msg, "errorCode": code}})
}

func (s *Server) notFound(w http.ResponseWriter, _ *http.Request) {
	restError(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
}

// instanceOrgLocked is the org whose instance the request reached.
func (s *Server) instanceOrgLocked(r *http.Request) (*Org, bool) {
	h := oauthtest.RequestHost(r)
	for i := range s.orgs {
		if s.orgs[i].MyDomain == h || loopback(r) {
			return &s.orgs[i], true
		}
	}
	return nil, false
}

// authorizedLocked finds the session of a REST request, at the instance it
// is valid at, and answers 401 INVALID_SESSION_ID itself otherwise.
func (s *Server) authorizedLocked(w http.ResponseWriter, r *http.Request) (session, *Org, *User, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	sess, found := s.sessions[strings.TrimSpace(tok)]
	if !ok || !found || (sess.host != oauthtest.RequestHost(r)) {
		w.Header().Set("WWW-Authenticate", "Token")
		restError(w, http.StatusUnauthorized, "INVALID_SESSION_ID", "Session expired or invalid")
		return session{}, nil, nil, false
	}
	for i := range s.orgs {
		if s.orgs[i].ID != sess.orgID {
			continue
		}
		for j := range s.orgs[i].Users {
			if s.orgs[i].Users[j].ID == sess.userID {
				return sess, &s.orgs[i], &s.orgs[i].Users[j], true
			}
		}
	}
	w.Header().Set("WWW-Authenticate", "Token")
	restError(w, http.StatusUnauthorized, "INVALID_SESSION_ID", "Session expired or invalid")
	return session{}, nil, nil, false
}

// apiLocked authorizes a REST API call (§3.5): a session with the api
// (or full) scope, an org with API access, a user with "API Enabled",
// and a version the org serves.
func (s *Server) apiLocked(w http.ResponseWriter, r *http.Request) (*Org, *User, bool) {
	sess, org, user, ok := s.authorizedLocked(w, r)
	switch {
	case !ok:
		return nil, nil, false
	case !slices.Contains(sess.scopes, "api") && !slices.Contains(sess.scopes, "full"):
		restError(w, http.StatusUnauthorized, "INVALID_SESSION_ID", "This session is not valid for use with the REST API")
	case org.APIDisabled:
		restError(w, http.StatusForbidden, "API_DISABLED_FOR_ORG", "The REST API is not enabled for this Organization.")
	case !user.APIEnabled:
		restError(w, http.StatusForbidden, "API_CURRENTLY_DISABLED", "API is disabled for this User")
	case !slices.Contains(Versions, strings.TrimPrefix(r.PathValue("version"), "v")) || !strings.HasPrefix(r.PathValue("version"), "v"):
		s.notFound(w, r)
	default:
		return org, user, true
	}
	return nil, nil, false
}

// versions serves the Versions resource, which needs no session.
func (s *Server) versions(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	_, ok := s.instanceOrgLocked(r)
	s.mu.Unlock()
	if !ok {
		s.notFound(w, r)
		return
	}
	var out []map[string]string
	for _, v := range Versions {
		out = append(out, map[string]string{"label": versionLabels[v], "url": "/services/data/v" + v, "version": v})
	}
	oauthtest.WriteJSON(w, http.StatusOK, out)
}

func (s *Server) limits(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, user, ok := s.apiLocked(w, r)
	if !ok {
		return
	}
	if user.NoViewSetup {
		restError(w, http.StatusForbidden, "INSUFFICIENT_ACCESS_OR_READONLY", "insufficient access rights on object id")
		return
	}
	limit := func(max, remaining int) map[string]int { return map[string]int{"Max": max, "Remaining": remaining} }
	oauthtest.WriteJSON(w, http.StatusOK, map[string]any{
		"DailyApiRequests":                  limit(15000, 14872),
		"DailyBulkV2QueryJobs":              limit(10000, 10000),
		"DataStorageMB":                     limit(5, 5),
		"ConcurrentAsyncGetReportInstances": limit(200, 200),
	})
}

var userQueryPattern = regexp.MustCompile(`^SELECT Username, Profile\.Name, \(SELECT PermissionSet\.Name, PermissionSet\.Label FROM PermissionSetAssignments WHERE PermissionSet\.IsOwnedByProfile = false\) FROM User WHERE Id = '(005[A-Za-z0-9]{15})'$`)

// query answers the SOQL queries tether makes; any other is refused as
// malformed, so a change in what tether asks is seen.
func (s *Server) query(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	org, user, ok := s.apiLocked(w, r)
	if !ok {
		return
	}
	q := r.URL.Query().Get("q")
	if q == "SELECT PermissionsApiEnabled FROM UserPermissionAccess" {
		oauthtest.WriteJSON(w, http.StatusOK, records("UserPermissionAccess", map[string]any{"PermissionsApiEnabled": user.APIEnabled}))
		return
	}
	m := userQueryPattern.FindStringSubmatch(q)
	if m == nil {
		restError(w, http.StatusBadRequest, "MALFORMED_QUERY", "unexpected token: the emulator answers only the queries tether makes")
		return
	}
	i := slices.IndexFunc(org.Users, func(u User) bool { return u.ID == m[1] })
	if i < 0 {
		oauthtest.WriteJSON(w, http.StatusOK, map[string]any{"totalSize": 0, "done": true, "records": []any{}})
		return
	}
	u := org.Users[i]
	var assignments []map[string]any
	for _, ps := range u.PermissionSets {
		assignments = append(assignments, map[string]any{
			"attributes":    map[string]string{"type": "PermissionSetAssignment"},
			"PermissionSet": map[string]any{"attributes": map[string]string{"type": "PermissionSet"}, "Name": strings.ReplaceAll(ps, " ", "_"), "Label": ps},
		})
	}
	var sub any // null when the user has no assignment, as SOQL answers
	if len(assignments) > 0 {
		sub = map[string]any{"totalSize": len(assignments), "done": true, "records": assignments}
	}
	oauthtest.WriteJSON(w, http.StatusOK, records("User", map[string]any{
		"Username":                 u.Username,
		"Profile":                  map[string]any{"attributes": map[string]string{"type": "Profile"}, "Name": u.Profile},
		"PermissionSetAssignments": sub,
	}))
}

func records(typ string, fields map[string]any) map[string]any {
	fields["attributes"] = map[string]string{"type": typ}
	return map[string]any{"totalSize": 1, "done": true, "records": []any{fields}}
}

// userinfo serves the OpenID userinfo of the session's user; it needs no
// api scope, so it proves no API access.
func (s *Server) userinfo(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, org, user, ok := s.authorizedLocked(w, r)
	if !ok {
		return
	}
	base := "https://" + org.MyDomain
	oauthtest.WriteJSON(w, http.StatusOK, map[string]any{
		"sub":                            "https://" + org.LoginHost() + "/id/" + org.ID + "/" + user.ID,
		"user_id":                        user.ID,
		"organization_id":                org.ID,
		"preferred_username":             user.Username,
		"name":                           user.Name,
		"email":                          user.Email,
		"email_verified":                 true,
		"active":                         !user.Inactive,
		"user_type":                      "STANDARD",
		"is_app_installed":               sess.appKey != "",
		"is_salesforce_integration_user": user.Integration,
		"urls":                           map[string]string{"rest": base + "/services/data/v{version}/", "custom_domain": base},
	})
}
