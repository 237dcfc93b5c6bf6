package googletest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// OAuthClient is an OAuth client of type Desktop app ("installed") in the
// customer's Cloud project.
type OAuthClient struct {
	ID, Secret, Name string
}

// The installed-app flow's limits (§2.5).
const (
	codeLifetime    = 10 * time.Minute
	consentLifetime = 10 * time.Minute
)

var (
	challengePattern = regexp.MustCompile(`^[A-Za-z0-9_~.-]{43,128}$`)
)

type consentRequest struct {
	client                     OAuthClient
	redirect, state, challenge string
	method, hint               string
	scopes                     []string
	offline, includeGranted    bool
	expires                    time.Time
}

type authCode struct {
	clientID, redirect, challenge, method string
	subject                               string // the account that consented
	scopes                                []string
	offline                               bool
	expires                               time.Time
}

// refreshGrant is what a refresh token stands for. Refresh tokens are
// kept by their SHA-256 only, so that the saved state holds no secret.
type refreshGrant struct {
	ClientID string   `json:"client_id"`
	Subject  string   `json:"subject"`
	Scopes   []string `json:"scopes"`
	Revoked  bool     `json:"revoked,omitempty"`
}

// tokenHash is how a refresh token is kept.
func tokenHash(t string) string {
	sum := sha256.Sum256([]byte(t))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// consentState is the installed-app flow's server side.
type consentState struct {
	requests map[string]consentRequest
	codes    map[string]authCode
	refresh  map[string]*refreshGrant
	// granted is what the admin granted each client so far, for
	// include_granted_scopes.
	granted map[string][]string
	// unticked are the scopes the admin unticks on the consent screen.
	unticked []string
	// account, when set, is the account that consents whatever the
	// login_hint, as when another account is signed in to the browser.
	account string
	// withheld are dropped from every token issued to an installed app,
	// as when the admin has since removed them.
	withheld []string
}

// SetWithheld drops these scopes from every installed-app token issued
// from now on.
func (s *Server) SetWithheld(scopes []string) {
	s.mu.Lock()
	s.consent.withheld = slices.Clone(scopes)
	s.mu.Unlock()
}

// Consent adds (or removes) scopes in every grant of clientID, as the
// admin consenting again (or removing access) does.
func (s *Server) Consent(clientID string, scopes []string, granted bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	edit := func(have []string) []string {
		have = slices.DeleteFunc(slices.Clone(have), func(sc string) bool { return slices.Contains(scopes, sc) })
		if granted {
			have = append(have, scopes...)
		}
		return slices.Sorted(slices.Values(have))
	}
	for _, g := range s.consent.refresh {
		if g.ClientID == clientID {
			g.Scopes = edit(g.Scopes)
		}
	}
	if _, ok := s.consent.granted[clientID]; ok {
		s.consent.granted[clientID] = edit(s.consent.granted[clientID])
	}
}

// signedInLocked is who signs in on the consent screen: the account set
// with SetConsentingAccount, else the login_hint's user, else the
// domain's first admin, else its first user.
func (s *Server) signedInLocked(hint string) string {
	if s.consent.account != "" {
		return s.consent.account
	}
	if _, ok := s.userLocked(hint); ok && hint != "" {
		return strings.ToLower(hint)
	}
	for _, u := range s.opts.Domain.Users {
		if u.Admin {
			return u.Email
		}
	}
	if len(s.opts.Domain.Users) > 0 {
		return s.opts.Domain.Users[0].Email
	}
	return ""
}

// loopbackRedirect reports whether u is a loopback redirect a Desktop
// client may use without registering it: http on 127.0.0.1, [::1] or
// localhost, any port (§2.5).
func loopbackRedirect(u string) bool {
	p, err := url.Parse(u)
	if err != nil || p.Scheme != "http" || p.User != nil || p.Fragment != "" {
		return false
	}
	h := p.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

var consentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in - Google Accounts</title></head><body>
<h1>{{.Client}} wants access to your Google Account</h1>
<p>{{.Admin}}</p>
<p>Select what {{.Client}} can access</p>
<form method="post" action="/signin/oauth/consent">
<input type="hidden" name="request" value="{{.ID}}">
{{range $i, $s := .Scopes}}<label><input type="checkbox" name="scope_{{$i}}" value="{{$s}}" checked> {{$s}}</label><br>
{{end}}<button type="submit" id="approve" name="decision" value="approve">Continue</button>
<button type="submit" id="deny" name="decision" value="deny">Cancel</button>
</form></body></html>`))

// errorPage is what Google shows in the browser for a request it will not
// redirect: "Error 400: redirect_uri_mismatch".
func errorPage(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte("<!doctype html><title>Error " + strconv.Itoa(status) + ": " + code + "</title><h1>Access blocked: authorisation error</h1><p>Error " +
		strconv.Itoa(status) + ": " + code + "</p><p>" + template.HTMLEscapeString(message) + "</p>"))
}

// authorize is the authorization endpoint (§2.5): a known Desktop client,
// a loopback redirect, response_type=code, scopes Google has, and PKCE
// with S256 (or plain) when a challenge is sent. It shows the granular
// consent screen.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		errorPage(w, http.StatusMethodNotAllowed, "invalid_request", "Use GET.")
		return
	}
	q := r.URL.Query()
	for k, v := range q {
		if len(v) > 1 {
			errorPage(w, http.StatusBadRequest, "invalid_request", "Duplicate parameter: "+k)
			return
		}
	}
	s.mu.Lock()
	i := slices.IndexFunc(s.opts.Domain.OAuthClients, func(c OAuthClient) bool { return c.ID == q.Get("client_id") })
	var c OAuthClient
	if i >= 0 {
		c = s.opts.Domain.OAuthClients[i]
	}
	s.mu.Unlock()
	redirect := q.Get("redirect_uri")
	switch {
	case i < 0:
		errorPage(w, http.StatusUnauthorized, "invalid_client", "The OAuth client was not found.")
		return
	case !loopbackRedirect(redirect):
		errorPage(w, http.StatusBadRequest, "redirect_uri_mismatch", "You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 policy.")
		return
	case q.Get("response_type") != "code":
		errorPage(w, http.StatusBadRequest, "unsupported_response_type", "Invalid response_type: "+q.Get("response_type"))
		return
	}
	scopes := strings.Fields(q.Get("scope"))
	if len(scopes) == 0 {
		errorPage(w, http.StatusBadRequest, "invalid_request", "Missing required parameter: scope")
		return
	}
	for _, sc := range scopes {
		if !knownScope(sc) {
			errorPage(w, http.StatusBadRequest, "invalid_scope", "Some requested scopes were invalid. {invalid=["+sc+"]}")
			return
		}
	}
	method := q.Get("code_challenge_method")
	challenge := q.Get("code_challenge")
	switch {
	case challenge == "" && method != "":
		errorPage(w, http.StatusBadRequest, "invalid_request", "Missing code_challenge.")
		return
	case challenge != "" && method == "":
		method = "plain"
	}
	if challenge != "" && ((method != "S256" && method != "plain") || !challengePattern.MatchString(challenge)) {
		errorPage(w, http.StatusBadRequest, "invalid_request", "Invalid code_challenge_method or code_challenge.")
		return
	}
	id := randomToken()[7:39]
	s.mu.Lock()
	s.consent.requests[id] = consentRequest{client: c, redirect: redirect, state: q.Get("state"), challenge: challenge, method: method,
		scopes: scopes, offline: q.Get("access_type") == "offline", includeGranted: q.Get("include_granted_scopes") == "true",
		hint:    q.Get("login_hint"),
		expires: s.nowLocked().Add(consentLifetime)}
	s.mu.Unlock()
	name := c.Name
	if name == "" {
		name = c.ID
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	s.mu.Lock()
	who := s.signedInLocked(q.Get("login_hint"))
	s.mu.Unlock()
	_ = consentPage.Execute(w, map[string]any{"Client": name, "Admin": who, "ID": id, "Scopes": scopes})
}

// decide receives the consent screen: the scopes left ticked (less what
// the admin unticks) are granted, and the browser goes back to the
// loopback redirect with the code and the granted scopes.
func (s *Server) decide(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		errorPage(w, http.StatusMethodNotAllowed, "invalid_request", "Use POST.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		errorPage(w, http.StatusBadRequest, "invalid_request", "The form does not parse.")
		return
	}
	s.mu.Lock()
	id := r.PostForm.Get("request")
	req, ok := s.consent.requests[id]
	delete(s.consent.requests, id)
	now := s.nowLocked()
	s.mu.Unlock()
	if !ok || !now.Before(req.expires) {
		errorPage(w, http.StatusBadRequest, "invalid_request", "This consent request is unknown, expired or already answered.")
		return
	}
	back := func(v url.Values) {
		u, _ := url.Parse(req.redirect)
		q := u.Query()
		for k, vs := range v {
			q[k] = vs
		}
		if req.state != "" {
			q.Set("state", req.state)
		}
		u.RawQuery = q.Encode()
		http.Redirect(w, r, u.String(), http.StatusFound)
	}
	if r.PostForm.Get("decision") != "approve" {
		back(url.Values{"error": {"access_denied"}})
		return
	}
	var ticked []string
	for k, v := range r.PostForm {
		if strings.HasPrefix(k, "scope_") && len(v) == 1 && slices.Contains(req.scopes, v[0]) {
			ticked = append(ticked, v[0])
		}
	}
	s.mu.Lock()
	ticked = slices.DeleteFunc(ticked, func(sc string) bool { return slices.Contains(s.consent.unticked, sc) && !identityScope(sc) })
	// The sign-in scopes have no checkbox: asked, they are granted.
	for _, sc := range req.scopes {
		if identityScope(sc) && !slices.Contains(ticked, sc) {
			ticked = append(ticked, sc)
		}
	}
	granted := slices.Clone(ticked)
	if req.includeGranted {
		granted = append(granted, s.consent.granted[req.client.ID]...)
	}
	granted = slices.Compact(slices.Sorted(slices.Values(granted)))
	s.consent.granted[req.client.ID] = granted
	code := "4/0A" + randomToken()[7:60]
	s.consent.codes[code] = authCode{clientID: req.client.ID, redirect: req.redirect, challenge: req.challenge, method: req.method,
		scopes: granted, offline: req.offline, expires: now.Add(codeLifetime), subject: s.signedInLocked(req.hint)}
	s.mu.Unlock()
	back(url.Values{"code": {code}, "scope": {strings.Join(granted, " ")}, "authuser": {"0"}, "prompt": {"consent"}})
}

// clientAuth authenticates an installed app by its id and secret, in the
// body or with HTTP Basic.
func (s *Server) clientAuthLocked(r *http.Request, p url.Values) (OAuthClient, *oauthErr) {
	id, secret := p.Get("client_id"), p.Get("client_secret")
	if bid, bsecret, ok := r.BasicAuth(); ok {
		id, secret = bid, bsecret
	}
	i := slices.IndexFunc(s.opts.Domain.OAuthClients, func(c OAuthClient) bool { return c.ID == id })
	if id == "" || i < 0 {
		return OAuthClient{}, &oauthErr{http.StatusUnauthorized, "invalid_client", "The OAuth client was not found."}
	}
	c := s.opts.Domain.OAuthClients[i]
	if subtle.ConstantTimeCompare([]byte(secret), []byte(c.Secret)) != 1 {
		return OAuthClient{}, &oauthErr{http.StatusUnauthorized, "invalid_client", "Unauthorized"}
	}
	return c, nil
}

// installedGrant answers the authorization code and refresh token grants
// of an installed app (§2.5). Every refusal of a code is invalid_grant
// "Bad Request", as Google words it.
func (s *Server) installedGrant(r *http.Request, p url.Values) (map[string]any, *oauthErr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, oe := s.clientAuthLocked(r, p)
	if oe != nil {
		return nil, oe
	}
	now := s.nowLocked()
	switch p.Get("grant_type") {
	case "authorization_code":
		code, ok := s.consent.codes[p.Get("code")]
		delete(s.consent.codes, p.Get("code"))
		if !ok || code.clientID != c.ID || !now.Before(code.expires) || code.redirect != p.Get("redirect_uri") || !verifierMatches(code, p.Get("code_verifier")) {
			return nil, invalidGrant("Bad Request")
		}
		who := code.subject
		body := s.issueLocked(c.ID, who, code.scopes, now)
		if code.offline {
			rt := "1//0g" + randomToken()[7:70]
			s.consent.refresh[tokenHash(rt)] = &refreshGrant{ClientID: c.ID, Subject: who, Scopes: code.scopes}
			body["refresh_token"] = rt
		}
		return body, nil
	case "refresh_token":
		g, ok := s.consent.refresh[tokenHash(p.Get("refresh_token"))]
		if !ok || g.Revoked || g.ClientID != c.ID {
			return nil, invalidGrant("Token has been expired or revoked.")
		}
		body := s.issueLocked(c.ID, g.Subject, g.Scopes, now)
		if s.opts.RotateRefreshTokens {
			g.Revoked = true
			next := "1//0g" + randomToken()[7:70]
			s.consent.refresh[tokenHash(next)] = &refreshGrant{ClientID: c.ID, Subject: g.Subject, Scopes: slices.Clone(g.Scopes)}
			body["refresh_token"] = next
		}
		return body, nil
	}
	return nil, &oauthErr{http.StatusBadRequest, "unsupported_grant_type", "Invalid grant_type: " + p.Get("grant_type")}
}

func (s *Server) issueLocked(clientID, subject string, scopes []string, now time.Time) map[string]any {
	scopes = slices.DeleteFunc(slices.Clone(scopes), func(sc string) bool { return slices.Contains(s.consent.withheld, sc) })
	at := randomToken()
	s.access[at] = grant{clientID: clientID, subject: subject, scopes: scopes, expiry: now.Add(tokenLifetime)}
	return map[string]any{"access_token": at, "expires_in": int(tokenLifetime.Seconds()) - 1, "token_type": "Bearer", "scope": strings.Join(scopes, " ")}
}

func verifierMatches(c authCode, verifier string) bool {
	switch {
	case c.challenge == "":
		return verifier == ""
	case !challengePattern.MatchString(verifier):
		return false
	case c.method == "plain":
		return verifier == c.challenge
	}
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:]) == c.challenge
}
