package entratest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/tetherdev/tether/flows/oauthtest"
)

// codeLifetime is how long an authorization code lives (Entra: about 10
// minutes, AADSTS70008 after).
const codeLifetime = 10 * time.Minute

// authRequest is a pending sign-in, then an issued code.
type authRequest struct {
	tenant, clientID, redirectURI, state, challenge, method string
	scopes                                                  []string
	expires                                                 time.Time
}

var signInPage = template.Must(template.New("signin").Parse(`<!doctype html>
<html><head><title>Sign in to your account</title></head><body>
<h1>Permissions requested</h1>
<p>Microsoft Graph Command Line Tools wants to: {{range .Scopes}}{{.}} {{end}}</p>
<form method="post" action="/{{.Tenant}}/oauth2/v2.0/authorize/decide">
<input type="hidden" name="request" value="{{.Request}}">
<button name="decision" value="approve">Accept</button> <button name="decision" value="deny">Cancel</button>
</form></body></html>`))

// authorize is the v2.0 authorization endpoint for the public client
// the admin signs in to (auth code with PKCE, §1.5): Conditional Access
// that blocks the device code flow lets the browser sign-in through.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	t := s.tenantLocked(r.Host, r.PathValue("tenant"))
	s.mu.Unlock()
	switch {
	case t == nil:
		errorPage(w, "90002", "Tenant '"+r.PathValue("tenant")+"' not found.")
		return
	case q.Get("client_id") != GraphCLIClientID:
		errorPage(w, "700016", "Application with identifier '"+q.Get("client_id")+"' was not found in the directory '"+t.ID+"'.")
		return
	case !redirectAllowed([]string{"http://localhost"}, q.Get("redirect_uri")):
		errorPage(w, "50011", "The redirect URI '"+q.Get("redirect_uri")+"' specified in the request does not match the redirect URIs configured for the application '"+GraphCLIClientID+"'.")
		return
	}
	redirectErr := func(code string, n, desc string) {
		redirect(w, r, q.Get("redirect_uri"), url.Values{"error": {code}, "error_description": {"AADSTS" + n + ": " + desc}, "state": {q.Get("state")}})
	}
	method := q.Get("code_challenge_method")
	switch {
	case q.Get("response_type") != "code":
		redirectErr("unsupported_response_type", "700054", "response_type 'code' is the only one this app may use.")
		return
	case q.Get("scope") == "":
		redirectErr("invalid_request", "900144", "The request body must contain the following parameter: 'scope'.")
		return
	case q.Get("code_challenge") == "" || (method != "S256" && method != "plain" && method != ""):
		redirectErr("invalid_request", "9002325", "Proof Key for Code Exchange is required for cross-origin authorization code redemption.")
		return
	}
	if method == "" {
		method = "plain"
	}
	id := newID()
	s.mu.Lock()
	s.auths[id] = authRequest{tenant: t.ID, clientID: GraphCLIClientID, redirectURI: q.Get("redirect_uri"), state: q.Get("state"),
		challenge: q.Get("code_challenge"), method: method, scopes: strings.Fields(q.Get("scope")), expires: s.opts.Now().Add(codeLifetime)}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = signInPage.Execute(w, map[string]any{"Tenant": t.ID, "Scopes": strings.Fields(q.Get("scope")), "Request": id})
}

// authorizeDecide takes the admin's answer and redirects with a code or
// the refusal.
func (s *Server) authorizeDecide(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		errorPage(w, "9002313", "Invalid request. Request is malformed or invalid.")
		return
	}
	now := s.opts.Now()
	s.mu.Lock()
	req, ok := s.auths[r.PostForm.Get("request")]
	delete(s.auths, r.PostForm.Get("request"))
	s.mu.Unlock()
	if !ok || !now.Before(req.expires) {
		errorPage(w, "50058", "The sign-in request is unknown, expired or already answered.")
		return
	}
	if r.PostForm.Get("decision") != "approve" {
		redirect(w, r, req.redirectURI, url.Values{"error": {"access_denied"},
			"error_description": {"AADSTS65004: User declined to consent to access the app."}, "state": {req.state}})
		return
	}
	code := newID() + newID()
	req.expires = now.Add(codeLifetime)
	s.mu.Lock()
	s.codes[code] = req
	s.mu.Unlock()
	redirect(w, r, req.redirectURI, url.Values{"code": {code}, "state": {req.state}})
}

// redeemCode is the authorization_code grant: single use, the same
// client and redirect URI, and the PKCE verifier (§1.5).
func (s *Server) redeemCode(w http.ResponseWriter, t Tenant, p url.Values, now time.Time) {
	s.mu.Lock()
	req, ok := s.codes[p.Get("code")]
	delete(s.codes, p.Get("code"))
	s.mu.Unlock()
	switch {
	case !ok:
		aadError(w, now, http.StatusBadRequest, "invalid_grant", 54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.")
		return
	case !now.Before(req.expires):
		aadError(w, now, http.StatusBadRequest, "invalid_grant", 70008, "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.")
		return
	case req.tenant != t.ID || req.clientID != p.Get("client_id") || req.redirectURI != p.Get("redirect_uri"):
		aadError(w, now, http.StatusBadRequest, "invalid_grant", 9002313, "Invalid request. The code was issued to another client, tenant or redirect URI.")
		return
	}
	verifier := p.Get("code_verifier")
	want := verifier
	if req.method == "S256" {
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	if verifier == "" || subtle.ConstantTimeCompare([]byte(want), []byte(req.challenge)) != 1 {
		aadError(w, now, http.StatusBadRequest, "invalid_grant", 501481, "The Code_Verifier does not match the code_challenge supplied in the authorization request.")
		return
	}
	s.delegatedToken(w, t, req.clientID, req.scopes, now)
}

// delegatedToken answers with the admin's delegated Graph token.
func (s *Server) delegatedToken(w http.ResponseWriter, t Tenant, clientID string, scopes []string, now time.Time) {
	cloud := cloudByID(t.Cloud)
	var scp []string
	for _, sc := range scopes {
		if v, ok := strings.CutPrefix(sc, "https://"+cloud.Graph+"/"); ok {
			scp = append(scp, v)
		}
	}
	tok, err := s.tokens.Mint(accessClaims{
		Claims: jwt.Claims{Issuer: cloud.Issuer + t.ID + "/", Subject: "admin-0001", Audience: jwt.Audience{"https://" + cloud.Graph},
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(tokenLifetime))},
		AppID: clientID, IDType: "user", OID: "0a1b2c3d-0000-4000-8000-00000000ad01", Scp: strings.Join(scp, " "), TenantID: t.ID, UPN: DemoAdmin, Version: "1.0",
	})
	if err != nil {
		aadError(w, now, http.StatusInternalServerError, "server_error", 90100, "An internal error has occurred.")
		return
	}
	oauthtest.NoStore(w.Header())
	oauthtest.WriteJSON(w, http.StatusOK, map[string]any{"token_type": "Bearer", "scope": strings.Join(scp, " "),
		"expires_in": int(tokenLifetime.Seconds()), "ext_expires_in": int(tokenLifetime.Seconds()), "access_token": tok})
}
