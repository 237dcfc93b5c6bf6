// Package auth0test emulates the parts of Auth0 that tether talks to, per
// shared/providers/okta-duo-auth0.md §3: the token endpoint (client
// credentials with a client secret or a private_key_jwt assertion, and
// the device code grant), the device authorization endpoint, discovery
// and the JWKS, and the Management API endpoints the platform reads, with
// the real statuses, error bodies and rate-limit headers. It is strict on
// purpose: every contract violation a real tenant refuses, it refuses the
// same way. A token is bound to the host it was issued through, as a
// real tenant's is: a custom domain's token is refused at the canonical
// domain, and the reverse.
//
// It is built from the flows/oauthtest kit and serves plain
// http.Handler; the sandbox and the tests put it behind TLS. Endpoints
// of Auth0's that tether never calls (/authorize, /userinfo, Management
// API writes) answer 404. It imports nothing of tether's but the kit.
package auth0test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tetherdev/tether/flows/oauthtest"
)

// Tenant is one emulated Auth0 tenant.
type Tenant struct {
	// Domain is the canonical tenant domain ("acme.us.auth0.com"). The
	// Management API audience is https://{Domain}/api/v2/.
	Domain string
	// CustomDomains also reach the tenant; tokens are still requested
	// for the canonical audience, and are valid only at the domain that
	// issued them.
	CustomDomains []string
	Clients       []Client
	Users         []User
	Logs          []Log
}

// Audience returns the tenant's Management API audience.
func (t Tenant) Audience() string { return "https://" + t.Domain + "/api/v2/" }

// Hosts are the host names that reach the tenant: its domain, then its
// custom domains.
func (t Tenant) Hosts() []string { return append([]string{t.Domain}, t.CustomDomains...) }

// Client is an application registered in the tenant.
type Client struct {
	ID     string
	Name   string
	Secret string
	// PublicKeys verify private_key_jwt assertions.
	PublicKeys []crypto.PublicKey
	// GrantTypes the application may use; nil means client_credentials.
	// A Native application for the device flow lists
	// oauthtest.DeviceGrantType and has neither Secret nor PublicKeys
	// (its Token Endpoint Authentication Method is None).
	GrantTypes []string
	// Grants are the client grants: audience → granted scopes. A client
	// without a grant for an audience cannot get a token for it.
	Grants map[string][]string
}

func (c Client) grantTypes() []string {
	if c.GrantTypes == nil {
		return []string{"client_credentials"}
	}
	return c.GrantTypes
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
	// SigningKey signs the tenants' tokens; nil means a key made once per
	// process. Give the same key to a later process for its tokens to
	// verify there.
	SigningKey crypto.Signer
}

// RateLimitHeaders are the Management API's rate-limit headers (docs-v2
// rate-limit-use-cases: x-ratelimit-limit, -remaining, -reset).
var RateLimitHeaders = oauthtest.RateLimitHeaders{
	Limit: "X-RateLimit-Limit", Remaining: "X-RateLimit-Remaining", Reset: "X-RateLimit-Reset",
}

// Server is the emulator. Its methods are safe for concurrent use.
type Server struct {
	opts    Options
	tokens  *oauthtest.TokenSigner
	limiter *oauthtest.RateLimiter
	replay  oauthtest.ReplayCache
	devices oauthtest.DeviceCodes
	mux     *http.ServeMux

	mu      sync.Mutex
	tenants []Tenant
	hits    map[string]int
}

// signingKey is the key emulated tenants sign access tokens with, made
// once per process: RSA key generation is slow, and tokens are still bound
// to their tenant by their audience and issuer.
var signingKey = sync.OnceValue(func() *rsa.PrivateKey {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	return key
})

// New returns an emulator serving opts.Tenants. It panics when
// opts.SigningKey cannot sign JWTs: a programming error of the caller.
func New(opts Options) *Server {
	if opts.RateLimit == 0 {
		opts.RateLimit = 1000
	}
	if opts.RateWindow == 0 {
		opts.RateWindow = time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	var key crypto.Signer = signingKey()
	if opts.SigningKey != nil {
		key = opts.SigningKey
	}
	tokens, err := oauthtest.NewTokenSigner(key, "")
	if err != nil {
		panic(fmt.Sprintf("auth0test: %v", err))
	}
	s := &Server{opts: opts, tokens: tokens,
		limiter: oauthtest.NewRateLimiter(opts.RateLimit, opts.RateWindow, RateLimitHeaders, opts.Now),
		tenants: cloneTenants(opts.Tenants), hits: map[string]int{}}
	m := http.NewServeMux()
	m.HandleFunc("POST /oauth/token", s.token)
	m.HandleFunc("/oauth/token", methodNotAllowed)
	m.HandleFunc("POST /oauth/device/code", s.deviceCode)
	m.HandleFunc("/oauth/device/code", methodNotAllowed)
	m.Handle("GET "+oauthtest.OpenIDConfigurationPath, oauthtest.DiscoveryHandler(s.discovery))
	m.HandleFunc("GET /.well-known/jwks.json", s.jwks)
	m.HandleFunc("/api/v2/", s.management)
	s.mux = m
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

// Hosts returns the host names of every tenant, canonical and custom.
func (s *Server) Hosts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, t := range s.tenants {
		out = append(out, t.Hosts()...)
	}
	return out
}

func methodNotAllowed(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Allow", "POST")
	oauthtest.WriteJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "invalid_request", "error_description": "Method not allowed"})
}

func cloneTenants(ts []Tenant) []Tenant {
	out := slices.Clone(ts)
	for i := range out {
		out[i].Clients = slices.Clone(out[i].Clients)
		for j := range out[i].Clients {
			out[i].Clients[j].Grants = cloneGrants(out[i].Clients[j].Grants)
		}
	}
	return out
}

func cloneGrants(g map[string][]string) map[string][]string {
	if g == nil {
		return nil
	}
	out := make(map[string][]string, len(g))
	for k, v := range g {
		out[k] = slices.Clone(v)
	}
	return out
}

// SetGrant replaces the scopes client clientID of tenant domain is granted
// for audience (nil removes the client grant), as an admin would in the
// dashboard.
func (s *Server) SetGrant(domain, clientID, audience string, scopes []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.clientLocked(domain, clientID)
	if c == nil {
		return fmt.Errorf("auth0test: no client %s in tenant %s", clientID, domain)
	}
	grants := cloneGrants(c.Grants)
	if grants == nil {
		grants = map[string][]string{}
	}
	if scopes == nil {
		delete(grants, audience)
	} else {
		grants[audience] = slices.Clone(scopes)
	}
	c.Grants = grants
	return nil
}

// Grant returns the scopes client clientID of tenant domain is granted for
// audience, and whether it has a client grant for it.
func (s *Server) Grant(domain, clientID, audience string) ([]string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.clientLocked(domain, clientID); c != nil {
		scopes, ok := c.Grants[audience]
		return slices.Clone(scopes), ok
	}
	return nil, false
}

func (s *Server) clientLocked(domain, clientID string) *Client {
	for ti := range s.tenants {
		if s.tenants[ti].Domain != domain {
			continue
		}
		for ci := range s.tenants[ti].Clients {
			if c := &s.tenants[ti].Clients[ci]; c.ID == clientID {
				return c
			}
		}
	}
	return nil
}

// tenantFor finds the tenant a request's Host names (oauthtest.TenantFor:
// an IP address or localhost reaches the first tenant). It returns a
// copy, which SetGrant and Restore do not change under the caller: they
// replace a client's Grants map, never write into one.
func (s *Server) tenantFor(r *http.Request) (Tenant, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := oauthtest.TenantFor(r, s.tenants, Tenant.Hosts)
	t.Clients = slices.Clone(t.Clients)
	return t, ok
}

// issuer is the iss of the tokens issued through the host a request
// reached: https://{host}/, with the trailing slash Auth0 puts there. A
// custom domain issues tokens with itself as the issuer.
func issuer(r *http.Request) string { return "https://" + strings.ToLower(r.Host) + "/" }

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	body := map[string]string{"error": code, "error_description": desc}
	if code == "unauthorized_client" {
		body["error_uri"] = "https://auth0.com/docs/clients/client-grant-types"
	}
	oauthtest.WriteJSON(w, status, body)
}

func mgmtError(w http.ResponseWriter, status int, msg, code string) {
	body := map[string]any{"statusCode": status, "error": http.StatusText(status), "message": msg}
	if code != "" {
		body["errorCode"] = code
	}
	oauthtest.WriteJSON(w, status, body)
}

// FaultResponse answers an injected 429, 500 or 503 as Auth0 would: the
// Management API's envelope under /api/v2/ (a 429 with its rate-limit
// headers at zero), the Authentication API's elsewhere (§3.2, §3.3).
func (s *Server) FaultResponse(w http.ResponseWriter, r *http.Request, status int) {
	if strings.HasPrefix(r.URL.Path, "/api/v2/") {
		switch status {
		case http.StatusTooManyRequests:
			s.limiter.Exhausted(w, time.Second)
			mgmtError(w, status, "Global limit has been reached", "too_many_requests")
		default:
			mgmtError(w, status, http.StatusText(status), "")
		}
		return
	}
	switch status {
	case http.StatusTooManyRequests:
		oauthError(w, status, "too_many_requests", "Too Many Requests")
	case http.StatusServiceUnavailable:
		oauthError(w, status, "temporarily_unavailable", "Service Unavailable")
	default:
		oauthError(w, status, "server_error", "Internal Server Error")
	}
}

var _ oauthtest.FaultResponder = (*Server)(nil)
