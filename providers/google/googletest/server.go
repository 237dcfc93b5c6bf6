// Package googletest emulates the parts of Google that tether's Google
// Workspace provider talks to, as strictly as Google does: the token
// endpoint's JWT bearer grant for service accounts with domain-wide
// delegation (the assertion's RS256 signature by the key its kid names,
// iss, aud, iat/exp, sub a user of the domain, every scope delegated to
// the client id), the service accounts' public certificates, tokeninfo,
// and the Admin SDK Directory and Reports reads, which answer 403 with
// Google's own bodies when the token lacks the scope, the admin lacks
// the role, or the Admin SDK API is disabled in the project.
//
// Wire contract: shared/providers/entra-google-salesforce.md §2.
package googletest

import (
	"crypto"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tetherdev/tether/flows/oauthtest"
)

// Hosts are Google's names the emulator answers for.
var Hosts = []string{"oauth2.googleapis.com", "accounts.google.com", "admin.googleapis.com", "www.googleapis.com"}

// User is a user of the domain.
type User struct {
	Email string
	ID    string // 21 digits
	Name  string
	// Admin is a super admin: it reads everything the Admin SDK serves.
	Admin bool
	// Deleted users cannot be impersonated.
	Deleted bool
}

// Group is a group with its members' addresses.
type Group struct {
	ID, Email, Name string
	Members         []string
}

// Key is one of a service account's keys.
type Key struct {
	ID      string // private_key_id: 40 hex digits
	Public  crypto.PublicKey
	Created time.Time
}

// ServiceAccount is a service account of the customer's Cloud project.
type ServiceAccount struct {
	Email    string
	ClientID string // the numeric id domain-wide delegation lists
	Keys     []Key
	Disabled bool
}

// Domain is a Workspace customer: its users and groups, the Admin
// console's domain-wide delegation list, and the Cloud project its
// service accounts live in.
type Domain struct {
	Name       string // "acme.com"
	CustomerID string // "C03az79cb"
	Users      []User
	Groups     []Group
	// Delegation is the Admin console's domain-wide delegation: client
	// id → the scopes it is authorised for.
	Delegation map[string][]string
	// ProjectNumber is the Cloud project's number, in the
	// accessNotConfigured error.
	ProjectNumber   string
	ServiceAccounts []ServiceAccount
	// APIDisabled turns the Admin SDK API off in the project.
	APIDisabled bool
	// OAuthClients are the project's Desktop app clients.
	OAuthClients []OAuthClient
}

// Options configure a Server.
type Options struct {
	Domain Domain
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// ClockOffset is how far Google's clock is ahead of Now (negative:
	// behind): the skew knob.
	ClockOffset time.Duration
	// Leeway is the skew forgiven on iat and exp; 0 means one minute.
	Leeway time.Duration
	// RotateRefreshTokens issues a new refresh token on each refresh and
	// revokes the one used.
	RotateRefreshTokens bool
}

// grant is what an access token stands for.
type grant struct {
	clientID string // the service account's client id
	subject  string // the user acted as; the service account itself when ""
	scopes   []string
	expiry   time.Time
}

// Server is the emulator. Its methods are safe for concurrent use.
type Server struct {
	mu      sync.Mutex
	opts    Options
	access  map[string]grant
	certs   *certAuthority
	consent consentState
}

// New returns an emulator of opts.Domain.
func New(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Leeway == 0 {
		opts.Leeway = time.Minute
	}
	if opts.Domain.Delegation == nil {
		opts.Domain.Delegation = map[string][]string{}
	}
	return &Server{opts: opts, access: map[string]grant{}, certs: newCertAuthority(), consent: consentState{
		requests: map[string]consentRequest{}, codes: map[string]authCode{}, refresh: map[string]*refreshGrant{}, granted: map[string][]string{}}}
}

func (s *Server) now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nowLocked()
}

func (s *Server) nowLocked() time.Time { return s.opts.Now().Add(s.opts.ClockOffset) }

// routes maps each path to the hosts that serve it and its handler.
func (s *Server) route(path string) (hosts []string, h func(http.ResponseWriter, *http.Request)) {
	switch {
	case path == "/token":
		return []string{"oauth2.googleapis.com"}, s.token
	case path == "/o/oauth2/token":
		return []string{"accounts.google.com"}, s.token
	case path == "/oauth2/v4/token":
		return []string{"www.googleapis.com"}, s.token
	case path == "/o/oauth2/v2/auth", path == "/o/oauth2/auth":
		return []string{"accounts.google.com"}, s.authorize
	case path == "/signin/oauth/consent":
		return []string{"accounts.google.com"}, s.decide
	case path == "/tokeninfo":
		return []string{"oauth2.googleapis.com"}, s.tokenInfo
	case path == "/oauth2/v3/tokeninfo":
		return []string{"www.googleapis.com"}, s.tokenInfo
	case strings.HasPrefix(path, "/robot/v1/metadata/x509/"), strings.HasPrefix(path, "/service_accounts/v1/metadata/x509/"):
		return []string{"www.googleapis.com"}, s.x509
	case strings.HasPrefix(path, "/admin/directory/v1/"), strings.HasPrefix(path, "/admin/reports/v1/"):
		return []string{"admin.googleapis.com", "www.googleapis.com"}, s.admin
	}
	return nil, nil
}

// ServeHTTP implements http.Handler. A request to a bare address (a test's
// httptest server) reaches every path; one to a Google host only what
// that host serves.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hosts, h := s.route(r.URL.Path)
	host := oauthtest.RequestHost(r)
	named := slices.Contains(Hosts, host)
	if h == nil || (named && !slices.Contains(hosts, host)) {
		notFound(w, r)
		return
	}
	h(w, r)
}

// notFound is Google's 404 page, which is HTML.
func notFound(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte("<!DOCTYPE html><html lang=en><title>Error 404 (Not Found)!!1</title><p><b>404.</b> <ins>That’s an error.</ins><p>The requested URL <code>" +
		strings.NewReplacer("<", "&lt;", ">", "&gt;", "&", "&amp;").Replace(r.URL.Path) + "</code> was not found on this server.  <ins>That’s all we know.</ins></html>"))
}

// SetDelegation sets the scopes domain-wide delegation authorises for
// clientID, as the Admin console's Domain-wide delegation page does; nil
// removes the client id.
func (s *Server) SetDelegation(clientID string, scopes []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if scopes == nil {
		delete(s.opts.Domain.Delegation, clientID)
		return
	}
	s.opts.Domain.Delegation[clientID] = slices.Clone(scopes)
}

// Delegation returns the scopes delegated to clientID.
func (s *Server) Delegation(clientID string) ([]string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc, ok := s.opts.Domain.Delegation[clientID]
	return slices.Clone(sc), ok
}

// SetAPIDisabled turns the Admin SDK API off (or on) in the project.
func (s *Server) SetAPIDisabled(off bool) {
	s.mu.Lock()
	s.opts.Domain.APIDisabled = off
	s.mu.Unlock()
}

// SetAdmin makes the user with email a super admin, or not.
func (s *Server) SetAdmin(email string, admin bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.opts.Domain.Users {
		if strings.EqualFold(s.opts.Domain.Users[i].Email, email) {
			s.opts.Domain.Users[i].Admin = admin
		}
	}
}

// DeleteKey deletes a service account key, as the Keys tab does.
func (s *Server) DeleteKey(keyID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.opts.Domain.ServiceAccounts {
		sa := &s.opts.Domain.ServiceAccounts[i]
		sa.Keys = slices.DeleteFunc(sa.Keys, func(k Key) bool { return k.ID == keyID })
	}
}

// SetDisabled disables (or enables) the service account with email.
func (s *Server) SetDisabled(email string, disabled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.opts.Domain.ServiceAccounts {
		if s.opts.Domain.ServiceAccounts[i].Email == email {
			s.opts.Domain.ServiceAccounts[i].Disabled = disabled
		}
	}
}

// SetClockOffset sets how far Google's clock is ahead of Options.Now.
func (s *Server) SetClockOffset(d time.Duration) {
	s.mu.Lock()
	s.opts.ClockOffset = d
	s.mu.Unlock()
}

func (s *Server) serviceAccountLocked(email string) (ServiceAccount, bool) {
	i := slices.IndexFunc(s.opts.Domain.ServiceAccounts, func(sa ServiceAccount) bool { return sa.Email == email })
	if i < 0 {
		return ServiceAccount{}, false
	}
	return s.opts.Domain.ServiceAccounts[i], true
}

func (s *Server) userLocked(email string) (User, bool) {
	i := slices.IndexFunc(s.opts.Domain.Users, func(u User) bool { return strings.EqualFold(u.Email, email) })
	if i < 0 {
		return User{}, false
	}
	return s.opts.Domain.Users[i], true
}

// randomToken is an opaque access token in Google's style.
func randomToken() string {
	b := make([]byte, 48)
	_, _ = rand.Read(b)
	return "ya29.c." + hex.EncodeToString(b)
}

func errorf(format string, args ...any) error {
	return fmt.Errorf("googletest: "+format, args...)
}
