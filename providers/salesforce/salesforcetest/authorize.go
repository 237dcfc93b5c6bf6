package salesforcetest

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// codeLifetime is how long an authorization code lives (Salesforce: 15
// minutes).
const codeLifetime = 15 * time.Minute

// pending is an authorization request awaiting the user's decision, or
// an issued code awaiting redemption.
type pending struct {
	orgID, appKey, userID string
	redirectURI, state    string
	challenge             string
	scopes                []string
	expires               time.Time
}

// refreshGrant is what a refresh token stands for. Refresh tokens are
// kept by their SHA-256 only, so that a saved state holds no secret.
type refreshGrant struct {
	OrgID  string   `json:"org_id"`
	AppKey string   `json:"app"`
	UserID string   `json:"user_id"`
	Scopes []string `json:"scopes"`
}

func digest(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

var consentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html><head><title>Allow Access?</title></head><body>
<h1>Allow Access?</h1>
<p>{{.App}} is asking to: {{range .Scopes}}{{.}} {{end}}</p>
<p>Signed in as {{.User}}</p>
<form method="post" action="/services/oauth2/authorize/decision"><input type="hidden" name="request" value="{{.Request}}"><button name="decision" value="approve">Allow</button><button name="decision" value="deny">Deny</button></form>
</body></html>`))

// errorPage answers an authorization request that cannot redirect (an
// unknown consumer key, a callback URL that does not match): Salesforce
// shows the error on its own page.
func errorPage(w http.ResponseWriter, code, desc string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	_ = template.Must(template.New("e").Parse(`<!doctype html><html><body><p>error={{.C}}&amp;error_description={{.D}}</p></body></html>`)).
		Execute(w, map[string]string{"C": code, "D": desc})
}

func redirectError(w http.ResponseWriter, r *http.Request, redirectURI, state, code, desc string) {
	q := url.Values{"error": {code}, "error_description": {desc}}
	if state != "" {
		q.Set("state", state)
	}
	http.Redirect(w, r, redirectURI+"?"+q.Encode(), http.StatusFound)
}

// authorize starts the web server flow (§3.3): the consumer key of an app
// of the org reached, a callback URL registered exactly, response_type
// code, and a PKCE S256 challenge, which External Client Apps require.
// The org's browser user then decides on the consent page.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	org, app := s.appByKeyLocked(r, q.Get("client_id"))
	if app == nil {
		errorPage(w, "invalid_client_id", "client identifier invalid")
		return
	}
	redirectURI, state := q.Get("redirect_uri"), q.Get("state")
	if !slices.Contains(app.CallbackURLs, redirectURI) {
		errorPage(w, "redirect_uri_mismatch", "redirect_uri must match configuration")
		return
	}
	if q.Get("response_type") != "code" {
		redirectError(w, r, redirectURI, state, "unsupported_response_type", "response type not supported")
		return
	}
	if q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256" {
		redirectError(w, r, redirectURI, state, "invalid_request", "missing required code challenge")
		return
	}
	u := org.browserUser()
	if u == nil {
		errorPage(w, "invalid_request", "no user is signed in")
		return
	}
	if !u.permitted(*app) {
		redirectError(w, r, redirectURI, state, "invalid_app_access", "user is not admin approved to access this app")
		return
	}
	var scopes []string
	for _, sc := range strings.Fields(q.Get("scope")) {
		if slices.Contains(app.Scopes, sc) && !slices.Contains(scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	id := rand.Text()
	s.pending[id] = pending{orgID: org.ID, appKey: app.ConsumerKey, userID: u.ID, redirectURI: redirectURI, state: state,
		challenge: q.Get("code_challenge"), scopes: scopes, expires: s.opts.Now().Add(codeLifetime)}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = consentPage.Execute(w, map[string]any{"App": app.Name, "Scopes": scopes, "User": u.Username, "Request": id})
}

// decide takes the user's decision on the consent page.
func (s *Server) decide(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		errorPage(w, "invalid_request", "invalid request")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.PostForm.Get("request")
	p, ok := s.pending[id]
	delete(s.pending, id)
	if !ok || s.opts.Now().After(p.expires) {
		errorPage(w, "invalid_request", "the request expired; start the sign-in again")
		return
	}
	if r.PostForm.Get("decision") != "approve" {
		redirectError(w, r, p.redirectURI, p.state, "access_denied", "end-user denied authorization")
		return
	}
	code := "aPrx" + rand.Text() + rand.Text() + "=="
	s.codes[code] = p
	q := url.Values{"code": {code}}
	if p.state != "" {
		q.Set("state", p.state)
	}
	http.Redirect(w, r, p.redirectURI+"?"+q.Encode(), http.StatusFound)
}

// verifierPattern is what Salesforce accepts of a code_verifier: base64url
// characters only ("invalid code verifier" for a ~, §3.3).
var verifierPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{43,128}$`)

// authorizationCode redeems a code (§3.3): once, before it expires, by the
// app it was issued to, with the same callback URL and the PKCE verifier,
// and the consumer secret when the app requires one.
func (s *Server) authorizationCode(w http.ResponseWriter, r *http.Request, p url.Values) {
	s.mu.Lock()
	defer s.mu.Unlock()
	code := p.Get("code")
	c, ok := s.codes[code]
	delete(s.codes, code)
	org, app := s.appByKeyLocked(r, p.Get("client_id"))
	switch {
	case app == nil:
		oauthError(w, http.StatusBadRequest, "invalid_client_id", "client identifier invalid")
		return
	case app.RequireSecret && subtle.ConstantTimeCompare([]byte(p.Get("client_secret")), []byte(app.ConsumerSecret)) != 1:
		oauthError(w, http.StatusBadRequest, "invalid_client", "invalid client credentials")
		return
	case !ok || c.appKey != app.ConsumerKey || c.orgID != org.ID || s.opts.Now().After(c.expires):
		oauthError(w, http.StatusBadRequest, "invalid_grant", "expired authorization code")
		return
	case p.Get("redirect_uri") != c.redirectURI:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri must match configuration")
		return
	case !verifierPattern.MatchString(p.Get("code_verifier")) || !challengeMatches(p.Get("code_verifier"), c.challenge):
		oauthError(w, http.StatusBadRequest, "invalid_grant", "invalid code verifier")
		return
	}
	i := slices.IndexFunc(org.Users, func(u User) bool { return u.ID == c.userID })
	if i < 0 || org.Users[i].Inactive {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "authentication failure")
		return
	}
	refresh := ""
	if slices.Contains(c.scopes, "refresh_token") || slices.Contains(c.scopes, "offline_access") {
		refresh = s.newRefreshLocked(refreshGrant{OrgID: org.ID, AppKey: app.ConsumerKey, UserID: c.userID, Scopes: c.scopes})
	}
	s.issueLocked(w, r, *org, *app, org.Users[i], c.scopes, refresh)
}

func challengeMatches(verifier, challenge string) bool {
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) == 1
}

func (s *Server) newRefreshLocked(g refreshGrant) string {
	rt := g.OrgID[:15] + "!" + "5Aep861" + rand.Text() + rand.Text()
	s.refresh[digest(rt)] = g
	return rt
}

// refreshToken answers the refresh grant: a refresh token this app
// issued and not revoked, for scopes the app still has. With Refresh
// Token Rotation on, a new refresh token replaces the one used, which is
// refused from then on.
func (s *Server) refreshToken(w http.ResponseWriter, r *http.Request, p url.Values) {
	s.mu.Lock()
	defer s.mu.Unlock()
	org, app := s.appByKeyLocked(r, p.Get("client_id"))
	if app == nil {
		oauthError(w, http.StatusBadRequest, "invalid_client_id", "client identifier invalid")
		return
	}
	if app.RequireSecretForRefresh && subtle.ConstantTimeCompare([]byte(p.Get("client_secret")), []byte(app.ConsumerSecret)) != 1 {
		oauthError(w, http.StatusBadRequest, "invalid_client", "invalid client credentials")
		return
	}
	d := digest(p.Get("refresh_token"))
	g, ok := s.refresh[d]
	if !ok || g.AppKey != app.ConsumerKey || g.OrgID != org.ID {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "expired access/refresh token")
		return
	}
	i := slices.IndexFunc(org.Users, func(u User) bool { return u.ID == g.UserID })
	if i < 0 || org.Users[i].Inactive || !org.Users[i].permitted(*app) {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "expired access/refresh token")
		return
	}
	scopes := slices.DeleteFunc(slices.Clone(g.Scopes), func(sc string) bool { return !slices.Contains(app.Scopes, sc) })
	rotated := ""
	if app.RotateRefreshTokens {
		delete(s.refresh, d)
		rotated = s.newRefreshLocked(g)
	}
	s.issueLocked(w, r, *org, *app, org.Users[i], scopes, rotated)
}

// RevokeRefreshTokens revokes every refresh token of an app, as an admin
// does under Connected Apps OAuth Usage → Revoke.
func (s *Server) RevokeRefreshTokens(consumerKey string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for d, g := range s.refresh {
		if g.AppKey == consumerKey {
			delete(s.refresh, d)
		}
	}
}

// RefreshGrants returns the live refresh tokens by their SHA-256 (hex),
// for the sandbox to keep between commands; no token itself is part of
// them.
func (s *Server) RefreshGrants() map[string]refreshGrant {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]refreshGrant, len(s.refresh))
	for d, g := range s.refresh {
		g.Scopes = slices.Clone(g.Scopes)
		out[d] = g
	}
	return out
}

var digestPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// RestoreRefreshGrants replaces the live refresh tokens with ones
// RefreshGrants returned, validating each: a digest, and an org, app and
// user the emulator has.
func (s *Server) RestoreRefreshGrants(grants map[string]refreshGrant) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for d, g := range grants {
		if !digestPattern.MatchString(d) {
			return fmt.Errorf("%q is not a refresh token digest", d)
		}
		if s.appLocked(g.OrgID, g.AppKey) == nil {
			return fmt.Errorf("refresh token %s…: no app %q in org %q", d[:8], g.AppKey, g.OrgID)
		}
		if len(g.Scopes) > 50 {
			return fmt.Errorf("refresh token %s…: %d scopes", d[:8], len(g.Scopes))
		}
		for _, sc := range g.Scopes {
			if !scopePattern.MatchString(sc) {
				return fmt.Errorf("refresh token %s…: %q is not a scope", d[:8], sc)
			}
		}
	}
	s.refresh = make(map[string]refreshGrant, len(grants))
	for d, g := range grants {
		s.refresh[d] = g
	}
	return nil
}
