package entratest

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

// GraphSPID is Microsoft Graph's service principal id in the emulated
// tenants (the permissions-grant guide's example).
const GraphSPID = "7ea9e944-71ce-443d-811c-71e8047b557a"

// maxGraphBody bounds a Graph request body.
const maxGraphBody = 64 << 10

var (
	tagFilter   = regexp.MustCompile(`^tags/any\(t:t eq '([A-Za-z0-9:._-]{1,256})'\)$`)
	appPath     = regexp.MustCompile(`^/v1\.0/applications/([0-9a-f-]{36})(/addPassword)?$`)
	spPath      = regexp.MustCompile(`^/v1\.0/servicePrincipals/([0-9a-f-]{36})/(appRoleAssignments|appRoleAssignedTo)$`)
	graphSPPath = "/v1.0/servicePrincipals(appId='" + GraphAppID + "')"
)

// graphWrite routes the Graph requests that create the app (§1.9). It
// returns false for a path it does not serve.
func (s *Server) graphWrite(w http.ResponseWriter, r *http.Request, caller graphCaller) bool {
	path := r.URL.Path
	switch {
	case path == "/v1.0/applications" && r.Method == http.MethodPost:
		s.createApplication(w, r, caller)
	case appPath.MatchString(path):
		m := appPath.FindStringSubmatch(path)
		switch {
		case m[2] == "" && r.Method == http.MethodPatch:
			s.patchApplication(w, r, caller, m[1])
		case m[2] != "" && r.Method == http.MethodPost:
			s.addPassword(w, r, caller, m[1])
		default:
			graphError(w, s.opts.Now(), http.StatusMethodNotAllowed, "Request_BadRequest", "The request method is not supported for this resource.")
		}
	case path == "/v1.0/servicePrincipals" && r.Method == http.MethodGet:
		s.listServicePrincipals(w, r, caller)
	case path == "/v1.0/servicePrincipals" && r.Method == http.MethodPost:
		s.createServicePrincipal(w, r, caller)
	case (r.URL.RawPath == graphSPPath || path == graphSPPath) && r.Method == http.MethodGet:
		s.graphServicePrincipal(w, r, caller)
	case spPath.MatchString(path):
		m := spPath.FindStringSubmatch(path)
		switch {
		case m[2] == "appRoleAssignments" && r.Method == http.MethodGet:
			s.listAssignments(w, r, caller, m[1])
		case m[2] == "appRoleAssignedTo" && r.Method == http.MethodPost:
			s.assignRole(w, r, caller, m[1])
		default:
			graphError(w, s.opts.Now(), http.StatusMethodNotAllowed, "Request_BadRequest", "The request method is not supported for this resource.")
		}
	default:
		return false
	}
	return true
}

func (s *Server) readBody(w http.ResponseWriter, r *http.Request, v any) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxGraphBody)
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		graphError(w, s.opts.Now(), http.StatusBadRequest, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
		return false
	}
	return true
}

func (s *Server) denied(w http.ResponseWriter) {
	graphError(w, s.opts.Now(), http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
}

func (s *Server) createApplication(w http.ResponseWriter, r *http.Request, caller graphCaller) {
	if !caller.has("Application.ReadWrite.All") {
		s.denied(w)
		return
	}
	var body struct {
		DisplayName            string   `json:"displayName"`
		SignInAudience         string   `json:"signInAudience"`
		Tags                   []string `json:"tags"`
		RequiredResourceAccess []struct {
			ResourceAppID  string   `json:"resourceAppId"`
			ResourceAccess []Access `json:"resourceAccess"`
		} `json:"requiredResourceAccess"`
		PasswordCredentials []json.RawMessage `json:"passwordCredentials"`
	}
	if !s.readBody(w, r, &body) {
		return
	}
	now := s.opts.Now()
	switch {
	case strings.TrimSpace(body.DisplayName) == "":
		graphError(w, now, http.StatusBadRequest, "Request_BadRequest", "Property 'displayName' is required.")
		return
	case len(body.PasswordCredentials) > 0:
		graphError(w, now, http.StatusBadRequest, "Request_BadRequest", "Adding passwordCredential when creating applications is not supported. Use the addPassword method.")
		return
	}
	app := App{AppID: newID(), ObjectID: newID(), DisplayName: body.DisplayName, Tags: body.Tags}
	for _, rra := range body.RequiredResourceAccess {
		if rra.ResourceAppID != GraphAppID {
			continue
		}
		if msg := checkAccess(rra.ResourceAccess); msg != "" {
			graphError(w, now, http.StatusBadRequest, "Request_BadRequest", msg)
			return
		}
		app.Required = append(app.Required, rra.ResourceAccess...)
	}
	s.mu.Lock()
	t := s.tenantByID(caller.tenant)
	if t != nil {
		t.Apps = append(t.Apps, app)
	}
	s.mu.Unlock()
	if t == nil {
		s.denied(w)
		return
	}
	writeGraph(w, http.StatusCreated, applicationJSON(app))
}

// checkAccess refuses a resourceAccess entry that Graph does not have.
func checkAccess(acc []Access) string {
	for _, a := range acc {
		ok := false
		for _, r := range GraphAppRoles {
			ok = ok || (a.Type == "Role" && a.ID == r.ID) || (a.Type == "Scope" && a.ID == r.ScopeID)
		}
		if !ok {
			return "Invalid value specified for property 'resourceAccess' of resource 'Application': " + a.ID + " (" + a.Type + ")."
		}
	}
	return ""
}

func (s *Server) appByObjectIDLocked(tenant, id string) *App {
	t := s.tenantByID(tenant)
	if t == nil {
		return nil
	}
	for i := range t.Apps {
		if t.Apps[i].ObjectID == id {
			return &t.Apps[i]
		}
	}
	return nil
}

func (s *Server) patchApplication(w http.ResponseWriter, r *http.Request, caller graphCaller, id string) {
	if !caller.has("Application.ReadWrite.All") {
		s.denied(w)
		return
	}
	var body struct {
		RequiredResourceAccess []struct {
			ResourceAppID  string   `json:"resourceAppId"`
			ResourceAccess []Access `json:"resourceAccess"`
		} `json:"requiredResourceAccess"`
	}
	if !s.readBody(w, r, &body) {
		return
	}
	var required []Access
	for _, rra := range body.RequiredResourceAccess {
		if rra.ResourceAppID == GraphAppID {
			if msg := checkAccess(rra.ResourceAccess); msg != "" {
				graphError(w, s.opts.Now(), http.StatusBadRequest, "Request_BadRequest", msg)
				return
			}
			required = append(required, rra.ResourceAccess...)
		}
	}
	s.mu.Lock()
	a := s.appByObjectIDLocked(caller.tenant, id)
	if a != nil {
		a.Required = required
	}
	s.mu.Unlock()
	if a == nil {
		graphError(w, s.opts.Now(), http.StatusNotFound, "Request_ResourceNotFound", "Resource '"+id+"' does not exist or one of its queried reference-property objects are not present.")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) addPassword(w http.ResponseWriter, r *http.Request, caller graphCaller, id string) {
	if !caller.has("Application.ReadWrite.All") {
		s.denied(w)
		return
	}
	var body struct {
		PasswordCredential struct {
			DisplayName string     `json:"displayName"`
			EndDateTime *time.Time `json:"endDateTime"`
		} `json:"passwordCredential"`
	}
	if !s.readBody(w, r, &body) {
		return
	}
	now := s.opts.Now()
	end := now.AddDate(2, 0, 0)
	if e := body.PasswordCredential.EndDateTime; e != nil {
		if !e.After(now) {
			graphError(w, now, http.StatusBadRequest, "Request_BadRequest", "Invalid value specified for property 'endDateTime' of resource 'PasswordCredential'.")
			return
		}
		end = *e
	}
	sec := Secret{KeyID: newID(), DisplayName: body.PasswordCredential.DisplayName, Value: newSecretText(), Start: now, End: end}
	s.mu.Lock()
	a := s.appByObjectIDLocked(caller.tenant, id)
	if a != nil {
		a.Secrets = append(a.Secrets, sec)
	}
	s.mu.Unlock()
	if a == nil {
		graphError(w, now, http.StatusNotFound, "Request_ResourceNotFound", "Resource '"+id+"' does not exist or one of its queried reference-property objects are not present.")
		return
	}
	writeGraph(w, http.StatusOK, map[string]any{"customKeyIdentifier": nil, "displayName": sec.DisplayName, "endDateTime": sec.End.UTC().Format(time.RFC3339Nano),
		"hint": sec.Hint(), "keyId": sec.KeyID, "secretText": sec.Value, "startDateTime": sec.Start.UTC().Format(time.RFC3339Nano)})
}

// newSecretText is a 40-character secret like Entra's (three characters,
// "8Q~", then 37 more).
func newSecretText() string {
	id := strings.ReplaceAll(newID()+newID(), "-", "")
	return id[:3] + "8Q~" + id[3:37]
}

func servicePrincipalJSON(a App) map[string]any {
	return map[string]any{"id": a.SPID, "appId": a.AppID, "displayName": a.DisplayName, "accountEnabled": true,
		"appRoleAssignmentRequired": false, "servicePrincipalNames": []string{a.AppID}, "passwordCredentials": []any{}}
}

func (s *Server) listServicePrincipals(w http.ResponseWriter, r *http.Request, caller graphCaller) {
	if !caller.has("Application.Read.All", "Application.ReadWrite.All", "Directory.Read.All") {
		s.denied(w)
		return
	}
	m := appIDFilter.FindStringSubmatch(r.URL.Query().Get("$filter"))
	if m == nil {
		graphError(w, s.opts.Now(), http.StatusBadRequest, "Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified for property 'appId' of resource 'ServicePrincipal'.")
		return
	}
	out := []map[string]any{}
	s.mu.Lock()
	if t := s.tenantByID(caller.tenant); t != nil {
		if a := t.app(m[1]); a != nil && a.SPID != "" {
			out = append(out, servicePrincipalJSON(*a))
		}
	}
	s.mu.Unlock()
	writeGraph(w, http.StatusOK, map[string]any{"value": out})
}

func (s *Server) createServicePrincipal(w http.ResponseWriter, r *http.Request, caller graphCaller) {
	if !caller.has("Application.ReadWrite.All") {
		s.denied(w)
		return
	}
	var body struct {
		AppID string `json:"appId"`
	}
	if !s.readBody(w, r, &body) {
		return
	}
	now := s.opts.Now()
	s.mu.Lock()
	var a *App
	exists := false
	if t := s.tenantByID(caller.tenant); t != nil {
		if a = t.app(body.AppID); a != nil {
			exists = a.SPID != ""
			if !exists {
				a.SPID = newID()
			}
		}
	}
	var out map[string]any
	if a != nil {
		out = servicePrincipalJSON(*a)
	}
	s.mu.Unlock()
	switch {
	case a == nil:
		graphError(w, now, http.StatusBadRequest, "Request_BadRequest", "The appId '"+body.AppID+"' of the service principal does not reference a valid application object.")
	case exists:
		graphError(w, now, http.StatusConflict, "Request_MultipleObjectsWithSameKeyValue", "The service principal cannot be created, updated, or restored because the service principal name "+body.AppID+" is already in use.")
	default:
		writeGraph(w, http.StatusCreated, out)
	}
}

func (s *Server) graphServicePrincipal(w http.ResponseWriter, _ *http.Request, caller graphCaller) {
	if !caller.has("Application.Read.All", "Application.ReadWrite.All", "Directory.Read.All") {
		s.denied(w)
		return
	}
	roles := []map[string]any{}
	for _, r := range GraphAppRoles {
		roles = append(roles, map[string]any{"allowedMemberTypes": []string{"Application"}, "id": r.ID, "isEnabled": true, "origin": "Application", "value": r.Value})
	}
	writeGraph(w, http.StatusOK, map[string]any{"id": GraphSPID, "appId": GraphAppID, "displayName": "Microsoft Graph", "appRoles": roles})
}

func (s *Server) spLocked(tenant, spID string) *App {
	t := s.tenantByID(tenant)
	if t == nil {
		return nil
	}
	for i := range t.Apps {
		if t.Apps[i].SPID == spID && spID != "" {
			return &t.Apps[i]
		}
	}
	return nil
}

func assignmentJSON(a App, x Assignment) map[string]any {
	role, _ := RoleByValue(x.Role)
	return map[string]any{"id": x.ID, "appRoleId": role.ID, "createdDateTime": x.Created.UTC().Format(time.RFC3339Nano), "principalDisplayName": a.DisplayName,
		"principalId": a.SPID, "principalType": "ServicePrincipal", "resourceDisplayName": "Microsoft Graph", "resourceId": GraphSPID}
}

func (s *Server) listAssignments(w http.ResponseWriter, _ *http.Request, caller graphCaller, spID string) {
	if !caller.has("Application.Read.All", "Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All", "Directory.Read.All") {
		s.denied(w)
		return
	}
	s.mu.Lock()
	a := s.spLocked(caller.tenant, spID)
	out := []map[string]any{}
	if a != nil {
		for _, x := range a.Assigned {
			out = append(out, assignmentJSON(*a, x))
		}
	}
	s.mu.Unlock()
	if a == nil {
		graphError(w, s.opts.Now(), http.StatusNotFound, "Request_ResourceNotFound", "Resource '"+spID+"' does not exist or one of its queried reference-property objects are not present.")
		return
	}
	writeGraph(w, http.StatusOK, map[string]any{"value": out})
}

func (s *Server) assignRole(w http.ResponseWriter, r *http.Request, caller graphCaller, resourceID string) {
	if !caller.has("AppRoleAssignment.ReadWrite.All") {
		s.denied(w)
		return
	}
	var body struct {
		PrincipalID string `json:"principalId"`
		ResourceID  string `json:"resourceId"`
		AppRoleID   string `json:"appRoleId"`
	}
	if !s.readBody(w, r, &body) {
		return
	}
	now := s.opts.Now()
	role, ok := RoleByID(body.AppRoleID)
	switch {
	case resourceID != GraphSPID || body.ResourceID != GraphSPID:
		graphError(w, now, http.StatusBadRequest, "Request_BadRequest", "Invalid value specified for property 'resourceId' of resource 'AppRoleAssignment'.")
		return
	case !ok:
		graphError(w, now, http.StatusBadRequest, "Request_BadRequest", "Permission being assigned was not found on application '"+GraphAppID+"'.")
		return
	}
	s.mu.Lock()
	a := s.spLocked(caller.tenant, body.PrincipalID)
	dup := a != nil && slices.ContainsFunc(a.Assigned, func(x Assignment) bool { return x.Role == role.Value })
	var x Assignment
	if a != nil && !dup {
		x = Assignment{ID: newID(), Role: role.Value, Created: now}
		a.Assigned = append(a.Assigned, x)
	}
	var out map[string]any
	if a != nil && !dup {
		out = assignmentJSON(*a, x)
	}
	s.mu.Unlock()
	switch {
	case a == nil:
		graphError(w, now, http.StatusNotFound, "Request_ResourceNotFound", "Resource '"+body.PrincipalID+"' does not exist or one of its queried reference-property objects are not present.")
	case dup:
		graphError(w, now, http.StatusBadRequest, "Request_BadRequest", "Permission being assigned already exists on the object.")
	default:
		writeGraph(w, http.StatusCreated, out)
	}
}
