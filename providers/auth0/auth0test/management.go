package auth0test

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/tetherdev/tether/flows/oauthtest"
)

// discovery is a tenant's OpenID configuration, on the host it was asked
// at: a custom domain's names the custom domain, as Auth0's does. The
// keys and values are those tenants serve; only the token, device and
// JWKS endpoints are emulated.
func (s *Server) discovery(r *http.Request, _ string) map[string]any {
	if _, ok := s.tenantFor(r); !ok {
		return nil
	}
	iss := issuer(r)
	return map[string]any{
		"issuer":                        iss,
		"authorization_endpoint":        iss + "authorize",
		"token_endpoint":                iss + "oauth/token",
		"device_authorization_endpoint": iss + "oauth/device/code",
		"userinfo_endpoint":             iss + "userinfo",
		"mfa_challenge_endpoint":        iss + "mfa/challenge",
		"jwks_uri":                      iss + ".well-known/jwks.json",
		"registration_endpoint":         iss + "oidc/register",
		"revocation_endpoint":           iss + "oauth/revoke",
		"end_session_endpoint":          iss + "oidc/logout",
		"scopes_supported": []string{"openid", "profile", "offline_access", "name", "given_name", "family_name", "nickname",
			"email", "email_verified", "picture", "created_at", "identities", "phone", "address"},
		"response_types_supported": []string{"code", "token", "id_token", "code token", "code id_token", "token id_token",
			"code token id_token"},
		"code_challenge_methods_supported":                 []string{"S256", "plain"},
		"response_modes_supported":                         []string{"query", "fragment", "form_post"},
		"subject_types_supported":                          []string{"public"},
		"token_endpoint_auth_methods_supported":            []string{"client_secret_basic", "client_secret_post", "private_key_jwt"},
		"token_endpoint_auth_signing_alg_values_supported": []string{"RS256", "RS384", "PS256"},
		"id_token_signing_alg_values_supported":            []string{"HS256", "RS256", "PS256"},
		"claims_supported": []string{"aud", "auth_time", "created_at", "email", "email_verified", "exp", "family_name",
			"given_name", "iat", "identities", "iss", "name", "nickname", "phone_number", "picture", "sub"},
		"request_uri_parameter_supported": false,
		"request_parameter_supported":     false,
	}
}

// jwks serves the key that verifies the tenants' tokens, at the same
// path on every tenant host.
func (s *Server) jwks(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.tenantFor(r); !ok {
		http.NotFound(w, r)
		return
	}
	s.tokens.JWKSHandler().ServeHTTP(w, r)
}

func (s *Server) management(w http.ResponseWriter, r *http.Request) {
	t, ok := s.tenantFor(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if !s.limiter.Take(w, t.Domain) {
		mgmtError(w, http.StatusTooManyRequests, "Global limit has been reached", "too_many_requests")
		return
	}
	scopes, ok := s.authorize(w, r, t)
	if !ok {
		return
	}
	need := func(anyOf ...string) bool {
		for _, sc := range anyOf {
			if slices.Contains(scopes, sc) {
				return true
			}
		}
		mgmtError(w, http.StatusForbidden, "Insufficient scope, expected any of: "+strings.Join(anyOf, ","), "insufficient_scope")
		return false
	}
	if r.Method != http.MethodGet {
		mgmtError(w, http.StatusNotFound, "Not Found", "")
		return
	}
	perPage := 50
	if v := r.URL.Query().Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 100 {
			mgmtError(w, http.StatusBadRequest, "Query validation error: 'per_page' must be an integer between 0 and 100", "invalid_query_string")
			return
		}
		perPage = n
	}
	path := strings.TrimPrefix(r.URL.Path, "/api/v2/")
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case path == "users":
		if need("read:users", "read:user_idp_tokens") {
			oauthtest.WriteJSON(w, http.StatusOK, page(t.Users, perPage))
		}
	case len(parts) == 2 && parts[0] == "users":
		if !need("read:users", "read:current_user", "read:user_idp_tokens") {
			return
		}
		id, _ := url.PathUnescape(parts[1])
		i := slices.IndexFunc(t.Users, func(u User) bool { return u.ID == id })
		if i < 0 {
			mgmtError(w, http.StatusNotFound, "The user does not exist.", "inexistent_user")
			return
		}
		oauthtest.WriteJSON(w, http.StatusOK, t.Users[i])
	case len(parts) == 3 && parts[0] == "users" && parts[2] == "logs":
		if !need("read:logs", "read:logs_users") {
			return
		}
		id, _ := url.PathUnescape(parts[1])
		if !slices.ContainsFunc(t.Users, func(u User) bool { return u.ID == id }) {
			mgmtError(w, http.StatusNotFound, "The user does not exist.", "inexistent_user")
			return
		}
		var logs []Log
		for _, l := range t.Logs {
			if l.UserID == id {
				logs = append(logs, l)
			}
		}
		oauthtest.WriteJSON(w, http.StatusOK, page(logs, perPage))
	case path == "logs":
		if need("read:logs", "read:logs_users") {
			oauthtest.WriteJSON(w, http.StatusOK, page(t.Logs, perPage))
		}
	case path == "guardian/factors":
		if need("read:guardian_factors") {
			oauthtest.WriteJSON(w, http.StatusOK, guardianFactors)
		}
	default:
		mgmtError(w, http.StatusNotFound, "Not Found", "")
	}
}

func page[T any](items []T, n int) []T {
	out := items[:min(n, len(items))]
	if out == nil {
		out = []T{}
	}
	return out
}

var guardianFactors = []map[string]any{
	{"name": "sms", "enabled": false, "trial_expired": false},
	{"name": "push-notification", "enabled": true, "trial_expired": false},
	{"name": "otp", "enabled": true, "trial_expired": false},
	{"name": "email", "enabled": false, "trial_expired": false},
	{"name": "duo", "enabled": false, "trial_expired": false},
	{"name": "webauthn-roaming", "enabled": true, "trial_expired": false},
	{"name": "webauthn-platform", "enabled": false, "trial_expired": false},
	{"name": "recovery-code", "enabled": false, "trial_expired": false},
}

// authorize checks the bearer token: signature, expiry, an audience that
// is this tenant's Management API, and an issuer that is the host called
// (a token is valid only at the domain that issued it, §3.1). It returns
// the token's scopes.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, t Tenant) ([]string, bool) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || raw == "" {
		mgmtError(w, http.StatusUnauthorized, "Missing authentication", "")
		return nil, false
	}
	var c tokenClaims
	switch err := s.tokens.Parse(raw, &c); {
	case errors.Is(err, oauthtest.ErrTokenSignature):
		mgmtError(w, http.StatusUnauthorized, "Invalid signature received for JSON Web Token validation.", "")
		return nil, false
	case err != nil:
		mgmtError(w, http.StatusUnauthorized, "Invalid token", "")
		return nil, false
	}
	if c.Expiry == nil || !s.opts.Now().Before(c.Expiry.Time()) {
		mgmtError(w, http.StatusUnauthorized, "Expired token received for JSON Web Token validation.", "")
		return nil, false
	}
	if !c.Audience.Contains(t.Audience()) {
		mgmtError(w, http.StatusUnauthorized, "Bad audience: "+strings.Join(c.Audience, " "), "")
		return nil, false
	}
	if c.Issuer != issuer(r) {
		// The exact message for a token of another domain is UNVERIFIED;
		// this is the generic 401 observed (§3.3).
		mgmtError(w, http.StatusUnauthorized, "Invalid token", "")
		return nil, false
	}
	return strings.Fields(c.Scope), true
}
