package oauthtest

import (
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

type authRequest struct {
	client      Client
	redirectURI string
	state       string
	scopes      []string
	challenge   string
	expires     time.Time
}

// redirectMatches compares a requested redirect URI with a registered
// one: exactly (RFC 6749 §3.1.2.3, simple string comparison), except that
// for an http loopback IP literal any port is allowed. RFC 8252 §7.3:
// "The authorization server MUST allow any port to be specified at the
// time of the request for loopback IP redirect URIs, to accommodate
// clients that obtain an available ephemeral port from the operating
// system at the time of the request." The exception covers 127.0.0.1 and
// [::1], not localhost (§8.3 calls that NOT RECOMMENDED); with
// anyLocalhost, as Microsoft Entra does, localhost too.
func redirectMatches(registered, requested string, anyLocalhost bool) bool {
	if registered == requested {
		return true
	}
	reg, err1 := url.Parse(registered)
	req, err2 := url.Parse(requested)
	if err1 != nil || err2 != nil || reg.Scheme != "http" || req.Scheme != "http" {
		return false
	}
	loopback := func(h string) bool {
		if anyLocalhost && h == "localhost" {
			return true
		}
		ip := net.ParseIP(h)
		return ip != nil && ip.IsLoopback() && (ip.Equal(net.IPv4(127, 0, 0, 1)) || ip.Equal(net.IPv6loopback))
	}
	if !loopback(reg.Hostname()) || reg.Hostname() != req.Hostname() {
		return false
	}
	// Everything but the port must be identical.
	reg.Host, req.Host = reg.Hostname(), req.Hostname()
	if reg.Hostname() == "::1" {
		reg.Host, req.Host = "[::1]", "[::1]"
	}
	if anyLocalhost && reg.Path == "" {
		reg.Path = "/" // Entra adds the slash to a redirect URI without a path
	}
	if anyLocalhost && req.Path == "" {
		req.Path = "/"
	}
	return reg.String() == req.String()
}

func allowedRedirect(c Client, requested string, anyLocalhost bool) bool {
	return slices.ContainsFunc(c.RedirectURIs, func(reg string) bool { return redirectMatches(reg, requested, anyLocalhost) })
}

var challengePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// authorize is the authorization endpoint (RFC 6749 §4.1.1). A request
// with an unknown client or an unregistered redirect URI gets an error
// page and no redirect (§4.1.2.1); any other error is redirected. PKCE
// with S256 is required.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for k, v := range q {
		if len(v) > 1 {
			errorPage(w, http.StatusBadRequest, "Invalid request", "The parameter "+k+" is repeated.")
			return
		}
	}
	c, ok := s.client(q.Get("client_id"))
	if !ok {
		errorPage(w, http.StatusBadRequest, "Unknown client", "No application is registered with this client_id.")
		return
	}
	redirect := q.Get("redirect_uri")
	if redirect == "" || !allowedRedirect(c, redirect, false) {
		errorPage(w, http.StatusBadRequest, "Redirect URI mismatch", "The redirect_uri is not registered for this application.")
		return
	}
	state := q.Get("state")
	fail := func(code, desc string) {
		redirectTo(w, r, redirect, url.Values{"error": {code}, "error_description": {desc}, "state": {state}, "iss": {issuer(r)}})
	}
	scopes := strings.Fields(q.Get("scope"))
	switch {
	case q.Get("response_type") != "code":
		fail("unsupported_response_type", "only response_type=code is supported")
	case !c.allows("authorization_code"):
		fail("unauthorized_client", "the client may not use the authorization code grant")
	case !c.allowsScopes(scopes):
		fail("invalid_scope", "the client may not request these scopes")
	case q.Get("code_challenge") == "":
		// RFC 7636 §4.4.1.
		fail("invalid_request", "code challenge required")
	case q.Get("code_challenge_method") != "S256":
		fail("invalid_request", "transform algorithm not supported: use S256")
	case !challengePattern.MatchString(q.Get("code_challenge")):
		fail("invalid_request", "the code challenge is not a base64url SHA-256")
	default:
		id := rand32()
		s.mu.Lock()
		s.requests[id] = authRequest{client: c, redirectURI: redirect, state: state, scopes: scopes,
			challenge: q.Get("code_challenge"), expires: s.opts.Now().Add(10 * time.Minute)}
		s.mu.Unlock()
		name := c.Name
		if name == "" {
			name = c.ID
		}
		renderPage(w, http.StatusOK, "consent", pageData{
			Title: "Sign in to " + name, Client: name, Scopes: scopes,
			Action: "/authorize", Hidden: map[string]string{"request": id},
		})
	}
}

// decide receives the consent form. Each consent request is answered
// once.
func (s *Server) decide(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		errorPage(w, http.StatusBadRequest, "Invalid request", "The form does not parse.")
		return
	}
	id := r.PostForm.Get("request")
	s.mu.Lock()
	req, ok := s.requests[id]
	delete(s.requests, id)
	s.mu.Unlock()
	if !ok || !s.opts.Now().Before(req.expires) {
		errorPage(w, http.StatusBadRequest, "Request expired", "This consent request is unknown, expired or already answered. Start the sign-in again.")
		return
	}
	if r.PostForm.Get("decision") != "approve" {
		redirectTo(w, r, req.redirectURI, url.Values{"error": {"access_denied"},
			"error_description": {"The user denied the request"}, "state": {req.state}, "iss": {issuer(r)}})
		return
	}
	code := randomToken("code_")
	s.mu.Lock()
	s.codes[code] = &authCode{clientID: req.client.ID, redirectURI: req.redirectURI, challenge: req.challenge,
		scopes: req.scopes, expires: s.opts.Now().Add(s.opts.CodeLifetime)}
	s.mu.Unlock()
	redirectTo(w, r, req.redirectURI, url.Values{"code": {code}, "state": {req.state}, "iss": {issuer(r)}})
}

// redirectTo sends the browser to target with params added to its query,
// which it keeps (RFC 6749 §3.1.2). Empty params are left out.
func redirectTo(w http.ResponseWriter, r *http.Request, target string, params url.Values) {
	u, err := url.Parse(target)
	if err != nil {
		errorPage(w, http.StatusBadRequest, "Invalid redirect", "The redirect URI does not parse.")
		return
	}
	q := u.Query()
	for k, v := range params {
		if len(v) > 0 && v[0] != "" {
			q[k] = v
		}
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}
