// Package oauthtest is a strict OAuth 2.0 and OpenID Connect authorization
// server for tests: discovery (RFC 8414, OpenID Connect Discovery), the
// authorization code grant with PKCE (RFC 6749 §4.1, RFC 7636) behind a
// consent page with real Approve and Deny buttons, the device
// authorization grant (RFC 8628) with its verification page, refresh
// tokens with optional rotation and revocation, client credentials, the
// JWT bearer grant (RFC 7523 §2.1), client authentication by
// client_secret_basic, client_secret_post and private_key_jwt (RFC 7523
// §2.2, with certificates named by x5t#S256), DPoP-bound tokens with
// nonces (RFC 9449) and a resource that checks them (AuthorizeResource,
// /userinfo), and a Microsoft-style admin consent endpoint.
//
// It is strict on purpose: what a standards-following server refuses, it
// refuses with the status and error body the RFCs give (RFC 6749 §5.2, RFC
// 8628 §3.5). Codes are single-use and short-lived, redirect URIs match
// exactly (with RFC 8252 §7.3's one exception: any port for a loopback IP
// literal), a device polled faster than its interval answers slow_down,
// and every time is read from Options.Now, so tests drive expiry without
// sleeping.
//
// Server is an http.Handler; Start serves it on loopback with httptest.
// Browser is a minimal user agent that clicks the buttons, and Clock a
// fake clock. The package imports nothing of tether's.
//
// It is also the kit every provider emulator is built from, so that each
// is its provider's contract and nothing else: client assertion checks
// with a replay cache (AssertionCheck, ReplayCache), JWT minting and
// verification with a kid and a JWKS endpoint (TokenSigner), discovery
// documents (DiscoveryHandler), rate-limit buckets with the provider's
// header names (RateLimiter), device authorization sessions
// (DeviceCodes), tenant lookup by Host (TenantFor), JSON answers
// (WriteJSON), and fault injection for every response (Faults,
// ParseFaults).
package oauthtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"time"
)

// DeviceGrantType is the grant_type of RFC 8628 §3.4.
const DeviceGrantType = "urn:ietf:params:oauth:grant-type:device_code"

// AssertionType is the client_assertion_type of RFC 7523 §2.2.
const AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// Client is a registered client. It is public when it has neither a
// Secret nor PublicKeys.
type Client struct {
	ID   string
	Name string
	// Secret authenticates the client with client_secret_basic or
	// client_secret_post.
	Secret string
	// PublicKeys verify its private_key_jwt assertions.
	PublicKeys []crypto.PublicKey
	// Certificates are its certificate credentials, as Microsoft Entra
	// registers them: an assertion names the one that signed it by its
	// x5t#S256 header, which a client with certificates and no
	// PublicKeys must send.
	Certificates []*x509.Certificate
	// RedirectURIs are the registered redirect URIs.
	RedirectURIs []string
	// GrantTypes the client may use; nil means authorization_code,
	// refresh_token and the device grant, plus client_credentials for a
	// confidential client.
	GrantTypes []string
	// Scopes the client may request; nil means any.
	Scopes []string
	// DPoP requires its tokens to be DPoP-bound (RFC 9449): a token
	// request without a proof is refused, as Okta's "Require DPoP" does.
	DPoP bool
}

func (c Client) public() bool { return c.Secret == "" && !c.hasKeys() }

func (c Client) allows(grant string) bool {
	if c.GrantTypes != nil {
		return slices.Contains(c.GrantTypes, grant)
	}
	switch grant {
	case "authorization_code", "refresh_token", DeviceGrantType:
		return true
	case "client_credentials":
		return !c.public()
	}
	return false
}

// allowsScopes reports whether every scope is one the client may request.
func (c Client) allowsScopes(scopes []string) bool {
	if c.Scopes == nil {
		return true
	}
	for _, s := range scopes {
		if !slices.Contains(c.Scopes, s) {
			return false
		}
	}
	return true
}

// Options configure a Server.
type Options struct {
	Clients []Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Interval is the device flow's minimum polling interval; 0 means 5
	// seconds. It is sent in whole seconds.
	Interval time.Duration
	// DeviceCodeLifetime is 0 for 10 minutes.
	DeviceCodeLifetime time.Duration
	// CodeLifetime is how long an authorization code lives; 0 means one
	// minute (RFC 6749 §4.1.2 recommends at most ten).
	CodeLifetime time.Duration
	// AccessTokenLifetime is 0 for one hour.
	AccessTokenLifetime time.Duration
	// RotateRefreshTokens issues a new refresh token on each refresh and
	// revokes the one used.
	RotateRefreshTokens bool
	// GoogleDevice answers the device authorization request as Google
	// does: verification_url instead of verification_uri, and no
	// verification_uri_complete.
	GoogleDevice bool
	// NoOpenIDConfiguration serves only the RFC 8414 metadata document.
	NoOpenIDConfiguration bool
	// TenantID is the tenant the admin consent endpoint reports; "" means
	// a fixed GUID.
	TenantID string
	// BearerIssuers may use the JWT bearer grant (RFC 7523 §2.1).
	BearerIssuers []BearerIssuer
	// DPoPNonce makes the token endpoint and AuthorizeResource demand
	// the server's nonce in DPoP proofs (RFC 9449 §8, §9).
	DPoPNonce bool
}

// DefaultTenantID is the admin consent endpoint's tenant id by default.
const DefaultTenantID = "7c1e2a3b-0000-4d5e-8f90-a1b2c3d4e5f6"

// Grant is what an access token stands for.
type Grant struct {
	ClientID string
	// Subject is the user a JWT bearer grant acts as.
	Subject string
	Scopes  []string
	Expiry  time.Time
	// JKT is the thumbprint of the DPoP key the token is bound to (its
	// cnf.jkt, RFC 9449 §6); "" for a bearer token.
	JKT string
}

// Server is the emulator. Its methods are safe for concurrent use.
type Server struct {
	opts Options
	mux  *http.ServeMux
	ids  *TokenSigner // signs ID tokens

	// URL is the base URL (and issuer) when Start serves it.
	URL string
	hs  *httptest.Server

	mu        sync.Mutex
	requests  map[string]authRequest // consent pages on screen, by id
	codes     map[string]*authCode
	devices   DeviceCodes
	access    map[string]*Grant
	refresh   map[string]*refreshState
	replay    ReplayCache // assertion and DPoP proof ids seen, until they expire
	consents  map[string]consentRequest
	consented map[string][]string // client id → admin-consented scopes
	dpop      dpopState
}

// New returns an emulator serving opts.Clients. Its issuer is the scheme
// and host it is reached at.
func New(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Interval <= 0 {
		opts.Interval = 5 * time.Second
	}
	if opts.DeviceCodeLifetime <= 0 {
		opts.DeviceCodeLifetime = 10 * time.Minute
	}
	if opts.CodeLifetime <= 0 {
		opts.CodeLifetime = time.Minute
	}
	if opts.AccessTokenLifetime <= 0 {
		opts.AccessTokenLifetime = time.Hour
	}
	if opts.TenantID == "" {
		opts.TenantID = DefaultTenantID
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	ids, err := NewTokenSigner(key, "oauthtest")
	if err != nil {
		panic(err) // a P-256 key always makes a signer
	}
	s := &Server{
		opts: opts, ids: ids,
		requests: map[string]authRequest{}, codes: map[string]*authCode{},
		access: map[string]*Grant{}, refresh: map[string]*refreshState{},
		consents: map[string]consentRequest{}, consented: map[string][]string{},
	}
	m := http.NewServeMux()
	meta := DiscoveryHandler(s.metadata)
	if !opts.NoOpenIDConfiguration {
		m.Handle("GET "+OpenIDConfigurationPath, meta)
	}
	m.Handle("GET "+OAuthMetadataPath, meta)
	m.Handle("GET /jwks", ids.JWKSHandler())
	m.HandleFunc("GET /authorize", s.authorize)
	m.HandleFunc("POST /authorize", s.decide)
	m.HandleFunc("/token", s.token)
	m.HandleFunc("/device_authorization", s.deviceAuthorization)
	m.HandleFunc("GET /device", s.devicePage)
	m.HandleFunc("POST /device", s.deviceDecide)
	m.HandleFunc("POST /revoke", s.revoke)
	m.HandleFunc("GET /userinfo", s.userinfo)
	m.HandleFunc("GET /{tenant}/v2.0/adminconsent", s.adminConsent)
	m.HandleFunc("GET /{tenant}/adminconsent", s.adminConsent)
	m.HandleFunc("POST /adminconsent", s.adminConsentDecide)
	s.mux = m
	return s
}

// Start serves a new emulator on a loopback port until Close.
func Start(opts Options) *Server {
	s := New(opts)
	s.hs = httptest.NewServer(s)
	s.URL = s.hs.URL
	return s
}

// Close stops a server that Start started.
func (s *Server) Close() {
	if s.hs != nil {
		s.hs.Close()
	}
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// issuer is the issuer identifier of a request: its BaseURL.
func issuer(r *http.Request) string { return BaseURL(r) }

// metadata is the server's discovery document (RFC 8414 §2).
func (s *Server) metadata(_ *http.Request, iss string) map[string]any {
	return map[string]any{
		"issuer":                                           iss,
		"authorization_endpoint":                           iss + "/authorize",
		"token_endpoint":                                   iss + "/token",
		"device_authorization_endpoint":                    iss + "/device_authorization",
		"revocation_endpoint":                              iss + "/revoke",
		"jwks_uri":                                         iss + "/jwks",
		"response_types_supported":                         []string{"code"},
		"response_modes_supported":                         []string{"query"},
		"grant_types_supported":                            []string{"authorization_code", "refresh_token", "client_credentials", DeviceGrantType, JWTBearerGrantType},
		"userinfo_endpoint":                                iss + "/userinfo",
		"dpop_signing_alg_values_supported":                []string{"ES256", "ES384", "ES512", "RS256", "PS256"},
		"code_challenge_methods_supported":                 []string{"S256"},
		"token_endpoint_auth_methods_supported":            []string{"client_secret_basic", "client_secret_post", "private_key_jwt", "none"},
		"token_endpoint_auth_signing_alg_values_supported": []string{"RS256", "RS384", "RS512", "PS256", "ES256", "ES384"},
		"subject_types_supported":                          []string{"public"},
		"id_token_signing_alg_values_supported":            []string{"ES256"},
		"authorization_response_iss_parameter_supported":   true,
	}
}

// Lookup returns what a live access token stands for.
func (s *Server) Lookup(accessToken string) (Grant, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.access[accessToken]
	if !ok || !s.opts.Now().Before(g.Expiry) {
		return Grant{}, false
	}
	return *g, true
}

// Revoke revokes a refresh token or an access token (RFC 7009 §2.1: with
// a refresh token, the access tokens issued with it too).
func (s *Server) Revoke(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revokeLocked(token)
}

func (s *Server) revokeLocked(token string) {
	if rs, ok := s.refresh[token]; ok {
		rs.revoked = true
		for _, at := range rs.accessTokens {
			delete(s.access, at)
		}
	}
	delete(s.access, token)
}

// RevokeAll revokes every token of a client, as an admin removing its
// consent would.
func (s *Server) RevokeAll(clientID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for t, rs := range s.refresh {
		if rs.clientID == clientID {
			s.revokeLocked(t)
		}
	}
	for t, g := range s.access {
		if g.ClientID == clientID {
			delete(s.access, t)
		}
	}
}

func (s *Server) client(id string) (Client, bool) {
	for _, c := range s.opts.Clients {
		if c.ID == id {
			return c, true
		}
	}
	return Client{}, false
}

// writeJSON writes an answer of the token, device or revocation
// endpoint: JSON that no cache may keep (RFC 6749 §5.1).
func writeJSON(w http.ResponseWriter, status int, v any) {
	NoStore(w.Header())
	WriteJSON(w, status, v)
}

// oauthError is an error response of RFC 6749 §5.2.
type oauthError struct {
	status int
	code   string
	desc   string
	basic  bool // the client tried HTTP Basic: answer WWW-Authenticate
}

func (e *oauthError) write(w http.ResponseWriter) {
	if e.status == http.StatusUnauthorized && e.basic {
		// RFC 6749 §5.2: 401 and WWW-Authenticate for a failed Basic auth.
		w.Header().Set("WWW-Authenticate", `Basic realm="oauthtest"`)
	}
	writeJSON(w, e.status, map[string]string{"error": e.code, "error_description": e.desc})
}

// The errors of RFC 6749 §5.2: 400, except invalid_client, 401.
func invalidRequest(desc string) *oauthError { return &oauthError{400, "invalid_request", desc, false} }
func invalidGrant(desc string) *oauthError   { return &oauthError{400, "invalid_grant", desc, false} }
func invalidScope(desc string) *oauthError   { return &oauthError{400, "invalid_scope", desc, false} }
func unauthorizedClient(desc string) *oauthError {
	return &oauthError{400, "unauthorized_client", desc, false}
}
func invalidClient(desc string, basic bool) *oauthError {
	return &oauthError{401, "invalid_client", desc, basic}
}

func randomToken(prefix string) string { return prefix + rand.Text() }
