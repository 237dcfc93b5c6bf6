package entratest

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/tetherdev/tether/flows/oauthtest"
)

var writeJSON = oauthtest.WriteJSON

type consentRequest struct {
	tenant, appID, redirectURI, state string
	scope                             []string
	v1                                bool
	expires                           time.Time
}

var consentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html><head><title>Permissions requested</title></head><body>
<h1>Permissions requested</h1>
<p>{{.App}} wants these application permissions in your organization ({{.Tenant}}):</p>
<ul>{{range .Roles}}<li>{{.}}</li>{{end}}</ul>
<p>Accepting grants them for the whole organization.</p>
<form method="post" action="/adminconsent/decide">
<input type="hidden" name="request" value="{{.Request}}">
<button name="decision" value="approve">Accept</button> <button name="decision" value="deny">Cancel</button>
</form></body></html>`))

func errorPage(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write([]byte("<!doctype html><title>Sign in</title><h1>Sorry, but we’re having trouble signing you in.</h1><p>" +
		template.HTMLEscapeString("AADSTS"+code+": "+msg) + "</p>"))
}

// redirectAllowed matches a registered redirect URI exactly, ignoring
// the port of a localhost one (reply-url.md, §1.5).
func redirectAllowed(registered []string, got string) bool {
	g, err := url.Parse(got)
	if err != nil {
		return false
	}
	for _, reg := range registered {
		r, err := url.Parse(reg)
		if err != nil {
			continue
		}
		if r.Scheme == g.Scheme && r.Hostname() == "localhost" && g.Hostname() == "localhost" && strings.TrimSuffix(r.Path, "/") == strings.TrimSuffix(g.Path, "/") {
			return true
		}
		if reg == got {
			return true
		}
	}
	return false
}

// adminConsent is the v2 /{tenant}/v2.0/adminconsent and v1
// /{tenant}/adminconsent page (§1.3): it shows the app's requested
// application permissions with Accept and Cancel.
func (s *Server) adminConsent(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v1 := !strings.Contains(r.URL.Path, "/v2.0/")
	tenantName := r.PathValue("tenant")
	if !v1 && tenantName == "common" {
		errorPage(w, "90130", "Application is not supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.")
		return
	}
	s.mu.Lock()
	t := s.tenantLocked(r.Host, tenantName)
	var app *App
	if t != nil {
		app = t.app(q.Get("client_id"))
	}
	var req consentRequest
	var roles []string
	var appName, tid string
	if app != nil {
		tid, appName = t.ID, app.DisplayName
		req = consentRequest{tenant: t.ID, appID: app.AppID, redirectURI: q.Get("redirect_uri"), state: q.Get("state"), v1: v1,
			scope: strings.Fields(q.Get("scope")), expires: s.opts.Now().Add(10 * time.Minute)}
		for _, a := range app.Required {
			if role, ok := RoleByID(a.ID); ok && a.Type == "Role" {
				roles = append(roles, role.Value)
			}
		}
	}
	registered := []string(nil)
	if app != nil {
		registered = slices.Clone(app.RedirectURIs)
	}
	s.mu.Unlock()
	switch {
	case t == nil:
		errorPage(w, "90002", "Tenant '"+tenantName+"' not found.")
		return
	case app == nil:
		errorPage(w, "700016", "Application with identifier '"+q.Get("client_id")+"' was not found in the directory '"+tenantName+"'.")
		return
	case req.redirectURI == "" || !redirectAllowed(registered, req.redirectURI):
		errorPage(w, "50011", "The redirect URI '"+req.redirectURI+"' specified in the request does not match the redirect URIs configured for the application '"+req.appID+"'.")
		return
	case !v1 && len(req.scope) == 0:
		redirect(w, r, req.redirectURI, url.Values{"error": {"invalid_request"}, "admin_consent": {"True"},
			"error_description": {"AADSTS900144: The request body must contain the following parameter: 'scope'."}, "state": {req.state}})
		return
	case !v1 && (len(req.scope) != 1 || req.scope[0] != "https://"+cloudByID(t.Cloud).Graph+"/.default"):
		redirect(w, r, req.redirectURI, url.Values{"error": {"invalid_request"}, "admin_consent": {"True"},
			"error_description": {"AADSTS70011: The provided value for the input parameter 'scope' is not valid. Application permissions are requested with " + "https://" + cloudByID(t.Cloud).Graph + "/.default."}, "state": {req.state}})
		return
	}
	id := newID()
	s.mu.Lock()
	s.consents[id] = req
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = consentPage.Execute(w, map[string]any{"App": appName, "Tenant": tid, "Roles": roles, "Request": id})
}

// adminConsentDecide takes the admin's answer: Accept assigns every
// application permission the app requests (less what Withhold names) and
// redirects with admin_consent=True; Cancel redirects with the real
// AADSTS65004 refusal.
func (s *Server) adminConsentDecide(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		errorPage(w, "9002313", "Invalid request. Request is malformed or invalid.")
		return
	}
	now := s.opts.Now()
	id := r.PostForm.Get("request")
	s.mu.Lock()
	req, ok := s.consents[id]
	delete(s.consents, id)
	s.mu.Unlock()
	if !ok || !now.Before(req.expires) {
		errorPage(w, "50058", "The consent request is unknown, expired or already answered.")
		return
	}
	ts := now.UTC().Format("2006-01-02 15:04:05Z")
	if r.PostForm.Get("decision") != "approve" {
		redirect(w, r, req.redirectURI, url.Values{
			"error":             {"access_denied"},
			"error_description": {"AADSTS65004: User declined to consent to access the app.\r\nTrace ID: " + newID() + "\r\nCorrelation ID: " + newID() + "\r\nTimestamp: " + ts},
			"error_uri":         {"https://login.microsoftonline.com/error?code=65004"},
			"admin_consent":     {"True"},
			"state":             {req.state},
		})
		return
	}
	s.mu.Lock()
	if t := s.tenantByID(req.tenant); t != nil {
		if a := t.app(req.appID); a != nil {
			for _, acc := range a.Required {
				role, ok := RoleByID(acc.ID)
				if !ok || acc.Type != "Role" || slices.Contains(s.withheld, role.Value) ||
					slices.ContainsFunc(a.Assigned, func(x Assignment) bool { return x.Role == role.Value }) {
					continue
				}
				a.Assigned = append(a.Assigned, Assignment{ID: newID(), Role: role.Value, Created: now})
			}
		}
	}
	s.mu.Unlock()
	params := url.Values{"admin_consent": {"True"}, "tenant": {req.tenant}, "state": {req.state}}
	if !req.v1 {
		params.Set("scope", strings.Join(req.scope, " "))
	}
	redirect(w, r, req.redirectURI, params)
}

func redirect(w http.ResponseWriter, r *http.Request, target string, params url.Values) {
	u, err := url.Parse(target)
	if err != nil {
		errorPage(w, "50011", "The redirect URI does not parse.")
		return
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}
