// Package salesforcetest emulates the parts of Salesforce that tether
// talks to, per shared/providers/entra-google-salesforce.md §3: the token
// endpoint of the login hosts (login.salesforce.com, test.salesforce.com)
// and of each org's My Domain, with the JWT bearer grant, and the REST API
// of each org's instance (the Versions resource, userinfo, Limits and the
// SOQL queries tether makes), with the real statuses and error bodies:
// token errors as {"error","error_description"}, REST errors as JSON
// arrays of {"message","errorCode"}. Token responses carry no
// expires_in, issued_at as a string of epoch milliseconds, an
// instance_url distinct from the login host and an identity URL naming
// the org and the user.
//
// It is strict on purpose: an unknown consumer key, an assertion not
// signed by the app's certificate, a wrong audience, a user the app does
// not pre-authorize, a session without the api scope, and a user or org
// without "API Enabled" are each refused as Salesforce refuses them. It
// imports nothing of tether's but the kit.
package salesforcetest

import (
	"crypto/rand"
	"crypto/x509"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tetherdev/tether/flows/oauthtest"
)

// The generic login hosts.
const (
	ProductionHost = "login.salesforce.com"
	SandboxHost    = "test.salesforce.com"
)

// Org is one emulated Salesforce org.
type Org struct {
	// ID is the 18-character org id (00D…).
	ID string
	// MyDomain is the org's My Domain host, its instance
	// (acme.my.salesforce.com, acme--dev.sandbox.my.salesforce.com).
	MyDomain string
	// Sandbox orgs sign in at test.salesforce.com, others at
	// login.salesforce.com; both at their My Domain.
	Sandbox bool
	// APIDisabled is an edition without API access (Professional Edition
	// without the add-on).
	APIDisabled bool
	Apps        []App
	Users       []User
	// BrowserUser is the username signed in to the org's browser, who
	// decides on consent pages; "" means the first user.
	BrowserUser string
}

func (o *Org) browserUser() *User {
	for i := range o.Users {
		if o.BrowserUser == "" || o.Users[i].Username == o.BrowserUser {
			return &o.Users[i]
		}
	}
	return nil
}

// LoginHost is the generic login host of the org's kind.
func (o Org) LoginHost() string {
	if o.Sandbox {
		return SandboxHost
	}
	return ProductionHost
}

// App is an External Client App (or a connected app) of the org.
type App struct {
	Name           string
	ConsumerKey    string
	ConsumerSecret string
	// Certificates verify JWT bearer assertions ("Use digital
	// signatures"); none means the JWT bearer flow is not set up.
	Certificates []*x509.Certificate
	// Scopes are the Selected OAuth Scopes.
	Scopes []string
	// AdminApproved is Permitted Users "Admin approved users are
	// pre-authorized": only users with a profile or permission set in
	// Permitted may use the app; otherwise any user may (after consent).
	AdminApproved bool
	Permitted     []string
	// CallbackURLs are matched exactly by the web server flow.
	CallbackURLs []string
	// RequireSecret is "Require Secret for Web Server Flow";
	// RequireSecretForRefresh "Require Secret for Refresh Token Flow".
	RequireSecret, RequireSecretForRefresh bool
	// RotateRefreshTokens is "Enable Refresh Token Rotation".
	RotateRefreshTokens bool
	// DeviceFlow is "Enable Device Flow".
	DeviceFlow bool
}

// User is a user of the org.
type User struct {
	ID       string // 18 characters, 005…
	Username string
	Name     string
	Email    string
	Profile  string
	// PermissionSets are assigned besides the profile.
	PermissionSets []string
	// Integration is a Salesforce Integration user licence.
	Integration bool
	// APIEnabled is "API Enabled" from the profile or a permission set.
	APIEnabled bool
	Inactive   bool
	// NoViewSetup lacks "View Setup and Configuration", which the Limits
	// resource may need (UNVERIFIED, §5 item 6).
	NoViewSetup bool
}

func (u User) permitted(a App) bool {
	if !a.AdminApproved {
		return true
	}
	return slices.Contains(a.Permitted, u.Profile) || slices.ContainsFunc(u.PermissionSets, func(p string) bool { return slices.Contains(a.Permitted, p) })
}

// Options configure a Server.
type Options struct {
	Orgs []Org
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// DeviceInterval is the device flow's polling interval; 0 means 5
	// seconds.
	DeviceInterval time.Duration
}

// session is what an access token stands for.
type session struct {
	orgID, userID, appKey string
	scopes                []string
	// host is the instance host the session is valid at.
	host string
}

// Server is the emulator. Its methods are safe for concurrent use.
type Server struct {
	opts    Options
	mux     *http.ServeMux
	replay  oauthtest.ReplayCache
	devices oauthtest.DeviceCodes

	mu       sync.Mutex
	orgs     []Org
	sessions map[string]session
	pending  map[string]pending
	codes    map[string]pending
	refresh  map[string]refreshGrant // by digest
	hits     map[string]int
}

// New returns an emulator serving opts.Orgs.
func New(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{opts: opts, orgs: cloneOrgs(opts.Orgs), sessions: map[string]session{},
		pending: map[string]pending{}, codes: map[string]pending{}, refresh: map[string]refreshGrant{}, hits: map[string]int{}}
	m := http.NewServeMux()
	m.HandleFunc("POST /services/oauth2/token", s.token)
	m.HandleFunc("/services/oauth2/token", methodNotAllowed)
	m.HandleFunc("GET /services/oauth2/authorize", s.authorize)
	m.HandleFunc("POST /services/oauth2/authorize/decision", s.decide)
	m.HandleFunc("GET /services/oauth2/userinfo", s.userinfo)
	m.HandleFunc("GET /services/data/{$}", s.versions)
	m.HandleFunc("GET /services/data/{version}/limits", s.limits)
	m.HandleFunc("GET /services/data/{version}/query", s.query)
	m.HandleFunc("/services/data/", s.notFound)
	s.mux = m
	return s
}

func cloneOrgs(orgs []Org) []Org {
	out := slices.Clone(orgs)
	for i := range out {
		out[i].Apps = slices.Clone(out[i].Apps)
		for j := range out[i].Apps {
			out[i].Apps[j].Scopes = slices.Clone(out[i].Apps[j].Scopes)
			out[i].Apps[j].CallbackURLs = slices.Clone(out[i].Apps[j].CallbackURLs)
		}
		out[i].Users = slices.Clone(out[i].Users)
	}
	return out
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

// SetScopes sets an app's Selected OAuth Scopes.
func (s *Server) SetScopes(orgID, consumerKey string, scopes []string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.appLocked(orgID, consumerKey)
	if a == nil {
		return false
	}
	a.Scopes = slices.Clone(scopes)
	return true
}

// Scopes returns an app's Selected OAuth Scopes.
func (s *Server) Scopes(orgID, consumerKey string) ([]string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.appLocked(orgID, consumerKey)
	if a == nil {
		return nil, false
	}
	return slices.Clone(a.Scopes), true
}

// SetUser changes a user of an org (API Enabled, the profile), as an
// admin would in Setup → Users.
func (s *Server) SetUser(orgID, userID string, f func(*User)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.orgs {
		if s.orgs[i].ID != orgID {
			continue
		}
		for j := range s.orgs[i].Users {
			if s.orgs[i].Users[j].ID == userID {
				f(&s.orgs[i].Users[j])
				return true
			}
		}
	}
	return false
}

func (s *Server) appLocked(orgID, consumerKey string) *App {
	for i := range s.orgs {
		if s.orgs[i].ID != orgID {
			continue
		}
		for j := range s.orgs[i].Apps {
			if s.orgs[i].Apps[j].ConsumerKey == consumerKey {
				return &s.orgs[i].Apps[j]
			}
		}
	}
	return nil
}

// loopback reports whether a request reached the emulator by address (a
// test server), not by a Salesforce host name.
func loopback(r *http.Request) bool {
	h := oauthtest.RequestHost(r)
	return h == "localhost" || strings.Count(h, ".") == 3 && strings.HasPrefix(h, "127.") || h == "::1"
}

// reaches reports whether a login request sent to host may sign in to
// org: its generic login host or its My Domain (or any, by address).
func reaches(r *http.Request, o Org) bool {
	h := oauthtest.RequestHost(r)
	return loopback(r) || h == o.LoginHost() || h == o.MyDomain
}

// instanceURL is the org's instance as a token response names it: its My
// Domain, or the emulator's own address when reached by address.
func instanceURL(r *http.Request, o Org) string {
	if loopback(r) {
		return oauthtest.BaseURL(r)
	}
	return "https://" + o.MyDomain
}

func methodNotAllowed(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Allow", http.MethodPost)
	restError(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "HTTP Method not allowed")
}

// newAccessToken makes a session id as Salesforce does: the org's
// 15-character id, "!", then an opaque part.
func newAccessToken(orgID string) string {
	return orgID[:15] + "!AQ0AQ" + rand.Text() + rand.Text()
}
