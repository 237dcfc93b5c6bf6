package googletest

import (
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/tetherdev/tether/flows/oauthtest"
)

// The token endpoint's error descriptions, in Google's words (§2.3). Those
// marked UNVERIFIED in the contract are kept as it quotes them.
const (
	descNoVerifier   = "Invalid JWT: No valid verifier found for issuer."
	descBadSignature = "Invalid JWT Signature."
	descTimeframe    = "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim."
	descBadUser      = "Invalid email or User ID"
	descNotEmail     = "Not a valid email"
	descDeletedUser  = "The account has been deleted"
	descUnauthorized = "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested."
	descDisabled     = "The OAuth client was disabled."
	descAudience     = "Invalid JWT: Failed audience check."
	descNoScope      = "Empty or missing scope not allowed."
	descBadScope     = "Invalid OAuth scope or ID token audience provided."
)

// tokenLifetime is how long Google's access tokens live.
const tokenLifetime = time.Hour

// knownScope reports whether s is a scope Google has: the emulator knows
// the Admin SDK's and the OpenID ones (§2.7).
func knownScope(s string) bool {
	switch s {
	case "openid", "email", "profile":
		return true
	}
	rest, ok := strings.CutPrefix(s, "https://www.googleapis.com/auth/")
	if !ok {
		return false
	}
	return slices.Contains(knownScopes, rest)
}

var knownScopes = []string{
	"admin.directory.user", "admin.directory.user.readonly", "admin.directory.user.security",
	"admin.directory.user.alias", "admin.directory.user.alias.readonly",
	"admin.directory.group", "admin.directory.group.readonly", "admin.directory.group.member", "admin.directory.group.member.readonly",
	"admin.directory.rolemanagement", "admin.directory.rolemanagement.readonly",
	"admin.directory.orgunit", "admin.directory.orgunit.readonly",
	"admin.directory.device.mobile", "admin.directory.device.mobile.action", "admin.directory.device.mobile.readonly",
	"admin.directory.device.chromeos", "admin.directory.device.chromeos.readonly",
	"admin.directory.domain", "admin.directory.domain.readonly", "admin.directory.customer", "admin.directory.customer.readonly",
	"admin.directory.userschema", "admin.directory.userschema.readonly",
	"admin.reports.audit.readonly", "admin.reports.usage.readonly",
	"userinfo.email", "userinfo.profile", "cloud-platform",
}

type oauthErr struct {
	status     int
	code, desc string
}

func fail(w http.ResponseWriter, e oauthErr) {
	oauthtest.NoStore(w.Header())
	oauthtest.WriteJSON(w, e.status, map[string]string{"error": e.code, "error_description": e.desc})
}

func invalidGrant(desc string) *oauthErr {
	return &oauthErr{http.StatusBadRequest, "invalid_grant", desc}
}

// token is the token endpoint. It takes form posts only.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		fail(w, oauthErr{http.StatusMethodNotAllowed, "invalid_request", "Only POST is supported"})
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		fail(w, oauthErr{http.StatusBadRequest, "invalid_request", "Invalid Content-Type: use application/x-www-form-urlencoded"})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		fail(w, oauthErr{http.StatusBadRequest, "invalid_request", "The request body does not parse"})
		return
	}
	p := r.PostForm
	for k, v := range p {
		if len(v) > 1 {
			fail(w, oauthErr{http.StatusBadRequest, "invalid_request", "Duplicate parameter: " + k})
			return
		}
	}
	var body map[string]any
	var oe *oauthErr
	switch gt := p.Get("grant_type"); gt {
	case "":
		oe = &oauthErr{http.StatusBadRequest, "invalid_request", "Missing required parameter: grant_type"}
	case oauthtest.JWTBearerGrantType:
		body, oe = s.jwtBearer(r, p)
	case "authorization_code", "refresh_token":
		body, oe = s.installedGrant(r, p)
	default:
		oe = &oauthErr{http.StatusBadRequest, "unsupported_grant_type", "Invalid grant_type: " + gt}
	}
	if oe != nil {
		fail(w, *oe)
		return
	}
	oauthtest.NoStore(w.Header())
	oauthtest.WriteJSON(w, http.StatusOK, body)
}

type claims struct {
	jwt.Claims
	Scope string `json:"scope"`
	Prn   string `json:"prn"`
}

// jwtBearer is the JWT bearer grant of a service account (§2.2, §2.3):
// the issuer's key named by kid verifies the RS256 signature; aud is the
// URL posted to; iat and exp are at most an hour apart and not out of
// Google's time; sub is a live user of the domain; every scope is one
// Google has and, with a sub, one the domain delegates to the client id,
// all or nothing. The answer has neither scope nor refresh token.
func (s *Server) jwtBearer(r *http.Request, p url.Values) (map[string]any, *oauthErr) {
	assertion := p.Get("assertion")
	if assertion == "" {
		return nil, &oauthErr{http.StatusBadRequest, "invalid_request", "Missing required parameter: assertion"}
	}
	tok, err := jwt.ParseSigned(assertion, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, invalidGrant("Invalid JWT: the assertion is not a JWT signed with RS256")
	}
	var unverified claims
	if tok.UnsafeClaimsWithoutVerification(&unverified) != nil {
		return nil, invalidGrant("Invalid JWT: the claims do not parse")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sa, ok := s.serviceAccountLocked(unverified.Issuer)
	if !ok || len(sa.Keys) == 0 {
		return nil, invalidGrant(descNoVerifier)
	}
	var verified claims
	good := false
	for _, k := range sa.Keys {
		if kid := tok.Headers[0].KeyID; kid != "" && kid != k.ID {
			continue
		}
		if tok.Claims(k.Public, &verified) == nil {
			good = true
			break
		}
	}
	if !good {
		return nil, invalidGrant(descBadSignature)
	}
	if sa.Disabled {
		return nil, &oauthErr{http.StatusUnauthorized, "disabled_client", descDisabled}
	}
	if !verified.Audience.Contains(oauthtest.BaseURL(r) + r.URL.Path) {
		return nil, invalidGrant(descAudience)
	}
	now := s.nowLocked()
	leeway := s.opts.Leeway
	switch {
	case verified.IssuedAt == nil || verified.Expiry == nil,
		verified.IssuedAt.Time().After(now.Add(leeway)),
		!verified.Expiry.Time().After(now.Add(-leeway)),
		verified.Expiry.Time().Sub(verified.IssuedAt.Time()) > time.Hour:
		return nil, invalidGrant(descTimeframe)
	}
	subject := verified.Subject
	if subject == "" {
		subject = verified.Prn
	}
	if subject != "" {
		if !strings.Contains(subject, "@") {
			return nil, invalidGrant(descNotEmail)
		}
		u, ok := s.userLocked(subject)
		switch {
		case !ok:
			return nil, invalidGrant(descBadUser)
		case u.Deleted:
			return nil, invalidGrant(descDeletedUser)
		}
	}
	scopes := strings.Fields(verified.Scope)
	if len(scopes) == 0 {
		return nil, &oauthErr{http.StatusBadRequest, "invalid_scope", descNoScope}
	}
	for _, sc := range scopes {
		if !knownScope(sc) {
			return nil, &oauthErr{http.StatusBadRequest, "invalid_scope", descBadScope}
		}
	}
	if subject != "" {
		delegated := s.opts.Domain.Delegation[sa.ClientID]
		for _, sc := range scopes {
			if !slices.Contains(delegated, sc) {
				return nil, &oauthErr{http.StatusUnauthorized, "unauthorized_client", descUnauthorized}
			}
		}
	}
	at := randomToken()
	s.access[at] = grant{clientID: sa.ClientID, subject: strings.ToLower(subject), scopes: scopes, expiry: now.Add(tokenLifetime)}
	return map[string]any{"access_token": at, "expires_in": int(tokenLifetime.Seconds()) - 1, "token_type": "Bearer"}, nil
}

// lookup returns the live grant of an access token.
func (s *Server) lookupLocked(at string) (grant, bool) {
	g, ok := s.access[at]
	if !ok || !s.nowLocked().Before(g.expiry) {
		return grant{}, false
	}
	return g, true
}

// tokenInfo is the v3 tokeninfo endpoint (§2.4): access_token in the
// query or the form body; numbers are strings; email only with the
// userinfo.email scope.
func (s *Server) tokenInfo(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		fail(w, oauthErr{http.StatusMethodNotAllowed, "invalid_request", "Only GET and POST are supported"})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		fail(w, oauthErr{http.StatusBadRequest, "invalid_request", "The request does not parse"})
		return
	}
	s.mu.Lock()
	g, ok := s.lookupLocked(r.Form.Get("access_token"))
	now := s.nowLocked()
	var u User
	if ok && g.subject != "" {
		u, _ = s.userLocked(g.subject)
	}
	s.mu.Unlock()
	if !ok {
		fail(w, oauthErr{http.StatusBadRequest, "invalid_token", "Invalid Value"})
		return
	}
	info := map[string]string{
		"azp": g.clientID, "aud": g.clientID, "scope": strings.Join(g.scopes, " "),
		"exp":        strconv.FormatInt(g.expiry.Unix(), 10),
		"expires_in": strconv.Itoa(int(g.expiry.Sub(now).Seconds())), "access_type": "online",
	}
	if u.ID != "" {
		info["sub"] = u.ID
	} else {
		info["sub"] = g.clientID
	}
	if slices.Contains(g.scopes, "https://www.googleapis.com/auth/userinfo.email") || slices.Contains(g.scopes, "email") {
		info["email"], info["email_verified"] = g.subject, "true"
	}
	oauthtest.WriteJSON(w, http.StatusOK, info)
}
