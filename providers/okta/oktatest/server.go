// Package oktatest emulates the parts of Okta that tether talks to, per
// shared/providers/okta-duo-auth0.md §1: SSWS API tokens, the read
// endpoints the platform uses (with cursor pagination in Link headers),
// the current user, role assignments of users and clients, custom roles'
// permissions and resource sets, the org discovery document, and the
// org authorization server's token endpoint for service apps
// (private_key_jwt, okta.* scopes, DPoP with the nonce challenge). It
// answers with Okta's error envelopes (E0000005, E0000006, E0000011,
// E0000047 …) and rate-limit headers, and is strict on purpose: what a
// real org refuses, it refuses the same way.
//
// Authorization follows Okta's model: a request is allowed when the
// caller's admin roles allow it, and, for an OAuth token, when the token
// also carries the endpoint's scope (a token lists the scopes granted to
// the app even when its roles cannot use them).
package oktatest

import (
	"crypto"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tetherdev/tether/flows/oauthtest"
)

// Org is one emulated Okta org.
type Org struct {
	// Domain is the org's Okta domain ("acme.okta.com").
	Domain string
	// CustomDomains also reach the org; discovery maps them to Domain.
	CustomDomains []string
	// ID is the org id (00o…), in its ORNs.
	ID string
	// Classic makes it a Classic Engine org: no Authenticators API.
	Classic bool

	Users    []User
	Groups   []Named
	Apps     []Named
	Zones    []Named
	Policies []Named // OKTA_SIGN_ON policies
	Logs     []Log
	// Tokens are the SSWS API tokens, each acting as its owner.
	Tokens []APIToken
	// Assignments are the admin role assignments, by principal id (a user
	// 00u… or a client 0oa…).
	Assignments map[string][]Assignment
	CustomRoles []CustomRole
	// ResourceSets hold resources as ORNs or API URLs.
	ResourceSets []ResourceSet
	ServiceApps  []ServiceApp

	// withheld are the identifiers the server withholds (Withhold), as
	// orgFor copies them in.
	withheld []string
}

// Hosts are the org's host names: its domain, then its custom domains.
func (o Org) Hosts() []string { return append([]string{o.Domain}, o.CustomDomains...) }

// User is a user of the org.
type User struct {
	ID, Login, FirstName, LastName string
	Status                         string // ACTIVE when empty
	Factors                        []Factor
}

// Factor is an enrolled MFA factor.
type Factor struct {
	ID, Type, Provider string
}

// Named is a group, app, zone or policy: an id and a name.
type Named struct{ ID, Name string }

// Log is a System Log event.
type Log struct {
	UUID, Published, EventType, ActorID string
}

// APIToken is an SSWS token.
type APIToken struct {
	ID, Name, Value string
	UserID          string
}

// Assignment is one admin role assignment: a standard role (Type), or a
// custom role (Type CUSTOM, Role and ResourceSet set).
type Assignment struct {
	ID, Type, Label   string
	Role, ResourceSet string
	// Status is ACTIVE when empty.
	Status string
}

// CustomRole is a custom admin role and its permissions.
type CustomRole struct {
	ID, Label   string
	Permissions []string
}

// ResourceSet is a set of resources a custom role is bound to.
type ResourceSet struct {
	ID, Label string
	Resources []string
}

// ServiceApp is an API Services app of the org authorization server.
type ServiceApp struct {
	ClientID   string
	Label      string
	PublicKeys []crypto.PublicKey
	// Inactive are keys deactivated and not yet deleted.
	Inactive []crypto.PublicKey
	// Scopes are the okta.* scopes granted to the app.
	Scopes []string
	// DPoP requires DPoP-bound tokens.
	DPoP bool
}

// Options configure a Server.
type Options struct {
	Orgs []Org
	// RateLimit is the requests per org per RateWindow; 0 means 600.
	RateLimit  int
	RateWindow time.Duration // 0 means one minute
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// DPoPNonce makes the token endpoint demand its nonce in DPoP proofs.
	DPoPNonce bool
}

// RateLimitHeaders are Okta's rate-limit headers (§1.3).
var RateLimitHeaders = oauthtest.RateLimitHeaders{
	Limit: "X-Rate-Limit-Limit", Remaining: "X-Rate-Limit-Remaining", Reset: "X-Rate-Limit-Reset",
}

// Server is the emulator. Its methods are safe for concurrent use.
type Server struct {
	opts    Options
	limiter *oauthtest.RateLimiter
	mux     *http.ServeMux
	oauth   *oauthServers

	mu       sync.Mutex
	orgs     []Org
	hits     map[string]int
	withheld []string
}

// Withhold makes every org withhold catalog identifiers, whatever its
// data says and whenever it was made: "/api/v1/*" voids Read-Only
// Administrator assignments, and a permission is left out of every custom
// role (the sandbox's --sandbox-deny). It replaces what was withheld.
func (s *Server) Withhold(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.withheld = slices.Clone(ids)
}

// New returns an emulator serving opts.Orgs.
func New(opts Options) *Server {
	if opts.RateLimit == 0 {
		opts.RateLimit = 600
	}
	if opts.RateWindow == 0 {
		opts.RateWindow = time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{opts: opts, limiter: oauthtest.NewRateLimiter(opts.RateLimit, opts.RateWindow, RateLimitHeaders, opts.Now),
		orgs: cloneOrgs(opts.Orgs), hits: map[string]int{}}
	s.oauth = newOAuthServers(s)
	m := http.NewServeMux()
	m.HandleFunc("GET /.well-known/okta-organization", s.wellKnown)
	m.HandleFunc("/oauth2/v1/token", s.token)
	m.HandleFunc("/oauth2/v1/clients/", s.api)
	m.HandleFunc("/api/v1/", s.api)
	s.mux = m
	return s
}

// ServeHTTP implements http.Handler: every answer carries a request id,
// as Okta's do.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hits[r.URL.Path]++
	s.mu.Unlock()
	w.Header().Set("X-Okta-Request-Id", requestID())
	w.Header().Set("Date", s.opts.Now().UTC().Format(http.TimeFormat))
	s.mux.ServeHTTP(w, r)
}

// Hits returns how many requests reached path.
func (s *Server) Hits(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// Hosts returns the host names of every org.
func (s *Server) Hosts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, o := range s.orgs {
		out = append(out, o.Hosts()...)
	}
	return out
}

func requestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "X" + hex.EncodeToString(b)
}

// orgFor finds the org a request's Host names, as a deep copy.
func (s *Server) orgFor(r *http.Request) (Org, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := oauthtest.TenantFor(r, s.orgs, Org.Hosts)
	if !ok {
		return Org{}, false
	}
	o = cloneOrg(o)
	o.withheld = slices.Clone(s.withheld)
	for who, as := range o.Assignments {
		if slices.Contains(o.withheld, readPermission) {
			o.Assignments[who] = slices.DeleteFunc(as, func(a Assignment) bool { return a.Type == "READ_ONLY_ADMIN" })
		}
	}
	for i := range o.CustomRoles {
		o.CustomRoles[i].Permissions = slices.DeleteFunc(o.CustomRoles[i].Permissions, func(p string) bool { return slices.Contains(o.withheld, p) })
	}
	return o, true
}

// update changes the org with domain under the lock.
func (s *Server) update(domain string, f func(o *Org) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.orgs {
		if s.orgs[i].Domain == domain {
			return f(&s.orgs[i])
		}
	}
	return errNoOrg(domain)
}

// Update changes the org named by domain, as an admin would in the
// Admin Console.
func (s *Server) Update(domain string, f func(o *Org)) error {
	return s.update(domain, func(o *Org) error { f(o); return nil })
}

// Org returns a copy of the org named by domain.
func (s *Server) Org(domain string) (Org, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.orgs, func(o Org) bool { return o.Domain == domain })
	if i < 0 {
		return Org{}, false
	}
	return cloneOrg(s.orgs[i]), true
}

func cloneOrgs(orgs []Org) []Org {
	out := make([]Org, len(orgs))
	for i, o := range orgs {
		out[i] = cloneOrg(o)
	}
	return out
}

func cloneOrg(o Org) Org {
	o.CustomDomains = slices.Clone(o.CustomDomains)
	o.Users = slices.Clone(o.Users)
	for i := range o.Users {
		o.Users[i].Factors = slices.Clone(o.Users[i].Factors)
	}
	o.Groups, o.Apps, o.Zones, o.Policies = slices.Clone(o.Groups), slices.Clone(o.Apps), slices.Clone(o.Zones), slices.Clone(o.Policies)
	o.Logs, o.Tokens = slices.Clone(o.Logs), slices.Clone(o.Tokens)
	as := make(map[string][]Assignment, len(o.Assignments))
	for k, v := range o.Assignments {
		as[k] = slices.Clone(v)
	}
	o.Assignments = as
	o.CustomRoles = slices.Clone(o.CustomRoles)
	for i := range o.CustomRoles {
		o.CustomRoles[i].Permissions = slices.Clone(o.CustomRoles[i].Permissions)
	}
	o.ResourceSets = slices.Clone(o.ResourceSets)
	for i := range o.ResourceSets {
		o.ResourceSets[i].Resources = slices.Clone(o.ResourceSets[i].Resources)
	}
	o.ServiceApps = slices.Clone(o.ServiceApps)
	for i := range o.ServiceApps {
		o.ServiceApps[i].Scopes = slices.Clone(o.ServiceApps[i].Scopes)
		o.ServiceApps[i].PublicKeys = slices.Clone(o.ServiceApps[i].PublicKeys)
		o.ServiceApps[i].Inactive = slices.Clone(o.ServiceApps[i].Inactive)
	}
	return o
}

// wellKnown is GET /.well-known/okta-organization (§1.1): the org's Okta
// URL, and its custom domain as the alternate.
func (s *Server) wellKnown(w http.ResponseWriter, r *http.Request) {
	o, ok := s.orgFor(r)
	if !ok {
		oktaError(w, http.StatusNotFound, "E0000007", "Not found: Resource not found: okta-organization (Org)")
		return
	}
	links := map[string]any{"organization": map[string]string{"href": "https://" + o.Domain}}
	if len(o.CustomDomains) > 0 {
		links["alternate"] = map[string]string{"href": "https://" + o.CustomDomains[0]}
	}
	pipeline := "idx"
	if o.Classic {
		pipeline = "v1"
		delete(links, "alternate")
	}
	oauthtest.WriteJSON(w, http.StatusOK, map[string]any{"id": o.ID, "_links": links, "pipeline": pipeline})
}

// The Okta error bodies the emulator sends (§1.3, copied from the spec's
// examples and the error-code catalog).
var summaries = map[string]string{
	"E0000001": "Api validation failed: {0}",
	"E0000005": "Invalid session",
	"E0000006": "You do not have permission to perform the requested action",
	"E0000007": "Not found: {0}",
	"E0000011": "Invalid token provided",
	"E0000015": "You do not have permission to access the feature you are requesting",
	"E0000022": "The endpoint does not support the provided HTTP method",
	"E0000047": "API call exceeded rate limit due to too many requests.",
}

// oktaError writes Okta's error envelope; summary "" is the code's own.
func oktaError(w http.ResponseWriter, status int, code, summary string) {
	if summary == "" {
		summary = summaries[code]
	}
	oauthtest.WriteJSON(w, status, map[string]any{
		"errorCode": code, "errorSummary": summary, "errorLink": code,
		"errorId": "oae" + requestID()[1:16], "errorCauses": []any{},
	})
}

// FaultResponse answers an injected 429, 500 or 503 as Okta does: its
// envelope, and on a 429 the rate-limit headers of an empty bucket, with
// no Retry-After (Okta sends none; clients read X-Rate-Limit-Reset).
func (s *Server) FaultResponse(w http.ResponseWriter, _ *http.Request, status int) {
	switch status {
	case http.StatusTooManyRequests:
		s.limiter.Exhausted(w, time.Second)
		w.Header().Del("Retry-After")
		oktaError(w, status, "E0000047", "")
	case http.StatusServiceUnavailable:
		oktaError(w, status, "E0000010", "Service is in read only mode")
	default:
		oktaError(w, status, "E0000009", "Internal Server Error")
	}
}

var _ oauthtest.FaultResponder = (*Server)(nil)

func isActive(status string) bool { return status == "" || status == "ACTIVE" }

func errNoOrg(domain string) error { return &orgError{domain} }

type orgError struct{ domain string }

func (e *orgError) Error() string { return "oktatest: no org " + e.domain }

// lower is a case-folded host, for matching.
func lower(s string) string { return strings.ToLower(s) }
