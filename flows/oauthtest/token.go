package oauthtest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
)

type authCode struct {
	clientID     string
	redirectURI  string
	challenge    string
	scopes       []string
	expires      time.Time
	used         bool
	accessTokens []string
	refreshToken string
}

type refreshState struct {
	clientID     string
	scopes       []string
	revoked      bool
	accessTokens []string
	jkt          string // the DPoP key it is bound to
}

// form reads a POST body of application/x-www-form-urlencoded (RFC 6749
// §3.2), refusing parameters in the URL and repeated ones (§3.1).
func form(r *http.Request) (url.Values, *oauthError) {
	if r.Method != http.MethodPost {
		return nil, invalidRequest("the endpoint takes POST only")
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		return nil, invalidRequest("the body must be application/x-www-form-urlencoded")
	}
	if r.URL.RawQuery != "" {
		return nil, invalidRequest("parameters must be in the body, not the URL")
	}
	if err := r.ParseForm(); err != nil {
		return nil, invalidRequest("the body does not parse as a form")
	}
	for k, v := range r.PostForm {
		if len(v) > 1 {
			return nil, invalidRequest("the parameter " + k + " is repeated")
		}
	}
	return r.PostForm, nil
}

// authenticate identifies the client of a token, device or revocation
// request (RFC 6749 §2.3): by HTTP Basic, by client_secret in the body, by
// a JWT assertion (RFC 7523 §2.2), or, for a public client, by client_id
// alone. More than one method is an invalid_request (§2.3).
func (s *Server) authenticate(r *http.Request, p url.Values) (Client, *oauthError) {
	user, pass, basic := r.BasicAuth()
	methods := 0
	for _, used := range []bool{basic, p.Has("client_secret"), p.Has("client_assertion") || p.Has("client_assertion_type")} {
		if used {
			methods++
		}
	}
	if methods > 1 {
		return Client{}, invalidRequest("the client used more than one authentication method")
	}
	id := p.Get("client_id")
	if basic {
		// RFC 6749 §2.3.1: both are form-encoded before Basic encoding.
		u, err1 := url.QueryUnescape(user)
		pw, err2 := url.QueryUnescape(pass)
		if err1 != nil || err2 != nil {
			return Client{}, invalidClient("the Basic credentials are not form-encoded", true)
		}
		if id != "" && id != u {
			return Client{}, invalidRequest("client_id differs from the authenticated client")
		}
		id, pass = u, pw
	}
	if p.Has("client_assertion") || p.Has("client_assertion_type") {
		return s.authenticateAssertion(r, p)
	}
	if id == "" {
		return Client{}, invalidRequest("client_id is missing")
	}
	c, ok := s.client(id)
	if !ok {
		return Client{}, invalidClient("the client is unknown", basic)
	}
	switch {
	case basic || p.Has("client_secret"):
		secret := pass
		if !basic {
			secret = p.Get("client_secret")
		}
		if c.Secret == "" || subtle.ConstantTimeCompare([]byte(secret), []byte(c.Secret)) != 1 {
			return Client{}, invalidClient("client authentication failed", basic)
		}
	case !c.public():
		return Client{}, invalidClient("the client is confidential and must authenticate", false)
	}
	return c, nil
}

// authenticateAssertion checks a private_key_jwt assertion (RFC 7523 §3,
// OpenID Connect Core §9): a registered key's signature, iss = sub =
// client_id, an aud naming this server (its issuer, its token endpoint or
// the endpoint called), an
// exp in the future and at most an hour away, and a jti never seen.
func (s *Server) authenticateAssertion(r *http.Request, p url.Values) (Client, *oauthError) {
	if p.Get("client_assertion_type") != AssertionType {
		return Client{}, invalidRequest("client_assertion_type must be " + AssertionType)
	}
	sub, err := AssertionSubject(p.Get("client_assertion"))
	if err != nil {
		return Client{}, invalidClient(err.Error(), false)
	}
	c, ok := s.client(sub)
	if !ok || !c.hasKeys() {
		return Client{}, invalidClient("the client is unknown or has no registered key", false)
	}
	if id := p.Get("client_id"); id != "" && id != c.ID {
		return Client{}, invalidClient("client_id differs from the assertion's subject", false)
	}
	keys, oe := c.assertionKeys(p.Get("client_assertion"))
	if oe != nil {
		return Client{}, oe
	}
	iss := issuer(r)
	// The audience is this server: its issuer, its token endpoint, or the
	// endpoint the assertion is sent to (Okta wants that one).
	check := AssertionCheck{Audiences: []string{iss, iss + "/token", iss + r.URL.Path}, Now: s.opts.Now(), Leeway: 30 * time.Second,
		MaxLifetime: time.Hour, Replay: &s.replay}
	if _, err := check.Verify(p.Get("client_assertion"), c.ID, keys); err != nil {
		return Client{}, invalidClient(err.Error(), false)
	}
	return c, nil
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	p, oe := form(r)
	if oe != nil {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			oe.status = http.StatusMethodNotAllowed
		}
		oe.write(w)
		return
	}
	jkt, oe := s.tokenProof(w, r)
	if oe != nil {
		oe.write(w)
		return
	}
	if p.Get("grant_type") == JWTBearerGrantType {
		body, oe := s.jwtBearerGrant(r, p)
		s.respond(w, body, oe, jkt)
		return
	}
	c, oe := s.authenticate(r, p)
	if oe == nil {
		oe = s.dpopRequired(c, p, jkt)
	}
	if oe != nil {
		oe.write(w)
		return
	}
	grant := p.Get("grant_type")
	switch grant {
	case "":
		invalidRequest("grant_type is missing").write(w)
		return
	case "authorization_code", "refresh_token", "client_credentials", DeviceGrantType:
	default:
		(&oauthError{400, "unsupported_grant_type", "the grant type " + grant + " is not supported", false}).write(w)
		return
	}
	if !c.allows(grant) {
		unauthorizedClient("the client may not use the grant type " + grant).write(w)
		return
	}
	var body map[string]any
	switch grant {
	case "authorization_code":
		body, oe = s.codeGrant(r, c, p)
	case "refresh_token":
		body, oe = s.refreshGrant(c, p)
	case "client_credentials":
		body, oe = s.clientCredentialsGrant(c, p)
	case DeviceGrantType:
		body, oe = s.deviceGrant(r, c, p)
	}
	s.respond(w, body, oe, jkt)
}

// codeGrant redeems an authorization code (RFC 6749 §4.1.3, RFC 7636
// §4.6). A code is spent by its first redemption, right or wrong; a second
// one also revokes what the first obtained (RFC 6749 §4.1.2).
func (s *Server) codeGrant(r *http.Request, c Client, p url.Values) (map[string]any, *oauthError) {
	code := p.Get("code")
	if code == "" {
		return nil, invalidRequest("code is missing")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ac, ok := s.codes[code]
	switch {
	case !ok || ac.clientID != c.ID:
		return nil, invalidGrant("the authorization code is invalid")
	case ac.used:
		for _, at := range ac.accessTokens {
			delete(s.access, at)
		}
		if ac.refreshToken != "" {
			s.revokeLocked(ac.refreshToken)
		}
		return nil, invalidGrant("the authorization code was already used")
	}
	ac.used = true
	switch {
	case !s.opts.Now().Before(ac.expires):
		return nil, invalidGrant("the authorization code expired")
	case p.Get("redirect_uri") != ac.redirectURI:
		return nil, invalidGrant("redirect_uri differs from the authorization request's")
	case p.Get("code_verifier") == "":
		return nil, invalidGrant("code_verifier is missing (PKCE)")
	case subtle.ConstantTimeCompare([]byte(s256(p.Get("code_verifier"))), []byte(ac.challenge)) != 1:
		return nil, invalidGrant("the code_verifier does not match the code_challenge (PKCE)")
	}
	body, at, rt := s.issueLocked(r, c, ac.scopes, c.allows("refresh_token"))
	ac.accessTokens, ac.refreshToken = []string{at}, rt
	return body, nil
}

// refreshGrant refreshes a token (RFC 6749 §6), rotating the refresh
// token when the server is set to.
func (s *Server) refreshGrant(c Client, p url.Values) (map[string]any, *oauthError) {
	rt := p.Get("refresh_token")
	if rt == "" {
		return nil, invalidRequest("refresh_token is missing")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rs, ok := s.refresh[rt]
	if !ok || rs.revoked || rs.clientID != c.ID {
		return nil, invalidGrant("the refresh token is invalid, expired or revoked")
	}
	scopes := rs.scopes
	if req := strings.Fields(p.Get("scope")); len(req) > 0 {
		for _, sc := range req {
			if !slices.Contains(rs.scopes, sc) {
				return nil, invalidScope("the scope " + sc + " was not granted originally")
			}
		}
		scopes = req
	}
	at := s.accessLocked(c.ID, scopes)
	body := tokenBody(at, s.opts.AccessTokenLifetime, scopes)
	if s.opts.RotateRefreshTokens {
		rs.revoked = true
		next := randomToken("rt_")
		s.refresh[next] = &refreshState{clientID: c.ID, scopes: rs.scopes, accessTokens: []string{at}}
		body["refresh_token"] = next
	} else {
		rs.accessTokens = append(rs.accessTokens, at)
	}
	return body, nil
}

// clientCredentialsGrant issues a token to a confidential client (RFC 6749
// §4.4), never with a refresh token (§4.4.3).
func (s *Server) clientCredentialsGrant(c Client, p url.Values) (map[string]any, *oauthError) {
	if c.public() {
		return nil, unauthorizedClient("a public client may not use client_credentials")
	}
	scopes := strings.Fields(p.Get("scope"))
	if !c.allowsScopes(scopes) {
		return nil, invalidScope("the client may not request these scopes")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	at := s.accessLocked(c.ID, scopes)
	return tokenBody(at, s.opts.AccessTokenLifetime, scopes), nil
}

// issueLocked issues an access token, and a refresh token when refresh,
// and an ID token when openid is among the scopes.
func (s *Server) issueLocked(r *http.Request, c Client, scopes []string, refresh bool) (map[string]any, string, string) {
	at := s.accessLocked(c.ID, scopes)
	body := tokenBody(at, s.opts.AccessTokenLifetime, scopes)
	var rt string
	if refresh {
		rt = randomToken("rt_")
		s.refresh[rt] = &refreshState{clientID: c.ID, scopes: scopes, accessTokens: []string{at}}
		body["refresh_token"] = rt
	}
	if slices.Contains(scopes, "openid") {
		if idt, err := s.idToken(r, c.ID); err == nil {
			body["id_token"] = idt
		}
	}
	return body, at, rt
}

func (s *Server) accessLocked(clientID string, scopes []string) string {
	at := randomToken("at_")
	s.access[at] = &Grant{ClientID: clientID, Scopes: slices.Clone(scopes), Expiry: s.opts.Now().Add(s.opts.AccessTokenLifetime)}
	return at
}

func tokenBody(at string, life time.Duration, scopes []string) map[string]any {
	b := map[string]any{"access_token": at, "token_type": "Bearer", "expires_in": int(life.Seconds())}
	if len(scopes) > 0 {
		b["scope"] = strings.Join(scopes, " ")
	}
	return b
}

// Subject is the user every sign-in signs in as.
const Subject = "user-0001"

func (s *Server) idToken(r *http.Request, clientID string) (string, error) {
	now := s.opts.Now()
	return s.ids.Mint(jwt.Claims{
		Issuer: issuer(r), Subject: Subject, Audience: jwt.Audience{clientID},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(s.opts.AccessTokenLifetime)),
	})
}

// revoke is the revocation endpoint (RFC 7009 §2): it answers 200 even
// for an unknown token.
func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	p, oe := form(r)
	if oe != nil {
		oe.write(w)
		return
	}
	c, oe := s.authenticate(r, p)
	if oe != nil {
		oe.write(w)
		return
	}
	s.mu.Lock()
	if rs, ok := s.refresh[p.Get("token")]; ok && rs.clientID == c.ID {
		s.revokeLocked(p.Get("token"))
	} else if g, ok := s.access[p.Get("token")]; ok && g.ClientID == c.ID {
		delete(s.access, p.Get("token"))
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
