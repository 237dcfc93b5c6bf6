// Package auth0test emulates the parts of Auth0 that tether talks to: the
// token endpoint (client credentials with a client secret or a
// private_key_jwt assertion) and the Management API endpoints the platform
// reads, with the real statuses, error bodies and rate-limit headers
// (shared/providers/okta-duo-auth0.md §3). It is strict on purpose: every
// contract violation a real tenant refuses, it refuses the same way.
//
// It serves plain http.Handler; the sandbox and the tests put it behind
// TLS. It imports nothing of tether's.
package auth0test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// AssertionType is the only client_assertion_type Auth0 accepts.
const AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// Tenant is one emulated Auth0 tenant.
type Tenant struct {
	// Domain is the canonical tenant domain ("acme.us.auth0.com"). The
	// Management API audience is https://{Domain}/api/v2/.
	Domain string
	// CustomDomains also reach the tenant; tokens are still requested
	// for the canonical audience.
	CustomDomains []string
	Clients       []Client
	Users         []User
	Logs          []Log
}

// Audience returns the tenant's Management API audience.
func (t Tenant) Audience() string { return "https://" + t.Domain + "/api/v2/" }

// Client is an application registered in the tenant.
type Client struct {
	ID     string
	Name   string
	Secret string
	// PublicKeys verify private_key_jwt assertions.
	PublicKeys []crypto.PublicKey
	// GrantTypes the application may use; nil means client_credentials.
	GrantTypes []string
	// Grants are the client grants: audience → granted scopes. A client
	// without a grant for an audience cannot get a token for it.
	Grants map[string][]string
}

// User is a user of the tenant.
type User struct {
	ID    string `json:"user_id"`
	Email string `json:"email"`
	Name  string `json:"name"`
}

// Log is an event of the tenant's log.
type Log struct {
	ID     string `json:"log_id"`
	Date   string `json:"date"`
	Type   string `json:"type"`
	UserID string `json:"user_id,omitempty"`
}

// BadSecretStyle picks the body of a 401 for a wrong secret or an unknown
// client. Which one production sends is not known (UNVERIFIED, §3.2 and
// §4.3c): both are observed, so tether must handle both.
type BadSecretStyle int

const (
	// BadSecretAccessDenied answers {"error":"access_denied","error_description":"Unauthorized"}.
	BadSecretAccessDenied BadSecretStyle = iota
	// BadSecretInvalidClient answers {"error":"invalid_client","error_description":"Client authentication failed"}.
	BadSecretInvalidClient
)

// Options configure a Server.
type Options struct {
	Tenants   []Tenant
	BadSecret BadSecretStyle
	// RateLimit is the Management API bucket per tenant per RateWindow;
	// 0 means 1000.
	RateLimit  int
	RateWindow time.Duration // 0 means one minute
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Server is the emulator. Its methods are safe for concurrent use.
type Server struct {
	opts Options
	key  *rsa.PrivateKey
	mux  *http.ServeMux

	mu      sync.Mutex
	tenants []Tenant
	jtis    map[string]time.Time // assertion ids seen, until they expire
	buckets map[string]*bucket
	hits    map[string]int
}

type bucket struct {
	remaining int
	reset     time.Time
}

// signingKey is the key emulated tenants sign access tokens with, made
// once per process: RSA key generation is slow, and tokens are still bound
// to their tenant by their audience.
var signingKey = sync.OnceValue(func() *rsa.PrivateKey {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	return key
})

// New returns an emulator serving opts.Tenants.
func New(opts Options) *Server {
	key := signingKey()
	if opts.RateLimit == 0 {
		opts.RateLimit = 1000
	}
	if opts.RateWindow == 0 {
		opts.RateWindow = time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{opts: opts, key: key, tenants: slices.Clone(opts.Tenants),
		jtis: map[string]time.Time{}, buckets: map[string]*bucket{}, hits: map[string]int{}}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /oauth/token", s.token)
	s.mux.HandleFunc("/oauth/token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", "POST")
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "invalid_request", "error_description": "Method not allowed"})
	})
	s.mux.HandleFunc("/api/v2/", s.management)
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hits[r.URL.Path]++
	s.mu.Unlock()
	s.mux.ServeHTTP(w, r)
}

// Hits returns how many requests reached path.
func (s *Server) Hits(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// SetGrant replaces the scopes client clientID of tenant domain is granted
// for audience (nil removes the client grant), as an admin would in the
// dashboard.
func (s *Server) SetGrant(domain, clientID, audience string, scopes []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ti := range s.tenants {
		if s.tenants[ti].Domain != domain {
			continue
		}
		for ci := range s.tenants[ti].Clients {
			c := &s.tenants[ti].Clients[ci]
			if c.ID != clientID {
				continue
			}
			grants := map[string][]string{}
			for k, v := range c.Grants {
				grants[k] = v
			}
			if scopes == nil {
				delete(grants, audience)
			} else {
				grants[audience] = slices.Clone(scopes)
			}
			c.Grants = grants
			return nil
		}
	}
	return fmt.Errorf("auth0test: no client %s in tenant %s", clientID, domain)
}

// Grant returns the scopes client clientID of tenant domain is granted for
// audience, and whether it has a client grant for it.
func (s *Server) Grant(domain, clientID, audience string) ([]string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tenants {
		if t.Domain != domain {
			continue
		}
		for _, c := range t.Clients {
			if c.ID == clientID {
				scopes, ok := c.Grants[audience]
				return slices.Clone(scopes), ok
			}
		}
	}
	return nil, false
}

// tenantFor finds the tenant a request's Host names. An IP address or
// localhost reaches the first tenant, so that a client pointed at the
// emulator's address works like one using a custom domain.
func (s *Server) tenantFor(r *http.Request) (Tenant, bool) {
	host := strings.ToLower(r.Host)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tenants {
		if t.Domain == host || slices.Contains(t.CustomDomains, host) {
			return t, true
		}
	}
	if (net.ParseIP(strings.Trim(host, "[]")) != nil || host == "localhost") && len(s.tenants) > 0 {
		return s.tenants[0], true
	}
	return Tenant{}, false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	body := map[string]string{"error": code, "error_description": desc}
	if code == "unauthorized_client" {
		body["error_uri"] = "https://auth0.com/docs/clients/client-grant-types"
	}
	writeJSON(w, status, body)
}

// tokenParams reads the token request as a form or as JSON; both are
// accepted (authentication-api-oas.json).
func tokenParams(r *http.Request) (url.Values, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return nil, err
		}
		return r.PostForm, nil
	case "application/json":
		var m map[string]any
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			return nil, err
		}
		v := url.Values{}
		for k, x := range m {
			if s, ok := x.(string); ok {
				v.Set(k, s)
			}
		}
		return v, nil
	}
	return nil, fmt.Errorf("unsupported content type %q", mt)
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	t, ok := s.tenantFor(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	p, err := tokenParams(r)
	if err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "Invalid request body")
		return
	}
	switch gt := p.Get("grant_type"); gt {
	case "client_credentials":
	case "":
		oauthError(w, http.StatusBadRequest, "invalid_request", "Missing required parameter: grant_type")
		return
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "Unsupported grant type: "+gt)
		return
	}
	clientID := p.Get("client_id")
	if clientID == "" && p.Get("client_assertion") == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "Missing required parameter: client_id")
		return
	}
	client, found := s.client(t, clientID)
	if p.Get("client_assertion") != "" {
		if p.Get("client_secret") != "" {
			oauthError(w, http.StatusBadRequest, "invalid_request", "client_secret and client_assertion cannot be used together")
			return
		}
		if p.Get("client_assertion_type") != AssertionType {
			oauthError(w, http.StatusBadRequest, "invalid_request", "Invalid client_assertion_type: expected "+AssertionType)
			return
		}
		if !found {
			s.badSecret(w)
			return
		}
		if msg := s.checkAssertion(r, client, p.Get("client_assertion")); msg != "" {
			oauthError(w, http.StatusUnauthorized, "invalid_client", msg)
			return
		}
	} else {
		secret := p.Get("client_secret")
		if !found || client.Secret == "" || subtle.ConstantTimeCompare([]byte(secret), []byte(client.Secret)) != 1 {
			s.badSecret(w)
			return
		}
	}
	grantTypes := client.GrantTypes
	if grantTypes == nil {
		grantTypes = []string{"client_credentials"}
	}
	if !slices.Contains(grantTypes, "client_credentials") {
		// Status UNVERIFIED (§3.2); the body is observed.
		oauthError(w, http.StatusForbidden, "unauthorized_client", "Grant type 'client_credentials' not allowed for the client.")
		return
	}
	aud := p.Get("audience")
	if aud == "" {
		// No default audience is configured in the emulated tenants.
		oauthError(w, http.StatusForbidden, "access_denied", "No audience parameter was provided, and no default audience has been configured")
		return
	}
	if aud != t.Audience() {
		// A Management API audience on a custom domain is not a service of
		// the tenant: "use the default tenant domain for the audience".
		oauthError(w, http.StatusForbidden, "access_denied", "Service not found: "+aud)
		return
	}
	granted, ok := client.Grants[aud]
	if !ok {
		oauthError(w, http.StatusForbidden, "access_denied", fmt.Sprintf(
			"Client is not authorized to access %q. You need to create a %q associated to this API. See: https://auth0.com/docs/api/v2#!/Client_Grants/post_client_grants",
			aud, "client-grant"))
		return
	}
	scopes := granted
	if req := strings.Fields(p.Get("scope")); len(req) > 0 {
		var notGranted []string
		for _, sc := range req {
			if !slices.Contains(granted, sc) {
				notGranted = append(notGranted, sc)
			}
		}
		if len(notGranted) > 0 {
			oauthError(w, http.StatusForbidden, "access_denied", "Client has not been granted scopes: "+strings.Join(notGranted, ", "))
			return
		}
		scopes = req
	}
	now := s.opts.Now()
	tok, err := s.mint(t, client.ID, scopes, now)
	if err != nil {
		oauthError(w, http.StatusInternalServerError, "server_error", "could not mint a token")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": tok,
		"expires_in":   86400,
		"scope":        strings.Join(scopes, " "),
		"token_type":   "Bearer",
	})
}

func (s *Server) badSecret(w http.ResponseWriter) {
	if s.opts.BadSecret == BadSecretInvalidClient {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed")
		return
	}
	oauthError(w, http.StatusUnauthorized, "access_denied", "Unauthorized")
}

func (s *Server) client(t Tenant, id string) (Client, bool) {
	for _, c := range t.Clients {
		if c.ID == id {
			return c, true
		}
	}
	return Client{}, false
}

var assertionAlgs = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512, jose.ES256, jose.ES384, jose.ES512,
}

// checkAssertion verifies a private_key_jwt assertion: a registered key's
// signature, iss = sub = client_id, aud = https://{host called}/ (what
// go-auth0 sends), a live exp, and a jti not seen before. It returns the
// refusal, or "".
func (s *Server) checkAssertion(r *http.Request, c Client, assertion string) string {
	tok, err := jwt.ParseSigned(assertion, assertionAlgs)
	if err != nil {
		return "Invalid client_assertion: malformed JWT"
	}
	var claims jwt.Claims
	verified := false
	for _, k := range c.PublicKeys {
		if err := tok.Claims(k, &claims); err == nil {
			verified = true
			break
		}
	}
	if !verified {
		return "Invalid client_assertion: signature verification failed"
	}
	if claims.Issuer != c.ID || claims.Subject != c.ID {
		return "Invalid client_assertion: iss and sub must be the client_id"
	}
	now := s.opts.Now()
	wantAud := "https://" + r.Host + "/"
	if err := claims.ValidateWithLeeway(jwt.Expected{AnyAudience: jwt.Audience{wantAud}, Time: now}, 30*time.Second); err != nil {
		return "Invalid client_assertion: " + err.Error() + " (audience must be " + wantAud + ")"
	}
	if claims.Expiry == nil || claims.ID == "" {
		return "Invalid client_assertion: exp and jti are required"
	}
	if claims.Expiry.Time().Sub(now) > 10*time.Minute {
		return "Invalid client_assertion: exp is too far in the future"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, exp := range s.jtis {
		if now.After(exp) {
			delete(s.jtis, id)
		}
	}
	if _, seen := s.jtis[claims.ID]; seen {
		return "Invalid client_assertion: jti has already been used"
	}
	s.jtis[claims.ID] = claims.Expiry.Time()
	return ""
}

type tokenClaims struct {
	jwt.Claims
	Scope string `json:"scope"`
	Gty   string `json:"gty"`
	Azp   string `json:"azp"`
}

func (s *Server) mint(t Tenant, clientID string, scopes []string, now time.Time) (string, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: s.key}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	c := tokenClaims{
		Claims: jwt.Claims{
			Issuer:   "https://" + t.Domain + "/",
			Subject:  clientID + "@clients",
			Audience: jwt.Audience{t.Audience()},
			IssuedAt: jwt.NewNumericDate(now),
			Expiry:   jwt.NewNumericDate(now.Add(24 * time.Hour)),
			ID:       rand.Text(),
		},
		Scope: strings.Join(scopes, " "),
		Gty:   "client-credentials",
		Azp:   clientID,
	}
	return jwt.Signed(signer).Claims(c).Serialize()
}

func mgmtError(w http.ResponseWriter, status int, msg, code string) {
	body := map[string]any{"statusCode": status, "error": http.StatusText(status), "message": msg}
	if code != "" {
		body["errorCode"] = code
	}
	writeJSON(w, status, body)
}

func (s *Server) management(w http.ResponseWriter, r *http.Request) {
	t, ok := s.tenantFor(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if !s.rateLimit(w, t) {
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
			writeJSON(w, http.StatusOK, page(t.Users, perPage))
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
		writeJSON(w, http.StatusOK, t.Users[i])
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
		writeJSON(w, http.StatusOK, page(logs, perPage))
	case path == "logs":
		if need("read:logs", "read:logs_users") {
			writeJSON(w, http.StatusOK, page(t.Logs, perPage))
		}
	case path == "guardian/factors":
		if need("read:guardian_factors") {
			writeJSON(w, http.StatusOK, guardianFactors)
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

// rateLimit takes one request from the tenant's bucket, always sending the
// x-ratelimit-* headers, and answers 429 when the bucket is empty.
func (s *Server) rateLimit(w http.ResponseWriter, t Tenant) bool {
	now := s.opts.Now()
	s.mu.Lock()
	b := s.buckets[t.Domain]
	if b == nil || !now.Before(b.reset) {
		b = &bucket{remaining: s.opts.RateLimit, reset: now.Add(s.opts.RateWindow)}
		s.buckets[t.Domain] = b
	}
	allowed := b.remaining > 0
	if allowed {
		b.remaining--
	}
	remaining, reset := b.remaining, b.reset
	s.mu.Unlock()
	h := w.Header()
	h.Set("x-ratelimit-limit", strconv.Itoa(s.opts.RateLimit))
	h.Set("x-ratelimit-remaining", strconv.Itoa(remaining))
	h.Set("x-ratelimit-reset", strconv.FormatInt(reset.Unix(), 10))
	if !allowed {
		h.Set("Retry-After", strconv.Itoa(max(1, int(reset.Sub(now).Seconds()+0.999))))
		mgmtError(w, http.StatusTooManyRequests, "Global limit has been reached", "too_many_requests")
	}
	return allowed
}

// authorize checks the bearer token: signature, expiry, and an audience
// that is this tenant's Management API. It returns the token's scopes.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, t Tenant) ([]string, bool) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || raw == "" {
		mgmtError(w, http.StatusUnauthorized, "Missing authentication", "")
		return nil, false
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		mgmtError(w, http.StatusUnauthorized, "Invalid token", "")
		return nil, false
	}
	var c tokenClaims
	if err := tok.Claims(&s.key.PublicKey, &c); err != nil {
		mgmtError(w, http.StatusUnauthorized, "Invalid signature received for JSON Web Token validation.", "")
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
	return strings.Fields(c.Scope), true
}
