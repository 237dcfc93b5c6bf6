package oauthtest

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

type consentRequest struct {
	client      Client
	redirectURI string
	state       string
	scopes      []string
	v1          bool
	expires     time.Time
}

// adminConsent emulates Microsoft Entra's admin consent endpoints,
// /{tenant}/v2.0/adminconsent and v1's /{tenant}/adminconsent
// (shared/providers/entra-google-salesforce.md §1.3). As Entra, it
// ignores the port of a localhost or loopback redirect URI.
func (s *Server) adminConsent(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v1 := !strings.Contains(r.URL.Path, "/v2.0/")
	c, ok := s.client(q.Get("client_id"))
	if !ok {
		errorPage(w, http.StatusBadRequest, "Unknown application",
			"AADSTS700016: Application with identifier '"+q.Get("client_id")+"' was not found in the directory.")
		return
	}
	redirect := q.Get("redirect_uri")
	if redirect == "" || !allowedRedirect(c, redirect, true) {
		errorPage(w, http.StatusBadRequest, "Redirect URI mismatch",
			"AADSTS50011: The redirect URI specified in the request does not match the redirect URIs configured for the application.")
		return
	}
	tenant := r.PathValue("tenant")
	scopes := strings.Fields(q.Get("scope"))
	switch {
	case !v1 && tenant == "common":
		errorPage(w, http.StatusBadRequest, "Invalid tenant", "The v2.0 admin consent endpoint does not accept the tenant 'common'.")
		return
	case !v1 && len(scopes) == 0:
		redirectTo(w, r, redirect, url.Values{"error": {"invalid_request"},
			"error_description": {"AADSTS900144: The request body must contain the following parameter: 'scope'."},
			"state":             {q.Get("state")}})
		return
	}
	id := rand32()
	s.mu.Lock()
	s.consents[id] = consentRequest{client: c, redirectURI: redirect, state: q.Get("state"), scopes: scopes, v1: v1,
		expires: s.opts.Now().Add(10 * time.Minute)}
	s.mu.Unlock()
	name := c.Name
	if name == "" {
		name = c.ID
	}
	renderPage(w, http.StatusOK, "consent", pageData{
		Title: "Permissions requested", Client: name, Scopes: scopes, Admin: true,
		Action: "/adminconsent", Hidden: map[string]string{"request": id},
	})
}

func (s *Server) adminConsentDecide(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		errorPage(w, http.StatusBadRequest, "Invalid request", "The form does not parse.")
		return
	}
	id := r.PostForm.Get("request")
	s.mu.Lock()
	req, ok := s.consents[id]
	delete(s.consents, id)
	s.mu.Unlock()
	if !ok || !s.opts.Now().Before(req.expires) {
		errorPage(w, http.StatusBadRequest, "Request expired", "This consent request is unknown, expired or already answered.")
		return
	}
	if r.PostForm.Get("decision") != "approve" {
		// The real cancel redirect (MicrosoftDocs/azure-docs#114009).
		redirectTo(w, r, req.redirectURI, url.Values{
			"error":             {"access_denied"},
			"error_description": {"AADSTS65004: User declined to consent to access the app.\r\nTrace ID: 00000000-0000-0000-0000-000000000000\r\nCorrelation ID: 00000000-0000-0000-0000-000000000000\r\nTimestamp: " + s.opts.Now().UTC().Format("2006-01-02 15:04:05Z")},
			"error_uri":         {"https://login.microsoftonline.com/error?code=65004"},
			"admin_consent":     {"True"},
			"state":             {req.state},
		})
		return
	}
	s.mu.Lock()
	s.consented[req.client.ID] = req.scopes
	s.mu.Unlock()
	params := url.Values{"admin_consent": {"True"}, "tenant": {s.opts.TenantID}, "state": {req.state}}
	if !req.v1 {
		params.Set("scope", strings.Join(req.scopes, " "))
	}
	redirectTo(w, r, req.redirectURI, params)
}

// AdminConsented reports whether an admin consented for clientID, and to
// which scopes (none for the v1 endpoint).
func (s *Server) AdminConsented(clientID string) ([]string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc, ok := s.consented[clientID]
	return sc, ok
}
