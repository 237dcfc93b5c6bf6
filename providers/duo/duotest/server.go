// Package duotest emulates the parts of Duo's Admin API that tether talks
// to, per shared/providers/okta-duo-auth0.md §2: request signatures
// checked as the service checks them (v2 with HMAC-SHA1 or HMAC-SHA512,
// v5; the parameters decoded and canonicalized again; the Date within a
// window of the server's clock), each grant of an Admin API application
// enforced per endpoint, Duo's envelopes and pagination (v1 offsets at
// the top level, v2 logs' next_offset inside the response), and its
// error codes and rate limit (429 42901 with no rate-limit headers).
//
// It is strict on purpose: a request the service refuses, it refuses
// with the same status and body. It serves plain http.Handler; the
// sandbox and the tests put it behind TLS. It imports nothing of
// tether's but the emulator kit.
package duotest

import (
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/tetherdev/tether/flows/oauthtest"
)

// The grants of an Admin API application, as its integration flags name
// them (duo_client_python admin.py create_integration).
const (
	GrantReadLog       = "adminapi_read_log"
	GrantReadResource  = "adminapi_read_resource"
	GrantWriteResource = "adminapi_write_resource"
	GrantInfo          = "adminapi_info"
	GrantSettings      = "adminapi_settings"
	GrantAdmins        = "adminapi_admins"
	GrantIntegrations  = "adminapi_integrations"
)

// Grants lists every grant an Admin API application can have.
var Grants = []string{GrantAdmins, GrantInfo, GrantIntegrations, GrantReadLog, GrantReadResource, GrantSettings, GrantWriteResource}

// Account is one emulated Duo account, reached at its API hostname.
type Account struct {
	// Host is the API hostname ("api-1a2b3c4d.duosecurity.com").
	Host         string
	Integrations []Integration
	Users        []User
	AuthLogs     []AuthLog
	AdminLogs    []AdminLog
}

// Integration is an Admin API application of the account.
type Integration struct {
	IKey, SKey, Name string
	// Grants are the ticked permissions, by flag name.
	Grants []string
}

// User is a user of the account.
type User struct {
	UserID   string `json:"user_id"`
	Username string `json:"username"`
	Realname string `json:"realname"`
	Email    string `json:"email"`
	Status   string `json:"status"`
	Created  int64  `json:"created"`
}

// AuthLog is an authentication event.
type AuthLog struct {
	// Timestamp is in Unix seconds; the event's isotimestamp and the v2
	// paging offset derive from it.
	Timestamp int64
	TxID      string
	Username  string
	UserKey   string
	EventType string // "authentication"
	Factor    string // "duo_push"
	Result    string // "success"
	Reason    string // "user_approved"
}

// AdminLog is an administrator action.
type AdminLog struct {
	Timestamp   int64  `json:"timestamp"`
	Username    string `json:"username"`
	Action      string `json:"action"`
	Object      string `json:"object"`
	Description string `json:"description"`
}

// Options configure a Server.
type Options struct {
	Accounts []Account
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// ClockOffset is how far the server's clock is ahead of Now: a
	// client whose clock reads Now is off by it.
	ClockOffset time.Duration
	// SkewWindow is how far a request's Date may be from the server's
	// clock; 0 means five minutes (the window is undocumented, §2.2).
	SkewWindow time.Duration
	// RateLimit bounds requests per integration per endpoint per
	// minute, LogRateLimit those to a log; 0 means 600. Duo's own
	// maintainer gives 2 a minute for the authentication log and 200 for
	// pages of objects (§2.4): tests that want those set them.
	RateLimit    int
	LogRateLimit int
}

// Server is the emulator. Its methods are safe for concurrent use.
type Server struct {
	opts Options
	mux  *http.ServeMux

	mu       sync.Mutex
	accounts []Account
	offset   time.Duration
	buckets  map[string]*bucket
	hits     map[string]int
}

type bucket struct {
	n     int
	reset time.Time
}

// New returns an emulator of opts.Accounts.
func New(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.SkewWindow == 0 {
		opts.SkewWindow = 5 * time.Minute
	}
	if opts.RateLimit == 0 {
		opts.RateLimit = 600
	}
	if opts.LogRateLimit == 0 {
		opts.LogRateLimit = 600
	}
	s := &Server{opts: opts, accounts: cloneAccounts(opts.Accounts), offset: opts.ClockOffset,
		buckets: map[string]*bucket{}, hits: map[string]int{}}
	m := http.NewServeMux()
	m.HandleFunc("GET /admin/v1/users", s.signed(GrantReadResource, false, s.users))
	m.HandleFunc("POST /admin/v1/users", s.signed(GrantWriteResource, false, s.createUser))
	m.HandleFunc("DELETE /admin/v1/users/{id}", s.signed(GrantWriteResource, false, s.deleteUser))
	m.HandleFunc("GET /admin/v2/logs/authentication", s.signed(GrantReadLog, true, s.authLogs))
	m.HandleFunc("GET /admin/v1/logs/administrator", s.signed(GrantReadLog, true, s.adminLogs))
	m.HandleFunc("GET /admin/v1/info/summary", s.signed(GrantInfo, false, s.summary))
	m.HandleFunc("GET /admin/v1/settings", s.signed(GrantSettings, false, s.settings))
	m.HandleFunc("GET /admin/v1/admins", s.signed(GrantAdmins, false, s.admins))
	m.HandleFunc("/", s.signed("", false, func(w http.ResponseWriter, _ *http.Request, _ *call) {
		s.fail(w, http.StatusNotFound, 40401, "Resource not found", "")
	}))
	s.mux = m
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hits[r.URL.Path]++
	s.mu.Unlock()
	w.Header().Set("Date", s.now().UTC().Format(http.TimeFormat))
	s.mux.ServeHTTP(w, r)
}

// Hits returns how many requests reached path.
func (s *Server) Hits(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// now is the server's clock.
func (s *Server) now() time.Time {
	s.mu.Lock()
	off := s.offset
	s.mu.Unlock()
	return s.opts.Now().Add(off)
}

// SetClockOffset sets how far the server's clock is ahead of Now.
func (s *Server) SetClockOffset(d time.Duration) {
	s.mu.Lock()
	s.offset = d
	s.mu.Unlock()
}

// SetGrants sets the grants of integration ikey of the account at host.
func (s *Server) SetGrants(host, ikey string, grants []string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.accounts {
		for j := range s.accounts[i].Integrations {
			if in := &s.accounts[i].Integrations[j]; s.accounts[i].Host == host && in.IKey == ikey {
				in.Grants = slices.Clone(grants)
				return true
			}
		}
	}
	return false
}

// GrantsOf returns the grants of integration ikey of the account at host.
func (s *Server) GrantsOf(host, ikey string) ([]string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.accounts {
		for _, in := range a.Integrations {
			if a.Host == host && in.IKey == ikey {
				return slices.Clone(in.Grants), true
			}
		}
	}
	return nil, false
}

// FaultResponse writes Duo's body for a fault's 429, 500 or 503, with no
// rate-limit headers, as Duo sends none.
func (s *Server) FaultResponse(w http.ResponseWriter, _ *http.Request, status int) {
	w.Header().Del("Retry-After")
	switch status {
	case http.StatusTooManyRequests:
		s.fail(w, status, 42901, "Too Many Requests", "")
	case http.StatusInternalServerError:
		s.fail(w, status, 50001, "Unknown internal server error", "")
	default:
		s.fail(w, status, status*100+1, http.StatusText(status), "")
	}
}

var _ oauthtest.FaultResponder = (*Server)(nil)

func cloneAccounts(as []Account) []Account {
	out := slices.Clone(as)
	for i := range out {
		out[i].Integrations = slices.Clone(out[i].Integrations)
		for j := range out[i].Integrations {
			out[i].Integrations[j].Grants = slices.Clone(out[i].Integrations[j].Grants)
		}
		out[i].Users = slices.Clone(out[i].Users)
		out[i].AuthLogs = slices.Clone(out[i].AuthLogs)
		out[i].AdminLogs = slices.Clone(out[i].AdminLogs)
	}
	return out
}

// Hosts returns the API hostname of every account.
func (s *Server) Hosts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.accounts))
	for i, a := range s.accounts {
		out[i] = a.Host
	}
	return out
}
