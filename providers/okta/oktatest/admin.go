package oktatest

import (
	"crypto"
	"encoding/base32"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/tetherdev/tether/flows/oauthtest"
)

// The writes a Super Administrator makes to set up a service app (§1.8,
// the create method): the app and its keys, its okta.* grants, its admin
// roles, custom roles and resource sets, and revoking the token used.
// Only a Super Administrator may make them ("Only the Super Admin role
// has the permissions to grant scopes to an app"); anyone else gets 403
// E0000006.

// isSuper reports whether c holds an active SUPER_ADMIN assignment.
func (o Org) isSuper(c caller) bool {
	return slices.ContainsFunc(o.Assignments[c.id], func(a Assignment) bool { return isActive(a.Status) && a.Type == "SUPER_ADMIN" })
}

// write serves the writes; it reports false for a request that is none
// of them.
func (s *Server) write(w http.ResponseWriter, r *http.Request, o Org, c caller, parts []string) bool {
	route := r.Method + " " + strings.Join(parts, "/")
	switch {
	case route == "DELETE api/v1/api-tokens/current":
		if c.oauth {
			oktaError(w, http.StatusForbidden, "E0000006", "")
			return true
		}
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "SSWS ")
		_ = s.update(o.Domain, func(o *Org) error {
			o.Tokens = slices.DeleteFunc(o.Tokens, func(t APIToken) bool { return t.Value == tok })
			return nil
		})
		w.WriteHeader(http.StatusNoContent)
		return true
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		return false
	case bodiless(r.Method, parts) != "":
		if c.oauth || !o.isSuper(c) {
			oktaError(w, http.StatusForbidden, "E0000006", "")
			return true
		}
		switch bodiless(r.Method, parts) {
		case "deactivate-key":
			s.deactivateKey(w, o, parts[3], parts[6])
		case "delete-key":
			s.deleteKey(w, o, parts[3], parts[6])
		case "role-permission":
			s.addPermission(w, o, parts[4], parts[6])
		}
		return true
	case !knownWrite(r.Method, parts):
		oktaError(w, http.StatusMethodNotAllowed, "E0000022", "")
		return true
	case !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json"):
		oktaError(w, http.StatusUnsupportedMediaType, "E0000003", "The request body was not well-formed.")
		return true
	case c.oauth || !o.isSuper(c):
		oktaError(w, http.StatusForbidden, "E0000006", "")
		return true
	}
	var body map[string]any
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		oktaError(w, http.StatusBadRequest, "E0000003", "The request body was not well-formed.")
		return true
	}
	switch writeKind(r.Method, parts) {
	case "app":
		s.createApp(w, r, o, body)
	case "jwks":
		s.addKey(w, o, parts[3], body)
	case "grant":
		s.grant(w, r, o, parts[3], body)
	case "assign":
		s.assign(w, o, parts[3], body)
	case "role":
		s.createRole(w, o, body)
	case "resource-set":
		s.createResourceSet(w, o, body)
	}
	return true
}

// bodiless names the writes that take no body: a key's deactivation and
// deletion, and a permission added to a custom role; "" for none.
func bodiless(method string, parts []string) string {
	switch {
	case method == http.MethodPost && len(parts) == 9 && parts[2] == "apps" && parts[4] == "credentials" && parts[5] == "jwks" &&
		parts[7] == "lifecycle" && parts[8] == "deactivate":
		return "deactivate-key"
	case method == http.MethodDelete && len(parts) == 7 && parts[2] == "apps" && parts[4] == "credentials" && parts[5] == "jwks":
		return "delete-key"
	case method == http.MethodPost && len(parts) == 7 && parts[2] == "iam" && parts[3] == "roles" && parts[5] == "permissions":
		return "role-permission"
	}
	return ""
}

func knownWrite(method string, parts []string) bool { return writeKind(method, parts) != "" }

// writeKind names the write a request is, "" for none emulated.
func writeKind(method string, parts []string) string {
	if method != http.MethodPost {
		return ""
	}
	switch p := strings.Join(parts, "/"); {
	case p == "api/v1/apps":
		return "app"
	case len(parts) == 6 && parts[2] == "apps" && parts[4] == "credentials" && parts[5] == "jwks":
		return "jwks"
	case len(parts) == 5 && parts[2] == "apps" && parts[4] == "grants":
		return "grant"
	case len(parts) == 5 && parts[0] == "oauth2" && parts[2] == "clients" && parts[4] == "roles":
		return "assign"
	case p == "api/v1/iam/roles":
		return "role"
	case p == "api/v1/iam/resource-sets":
		return "resource-set"
	}
	return ""
}

func str(m map[string]any, path ...string) string {
	var v any = m
	for _, k := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = mm[k]
	}
	s, _ := v.(string)
	return s
}

func strs(v any) []string {
	arr, _ := v.([]any)
	var out []string
	for _, x := range arr {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func validation(w http.ResponseWriter, cause string) {
	oauthtest.WriteJSON(w, http.StatusBadRequest, map[string]any{"errorCode": "E0000001", "errorSummary": "Api validation failed: " + cause,
		"errorLink": "E0000001", "errorId": "oae" + requestID()[1:16], "errorCauses": []any{map[string]string{"errorSummary": cause}}})
}

// parseKeys reads a JWKS of public signing keys.
func parseKeys(v any) ([]any, bool) {
	arr, _ := v.([]any)
	var keys []any
	for _, k := range arr {
		b, _ := json.Marshal(k)
		var jwk jose.JSONWebKey
		if json.Unmarshal(b, &jwk) != nil || !jwk.Valid() || !jwk.IsPublic() {
			return nil, false
		}
		keys = append(keys, jwk.Key)
	}
	return keys, len(keys) > 0
}

// createApp is POST /api/v1/apps for an API Services app: OIDC, service,
// client credentials, private_key_jwt with a JWKS.
func (s *Server) createApp(w http.ResponseWriter, r *http.Request, o Org, body map[string]any) {
	oc, _ := body["settings"].(map[string]any)
	oc, _ = oc["oauthClient"].(map[string]any)
	switch {
	case str(body, "name") != "oidc_client" || str(body, "signOnMode") != "OPENID_CONNECT":
		validation(w, "name: an API Services app is an oidc_client with signOnMode OPENID_CONNECT")
		return
	case str(body, "label") == "":
		validation(w, "label: The field cannot be left blank")
		return
	case oc == nil || str(oc, "application_type") != "service" || !slices.Equal(strs(oc["grant_types"]), []string{"client_credentials"}):
		validation(w, "settings.oauthClient: a service app has application_type service and grant_types [client_credentials]")
		return
	case str(body, "credentials", "oauthClient", "token_endpoint_auth_method") != "private_key_jwt":
		validation(w, "credentials.oauthClient.token_endpoint_auth_method: must be private_key_jwt")
		return
	}
	jwks, _ := oc["jwks"].(map[string]any)
	keys, ok := parseKeys(jwks["keys"])
	if !ok {
		validation(w, "settings.oauthClient.jwks: at least one public signing key is required")
		return
	}
	id := "0oa" + strings.ToLower(requestID()[1:18])
	app := ServiceApp{ClientID: id, Label: str(body, "label")}
	for _, k := range keys {
		app.PublicKeys = append(app.PublicKeys, k)
	}
	_ = s.update(o.Domain, func(o *Org) error { o.ServiceApps = append(o.ServiceApps, app); return nil })
	oauthtest.WriteJSON(w, http.StatusOK, appJSON(r, app))
}

func appJSON(r *http.Request, a ServiceApp) map[string]any {
	return map[string]any{"id": a.ClientID, "name": "oidc_client", "label": a.Label, "status": "ACTIVE", "signOnMode": "OPENID_CONNECT",
		"credentials": map[string]any{"oauthClient": map[string]any{"client_id": a.ClientID, "token_endpoint_auth_method": "private_key_jwt"}},
		"settings":    map[string]any{"oauthClient": map[string]any{"application_type": "service", "grant_types": []string{"client_credentials"}, "dpop_bound_access_tokens": a.DPoP}},
		"_links":      map[string]any{"self": map[string]string{"href": "https://" + r.Host + "/api/v1/apps/" + a.ClientID}}}
}

// app finds a service app in the org by id, under the lock.
func (o *Org) app(id string) *ServiceApp {
	for i := range o.ServiceApps {
		if o.ServiceApps[i].ClientID == id {
			return &o.ServiceApps[i]
		}
	}
	return nil
}

func notFound(w http.ResponseWriter, what string) {
	oktaError(w, http.StatusNotFound, "E0000007", "Not found: Resource not found: "+what)
}

// addKey is POST /api/v1/apps/{id}/credentials/jwks.
func (s *Server) addKey(w http.ResponseWriter, o Org, id string, body map[string]any) {
	keys, ok := parseKeys([]any{body})
	if !ok {
		validation(w, "the body must be a public signing JWK")
		return
	}
	err := s.update(o.Domain, func(o *Org) error {
		a := o.app(id)
		if a == nil {
			return errNoOrg(id)
		}
		a.PublicKeys = append(a.PublicKeys, keys[0])
		return nil
	})
	if err != nil {
		notFound(w, id+" (App)")
		return
	}
	out := maps.Clone(body)
	out["id"], out["status"] = KeyID(keys[0]), "ACTIVE"
	oauthtest.WriteJSON(w, http.StatusCreated, out)
}

// KeyID is the id Okta gives a key of an app ("pks…"); the emulator
// derives it from the key's thumbprint, so that a key added by a test
// has one too.
func KeyID(k crypto.PublicKey) string {
	tp, err := (&jose.JSONWebKey{Key: k}).Thumbprint(crypto.SHA256)
	if err != nil {
		return ""
	}
	return "pks" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(tp))[:17]
}

// deactivateKey is POST /api/v1/apps/{id}/credentials/jwks/{keyId}/lifecycle/deactivate.
func (s *Server) deactivateKey(w http.ResponseWriter, o Org, appID, keyID string) {
	found := false
	err := s.update(o.Domain, func(o *Org) error {
		a := o.app(appID)
		if a == nil {
			return errNoOrg(appID)
		}
		if i := slices.IndexFunc(a.PublicKeys, func(k crypto.PublicKey) bool { return KeyID(k) == keyID }); i >= 0 {
			a.Inactive = append(a.Inactive, a.PublicKeys[i])
			a.PublicKeys = slices.Delete(a.PublicKeys, i, i+1)
			found = true
		} else {
			found = slices.ContainsFunc(a.Inactive, func(k crypto.PublicKey) bool { return KeyID(k) == keyID })
		}
		return nil
	})
	switch {
	case err != nil:
		notFound(w, appID+" (App)")
	case !found:
		notFound(w, keyID+" (JsonWebKey)")
	default:
		oauthtest.WriteJSON(w, http.StatusOK, map[string]any{"id": keyID, "status": "INACTIVE"})
	}
}

// deleteKey is DELETE /api/v1/apps/{id}/credentials/jwks/{keyId}: only an
// inactive key may be deleted.
func (s *Server) deleteKey(w http.ResponseWriter, o Org, appID, keyID string) {
	active, found := false, false
	err := s.update(o.Domain, func(o *Org) error {
		a := o.app(appID)
		if a == nil {
			return errNoOrg(appID)
		}
		active = slices.ContainsFunc(a.PublicKeys, func(k crypto.PublicKey) bool { return KeyID(k) == keyID })
		n := len(a.Inactive)
		a.Inactive = slices.DeleteFunc(a.Inactive, func(k crypto.PublicKey) bool { return KeyID(k) == keyID })
		found = len(a.Inactive) < n
		return nil
	})
	switch {
	case err != nil:
		notFound(w, appID+" (App)")
	case active:
		validation(w, "an active key cannot be deleted: deactivate it first")
	case !found:
		notFound(w, keyID+" (JsonWebKey)")
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

// addPermission is POST /api/v1/iam/roles/{id}/permissions/{permission}.
func (s *Server) addPermission(w http.ResponseWriter, o Org, roleID, perm string) {
	if !permPattern.MatchString(perm) {
		validation(w, "permissionType: "+perm+" is not a permission")
		return
	}
	found := false
	_ = s.update(o.Domain, func(o *Org) error {
		for i := range o.CustomRoles {
			if cr := &o.CustomRoles[i]; cr.ID == roleID || cr.Label == roleID {
				found = true
				if !slices.Contains(cr.Permissions, perm) {
					cr.Permissions = append(cr.Permissions, perm)
				}
			}
		}
		return nil
	})
	if !found {
		notFound(w, roleID+" (Role)")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// grant is POST /api/v1/apps/{id}/grants: {"scopeId","issuer"}, issuer
// the org's own URL.
func (s *Server) grant(w http.ResponseWriter, r *http.Request, o Org, id string, body map[string]any) {
	scope, iss := str(body, "scopeId"), str(body, "issuer")
	switch {
	case !strings.HasPrefix(scope, "okta."):
		validation(w, "scopeId: not an Okta API scope")
		return
	case iss != "https://"+o.Domain && !slices.ContainsFunc(o.CustomDomains, func(d string) bool { return iss == "https://"+d }):
		validation(w, "issuer: must be the org's URL")
		return
	}
	err := s.update(o.Domain, func(o *Org) error {
		a := o.app(id)
		if a == nil {
			return errNoOrg(id)
		}
		if !slices.Contains(a.Scopes, scope) {
			a.Scopes = append(a.Scopes, scope)
		}
		return nil
	})
	if err != nil {
		notFound(w, id+" (App)")
		return
	}
	oauthtest.WriteJSON(w, http.StatusCreated, grantJSON(r, id, scope, iss))
}

func grantJSON(r *http.Request, appID, scope, issuer string) map[string]any {
	return map[string]any{"id": "oag" + strings.ReplaceAll(scope, ".", "") + appID[3:], "scopeId": scope, "issuer": issuer,
		"status": "ACTIVE", "source": "ADMIN", "clientId": appID}
}

// assign is POST /oauth2/v1/clients/{id}/roles: a standard role by type,
// or a custom role bound to a resource set.
func (s *Server) assign(w http.ResponseWriter, o Org, id string, body map[string]any) {
	a := Assignment{Type: str(body, "type"), Role: str(body, "role"), ResourceSet: str(body, "resource-set")}
	if a.Type == "" {
		validation(w, "type: The field cannot be left blank")
		return
	}
	if a.Type == "CUSTOM" {
		if _, ok := o.customRole(a.Role); !ok || !slices.ContainsFunc(o.ResourceSets, func(rs ResourceSet) bool { return rs.ID == a.ResourceSet }) {
			validation(w, "role, resource-set: a custom role assignment names an existing role and resource set")
			return
		}
		a.Label = func() string { cr, _ := o.customRole(a.Role); return cr.Label }()
	} else {
		a.Label = standardLabels[a.Type]
	}
	if o.app(id) == nil {
		notFound(w, id+" (Client)")
		return
	}
	a.ID = "irb" + strings.ToLower(requestID()[1:18])
	conflict := false
	_ = s.update(o.Domain, func(o *Org) error {
		if slices.ContainsFunc(o.Assignments[id], func(x Assignment) bool { return x.Type == a.Type && x.Role == a.Role && x.ResourceSet == a.ResourceSet }) {
			conflict = true
			return nil
		}
		o.Assignments[id] = append(o.Assignments[id], a)
		return nil
	})
	if conflict {
		oktaError(w, http.StatusConflict, "E0000090", "Duplicate role assignment exception")
		return
	}
	oauthtest.WriteJSON(w, http.StatusCreated, map[string]any{"id": a.ID, "type": a.Type, "label": a.Label, "status": "ACTIVE",
		"assignmentType": "CLIENT", "role": a.Role, "resource-set": a.ResourceSet})
}

// labelled validates the body of a custom role or resource set: a label
// no other one has, a description, and a non-empty list field.
func labelled(w http.ResponseWriter, body map[string]any, field string, taken func(label string) bool) (string, []string, bool) {
	label, list := str(body, "label"), strs(body[field])
	switch {
	case label == "" || str(body, "description") == "":
		validation(w, "label, description: The fields cannot be left blank")
	case len(list) == 0:
		validation(w, field+": at least one is required")
	case taken(label):
		validation(w, "label: One with this label already exists")
	default:
		return label, list, true
	}
	return "", nil, false
}

// createRole is POST /api/v1/iam/roles.
func (s *Server) createRole(w http.ResponseWriter, o Org, body map[string]any) {
	label, perms, ok := labelled(w, body, "permissions", func(l string) bool {
		return slices.ContainsFunc(o.CustomRoles, func(c CustomRole) bool { return c.Label == l })
	})
	if !ok {
		return
	}
	cr := CustomRole{ID: "cr0" + strings.ToLower(requestID()[1:18]), Label: label, Permissions: perms}
	_ = s.update(o.Domain, func(o *Org) error { o.CustomRoles = append(o.CustomRoles, cr); return nil })
	oauthtest.WriteJSON(w, http.StatusOK, map[string]any{"id": cr.ID, "label": cr.Label, "description": str(body, "description")})
}

// createResourceSet is POST /api/v1/iam/resource-sets.
func (s *Server) createResourceSet(w http.ResponseWriter, o Org, body map[string]any) {
	label, resources, ok := labelled(w, body, "resources", func(l string) bool {
		return slices.ContainsFunc(o.ResourceSets, func(x ResourceSet) bool { return x.Label == l })
	})
	if !ok {
		return
	}
	rs := ResourceSet{ID: "iam" + strings.ToLower(requestID()[1:18]), Label: label, Resources: resources}
	_ = s.update(o.Domain, func(o *Org) error { o.ResourceSets = append(o.ResourceSets, rs); return nil })
	oauthtest.WriteJSON(w, http.StatusOK, map[string]any{"id": rs.ID, "label": rs.Label, "description": str(body, "description")})
}

// adminReads serves the GETs the create method makes besides the probes:
// the grants of an app, and the custom roles and resource sets.
func (s *Server) adminReads(w http.ResponseWriter, r *http.Request, o Org, c caller, parts []string) bool {
	p := strings.Join(parts, "/")
	switch {
	case len(parts) == 5 && parts[2] == "apps" && parts[4] == "grants":
		if !needScope(w, r, c, "okta.appGrants.read") {
			return true
		}
		if !o.seesAllRoles(c) {
			oktaError(w, http.StatusForbidden, "E0000006", "")
			return true
		}
		i := slices.IndexFunc(o.ServiceApps, func(a ServiceApp) bool { return a.ClientID == parts[3] })
		if i < 0 {
			notFound(w, parts[3]+" (App)")
			return true
		}
		out := []map[string]any{}
		for _, sc := range o.ServiceApps[i].Scopes {
			out = append(out, grantJSON(r, parts[3], sc, "https://"+o.Domain))
		}
		oauthtest.WriteJSON(w, http.StatusOK, out)
	case p == "api/v1/iam/roles" || p == "api/v1/iam/resource-sets":
		if !needScope(w, r, c, "okta.roles.read") {
			return true
		}
		if !o.seesAllRoles(c) {
			oktaError(w, http.StatusForbidden, "E0000006", "")
			return true
		}
		if p == "api/v1/iam/roles" {
			out := []map[string]any{}
			for _, cr := range o.CustomRoles {
				out = append(out, map[string]any{"id": cr.ID, "label": cr.Label})
			}
			oauthtest.WriteJSON(w, http.StatusOK, map[string]any{"roles": out, "_links": map[string]any{}})
			return true
		}
		out := []map[string]any{}
		for _, rs := range o.ResourceSets {
			out = append(out, map[string]any{"id": rs.ID, "label": rs.Label})
		}
		oauthtest.WriteJSON(w, http.StatusOK, map[string]any{"resource-sets": out, "_links": map[string]any{}})
	default:
		return false
	}
	return true
}
