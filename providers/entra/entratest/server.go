// Package entratest emulates the parts of Microsoft Entra ID and
// Microsoft Graph that tether talks to, per
// shared/providers/entra-google-salesforce.md §1: the v2.0 token endpoint
// (client credentials with a client secret or a certificate assertion
// named by x5t#S256 or x5t) and its discovery document and keys, the
// admin consent endpoints with their consent page, and Microsoft Graph's
// applications list, with the real AADSTS error bodies and Graph error
// envelopes. Access tokens are v1.0 JWTs signed by the emulator, with
// roles, tid, aud, iss, appid and oid as Graph's are.
//
// It is strict on purpose: what Entra refuses, it refuses the same way.
// Knobs reproduce what admins meet: roles withheld, permissions
// requested as delegated instead of application ones, consent lag
// (roles reach new tokens only a while after they are granted), and
// expired secrets.
//
// It serves plain http.Handler for every cloud's sign-in and Graph
// hosts; the sandbox and the tests put it behind TLS. It imports nothing
// of tether's but the kit.
package entratest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tetherdev/tether/flows/oauthtest"
)

// Cloud is one Microsoft cloud's hosts, as the emulator serves them.
type Cloud struct {
	ID     string
	Login  string
	Graph  string
	Issuer string // the v1.0 token issuer's prefix, before the tenant id
}

// Clouds are the clouds the emulator serves.
var Clouds = []Cloud{
	{ID: "global", Login: "login.microsoftonline.com", Graph: "graph.microsoft.com", Issuer: "https://sts.windows.net/"},
	{ID: "usgov", Login: "login.microsoftonline.us", Graph: "graph.microsoft.us", Issuer: "https://login.microsoftonline.us/"},
	{ID: "usgov-dod", Login: "login.microsoftonline.us", Graph: "dod-graph.microsoft.us", Issuer: "https://login.microsoftonline.us/"},
	{ID: "china", Login: "login.chinacloudapi.cn", Graph: "microsoftgraph.chinacloudapi.cn", Issuer: "https://sts.chinacloudapi.cn/"},
}

func cloudByID(id string) Cloud {
	for _, c := range Clouds {
		if c.ID == id {
			return c
		}
	}
	return Clouds[0]
}

// Tenant is one emulated directory.
type Tenant struct {
	// ID is the tenant id, a GUID in lower case.
	ID string
	// Domains are its verified domains ("contoso.onmicrosoft.com").
	Domains []string
	// Cloud is the cloud it lives in; "" is global.
	Cloud string
	Apps  []App
	// Unlicensed are the licences it lacks (NoPremium, NoP2, NoIntune):
	// the reads that need one answer as Graph does without it.
	Unlicensed []string
	// NotEffective are roles that new tokens carry but Graph does not
	// honour yet (a consent that has reached the token service and not
	// yet Graph): their reads are refused as if the role were absent.
	NotEffective []string
}

// App is an app registration with its service principal in the tenant.
type App struct {
	AppID       string // the client id
	ObjectID    string // the application object's id
	SPID        string // its service principal's id (the token's oid)
	DisplayName string
	Secrets     []Secret
	// Certificates are its certificate credentials.
	Certificates []*x509.Certificate
	RedirectURIs []string
	// Required is its requiredResourceAccess on Microsoft Graph: what the
	// registration asks for (and admin consent grants).
	Required []Access
	// Assigned are the app role assignments on Microsoft Graph's service
	// principal: the application permissions granted.
	Assigned []Assignment
	// Tags are the application's tags.
	Tags []string
}

// Secret is one password credential: its value, or (restored from a
// saved state, which keeps no secret) its SHA-256 and hint.
type Secret struct {
	KeyID       string
	DisplayName string
	Value       string
	SHA256      string // hex; set when Value is not kept
	HintText    string
	Start, End  time.Time
}

// Hint is what Graph shows of a secret: its first three characters.
func (s Secret) Hint() string {
	switch {
	case s.Value == "":
		return s.HintText
	case len(s.Value) < 3:
		return s.Value
	}
	return s.Value[:3]
}

// Digest is the hex SHA-256 of the secret's value.
func (s Secret) Digest() string {
	if s.Value == "" {
		return s.SHA256
	}
	sum := sha256.Sum256([]byte(s.Value))
	return hex.EncodeToString(sum[:])
}

// Access is one requiredResourceAccess entry on Microsoft Graph.
type Access struct {
	ID   string `json:"id"`
	Type string `json:"type"` // Role (application) or Scope (delegated)
}

// Assignment is one app role assignment.
type Assignment struct {
	ID      string
	Role    string // the app role's value, "User.Read.All"
	Created time.Time
}

// Options configure a Server.
type Options struct {
	Tenants []Tenant
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// ConsentLag is how long an app role assignment takes to reach new
	// tokens (Entra's roles claim lags admin consent).
	ConsentLag time.Duration
	// SigningKey signs the tokens; nil means a key made once per
	// process.
	SigningKey crypto.Signer
	// BlockDeviceCode is a Conditional Access policy that blocks the
	// device code flow: the token request answers AADSTS53003.
	BlockDeviceCode bool
}

// Server is the emulator. Its methods are safe for concurrent use.
type Server struct {
	opts    Options
	tokens  *oauthtest.TokenSigner
	replay  oauthtest.ReplayCache
	devices oauthtest.DeviceCodes
	mux     *http.ServeMux

	mu       sync.Mutex
	tenants  []Tenant
	withheld []string // roles admin consent does not grant
	consents map[string]consentRequest
	auths    map[string]authRequest
	codes    map[string]authRequest
	hits     map[string]int
}

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
	if opts.Now == nil {
		opts.Now = time.Now
	}
	var key crypto.Signer = signingKey()
	if opts.SigningKey != nil {
		key = opts.SigningKey
	}
	tokens, err := oauthtest.NewTokenSigner(key, "")
	if err != nil {
		panic(fmt.Sprintf("entratest: %v", err))
	}
	s := &Server{opts: opts, tokens: tokens, tenants: cloneTenants(opts.Tenants),
		consents: map[string]consentRequest{}, auths: map[string]authRequest{}, codes: map[string]authRequest{}, hits: map[string]int{}}
	m := http.NewServeMux()
	logins := map[string]bool{}
	for _, c := range Clouds {
		m.HandleFunc(c.Graph+"/v1.0/", s.graph)
		if logins[c.Login] {
			continue
		}
		logins[c.Login] = true
		m.HandleFunc("GET "+c.Login+"/{tenant}/v2.0/.well-known/openid-configuration", s.discovery)
		m.HandleFunc("GET "+c.Login+"/{tenant}/discovery/v2.0/keys", s.keys)
		m.HandleFunc("POST "+c.Login+"/{tenant}/oauth2/v2.0/token", s.token)
		m.HandleFunc(c.Login+"/{tenant}/oauth2/v2.0/token", methodNotAllowed)
		m.HandleFunc("POST "+c.Login+"/{tenant}/oauth2/v2.0/devicecode", s.deviceCode)
		m.HandleFunc("GET "+c.Login+"/{tenant}/oauth2/v2.0/authorize", s.authorize)
		m.HandleFunc("POST "+c.Login+"/{tenant}/oauth2/v2.0/authorize/decide", s.authorizeDecide)
		m.HandleFunc("GET "+c.Login+"/{tenant}/v2.0/adminconsent", s.adminConsent)
		m.HandleFunc("GET "+c.Login+"/{tenant}/adminconsent", s.adminConsent)
		m.HandleFunc("POST "+c.Login+"/adminconsent/decide", s.adminConsentDecide)
	}
	s.mux = m
	return s
}

// Hosts are every cloud's sign-in and Graph hosts.
func (s *Server) Hosts() []string {
	var out []string
	for _, c := range Clouds {
		out = append(out, c.Login, c.Graph)
	}
	return slices.Compact(slices.Sorted(slices.Values(out)))
}

// ServeHTTP implements http.Handler. Requests are routed by the host
// they were sent to, without its port.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hits[r.URL.Path]++
	s.mu.Unlock()
	r2 := r.Clone(r.Context())
	r2.Host = oauthtest.RequestHost(r)
	s.mux.ServeHTTP(w, r2)
}

// Hits returns how many requests reached path.
func (s *Server) Hits(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Allow", "POST")
	aadError(w, time.Now(), http.StatusMethodNotAllowed, "invalid_request", 900561, "The endpoint only accepts POST requests. Received a "+r.Method+" request.")
}

func cloneTenants(ts []Tenant) []Tenant {
	out := slices.Clone(ts)
	for i := range out {
		out[i].Domains, out[i].Unlicensed, out[i].NotEffective = slices.Clone(out[i].Domains), slices.Clone(out[i].Unlicensed), slices.Clone(out[i].NotEffective)
		out[i].Apps = slices.Clone(out[i].Apps)
		for j := range out[i].Apps {
			a := &out[i].Apps[j]
			a.Secrets, a.Certificates, a.RedirectURIs = slices.Clone(a.Secrets), slices.Clone(a.Certificates), slices.Clone(a.RedirectURIs)
			a.Required, a.Assigned, a.Tags = slices.Clone(a.Required), slices.Clone(a.Assigned), slices.Clone(a.Tags)
		}
	}
	return out
}

// tenantLocked finds a tenant by id or verified domain in the cloud of
// login host.
func (s *Server) tenantLocked(loginHost, name string) *Tenant {
	name = strings.ToLower(name)
	for i := range s.tenants {
		t := &s.tenants[i]
		if cloudByID(t.Cloud).Login != loginHost {
			continue
		}
		if t.ID == name || slices.Contains(t.Domains, name) {
			return t
		}
	}
	return nil
}

func (s *Server) tenantByID(id string) *Tenant {
	for i := range s.tenants {
		if s.tenants[i].ID == id {
			return &s.tenants[i]
		}
	}
	return nil
}

func (t *Tenant) app(appID string) *App {
	for i := range t.Apps {
		if strings.EqualFold(t.Apps[i].AppID, appID) {
			return &t.Apps[i]
		}
	}
	return nil
}

// SetRoles replaces the app role assignments of app appID in tenant
// tenantID with roles (values), keeping the ones already there, as an
// admin granting and revoking consent would. New ones are created now.
func (s *Server) SetRoles(tenantID, appID string, roles []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenantByID(tenantID)
	if t == nil {
		return fmt.Errorf("entratest: no tenant %s", tenantID)
	}
	a := t.app(appID)
	if a == nil {
		return fmt.Errorf("entratest: no app %s in tenant %s", appID, tenantID)
	}
	a.Assigned = slices.DeleteFunc(a.Assigned, func(x Assignment) bool { return !slices.Contains(roles, x.Role) })
	for _, r := range roles {
		if _, ok := RoleByValue(r); !ok {
			return fmt.Errorf("entratest: %q is not an app role of Microsoft Graph", r)
		}
		if !slices.ContainsFunc(a.Assigned, func(x Assignment) bool { return x.Role == r }) {
			a.Assigned = append(a.Assigned, Assignment{ID: newID(), Role: r, Created: s.opts.Now()})
		}
	}
	return nil
}

// Roles returns the app role values assigned to app appID of tenant
// tenantID, whether or not they have reached tokens yet.
func (s *Server) Roles(tenantID, appID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenantByID(tenantID)
	if t == nil {
		return nil
	}
	a := t.app(appID)
	if a == nil {
		return nil
	}
	var out []string
	for _, x := range a.Assigned {
		out = append(out, x.Role)
	}
	return out
}

// Withhold makes admin consent leave these roles out, as an admin who
// grants less than the app asks for, and keeps them out of every app's
// tokens (the sandbox's --sandbox-deny, for one run).
func (s *Server) Withhold(roles []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.withheld = slices.Clone(roles)
}

// newID is a random GUID.
func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// FaultResponse answers an injected 429, 500 or 503 as Entra and Graph
// do: Graph's envelope on a Graph host, an AADSTS body elsewhere.
func (s *Server) FaultResponse(w http.ResponseWriter, r *http.Request, status int) {
	now := s.opts.Now()
	if isGraphHost(oauthtest.RequestHost(r)) {
		code := map[int]string{429: "TooManyRequests", 503: "serviceNotAvailable"}[status]
		if code == "" {
			code = "generalException"
		}
		graphError(w, now, status, code, http.StatusText(status))
		return
	}
	switch status {
	case http.StatusTooManyRequests:
		aadError(w, now, status, "temporarily_unavailable", 90055, "The request was throttled. Too many requests from the same client.")
	case http.StatusServiceUnavailable:
		aadError(w, now, status, "temporarily_unavailable", 90033, "A transient error has occurred. Please try again.")
	default:
		aadError(w, now, status, "server_error", 90100, "An internal error has occurred.")
	}
}

var _ oauthtest.FaultResponder = (*Server)(nil)

func isGraphHost(h string) bool {
	return slices.ContainsFunc(Clouds, func(c Cloud) bool { return c.Graph == h })
}

// aadError writes an Entra token-endpoint error (reference-error-codes.md,
// §1.6): the AADSTS code first in the description, then its Trace ID,
// Correlation ID and Timestamp lines.
func aadError(w http.ResponseWriter, now time.Time, status int, code string, n int, msg string) {
	ts := now.UTC().Format("2006-01-02 15:04:05Z")
	trace, corr := newID(), newID()
	oauthtest.WriteJSON(w, status, map[string]any{
		"error":             code,
		"error_description": fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s", n, msg, trace, corr, ts),
		"error_codes":       []int{n},
		"timestamp":         ts,
		"trace_id":          trace,
		"correlation_id":    corr,
		"error_uri":         fmt.Sprintf("https://login.microsoftonline.com/error?code=%d", n),
	})
}

// graphError writes Microsoft Graph's error envelope (errors.md, §1.8.1).
func graphError(w http.ResponseWriter, now time.Time, status int, code, msg string) {
	id := newID()
	w.Header().Set("request-id", id)
	w.Header().Set("client-request-id", id)
	oauthtest.WriteJSON(w, status, map[string]any{"error": map[string]any{
		"code": code, "message": msg,
		"innerError": map[string]string{"date": now.UTC().Format("2006-01-02T15:04:05"), "request-id": id, "client-request-id": id},
	}})
}

// Apps returns a copy of the app registrations of tenant tenantID.
func (s *Server) Apps(tenantID string) []App {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.tenantByID(tenantID); t != nil {
		return cloneTenants([]Tenant{*t})[0].Apps
	}
	return nil
}

// PutApps adds apps to tenant tenantID, replacing those with the same
// AppID (a restored state's apps).
func (s *Server) PutApps(tenantID string, apps []App) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenantByID(tenantID)
	if t == nil {
		return fmt.Errorf("entratest: no tenant %s", tenantID)
	}
	for _, a := range cloneTenants([]Tenant{{Apps: apps}})[0].Apps {
		if i := slices.IndexFunc(t.Apps, func(x App) bool { return strings.EqualFold(x.AppID, a.AppID) }); i >= 0 {
			t.Apps[i] = a
		} else {
			t.Apps = append(t.Apps, a)
		}
	}
	return nil
}
