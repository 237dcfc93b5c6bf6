package auth0test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sync"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/providers/sandbox"
)

// Hosts are the names the emulator answers for in the sandbox: every
// region's tenant domains, and the demo custom domain.
var Hosts = []string{"*.auth0.com", "*.us.auth0.com", "*.eu.auth0.com", "*.au.auth0.com", "*.jp.auth0.com",
	"*.uk.auth0.com", "*.ca.auth0.com", DemoCustomDomain}

// Emulator is the Auth0 emulator as the sandbox runs it: the demo tenant,
// whose application's Management API grant is kept between commands,
// less what this run withholds (--sandbox-deny).
type Emulator struct {
	*Server

	mu       sync.Mutex
	granted  []string // the tenant's grant, as the console would show it
	withheld []string // identifiers this run withholds
	demo     map[string]string
}

var (
	_ sandbox.Emulator = (*Emulator)(nil)
	_ sandbox.Stateful = (*Emulator)(nil)
)

// NewEmulator makes the sandbox's Auth0 emulator: the demo tenant, its
// application registered with a demo key kept in cfg.Dir for
// private_key_jwt.
func NewEmulator(cfg sandbox.Config) (sandbox.Emulator, error) {
	key, keyPEM, err := sandbox.DemoKey(cfg.Dir, "auth0-demo-key.pem")
	if err != nil {
		return nil, err
	}
	all := sandbox.Config{Provider: cfg.Provider}.Granted()
	e := &Emulator{granted: all, demo: map[string]string{
		"domain": DemoDomain, "client_id": DemoClientID, "client_secret": DemoClientSecret, "private_key": keyPEM,
	}}
	e.withheld = cfg.Denied()
	e.Server = New(Options{Tenants: []Tenant{Demo(cfg.Granted(), key.Public())}})
	return e, nil
}

// EmulatorWith makes emulators of the given tenants instead of the demo
// one (tests): the sandbox's console actions still act on the demo
// application, where the tenants have it.
func EmulatorWith(opts Options) func(sandbox.Config) (sandbox.Emulator, error) {
	return func(sandbox.Config) (sandbox.Emulator, error) {
		e := &Emulator{Server: New(opts), demo: map[string]string{
			"domain": DemoDomain, "client_id": DemoClientID, "client_secret": DemoClientSecret}}
		e.granted, _ = e.Grant(DemoDomain, DemoClientID, demoAudience)
		return e, nil
	}
}

var demoAudience = "https://" + DemoDomain + "/api/v2/"

func (e *Emulator) Hosts() []string { return slices.Clone(Hosts) }

func (e *Emulator) Demo() (string, map[string]string) { return "client-secret", e.demo }

// SetGranted ticks or unticks the permission's scopes for the demo
// application, as in APIs → Auth0 Management API → Machine To Machine
// Applications.
func (e *Emulator) SetGranted(p catalog.Permission, granted bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.granted, e.withheld = sandbox.SetGranted(e.granted, e.withheld, p, granted)
	return e.apply()
}

// apply sets the demo application's grant: the tenant's, less what this
// run withholds.
func (e *Emulator) apply() error {
	scopes := sandbox.Effective(e.granted, e.withheld)
	return e.SetGrant(DemoDomain, DemoClientID, demoAudience, scopes)
}

// emulatorState is what the sandbox keeps of the demo tenant.
type emulatorState struct {
	Version int      `json:"version"`
	Granted []string `json:"granted"`
}

var scopePattern = regexp.MustCompile(`^[a-z_]+:[a-z_]+$`)

func (e *Emulator) State() ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return json.MarshalIndent(emulatorState{Version: 1, Granted: e.granted}, "", "  ")
}

// Restore takes a saved state, refusing anything that is not one.
func (e *Emulator) Restore(data []byte) error {
	var st emulatorState
	if err := sandbox.DecodeState(data, &st); err != nil {
		return fmt.Errorf("not an Auth0 demo tenant state: %w", err)
	}
	if st.Version != 1 {
		return fmt.Errorf("Auth0 demo tenant state version %d: this tether reads version 1", st.Version)
	}
	for _, s := range st.Granted {
		if !scopePattern.MatchString(s) {
			return fmt.Errorf("Auth0 demo tenant state: %q is not a scope", s)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.granted = slices.Compact(slices.Sorted(slices.Values(st.Granted)))
	return e.apply()
}

// Example is a token request another client can make to the emulator.
func (e *Emulator) Example(baseURL string) string {
	return fmt.Sprintf("curl --cacert ca.pem %s/oauth/token -d grant_type=client_credentials -d client_id=%s -d client_secret=%s -d audience=%s",
		baseURL, DemoClientID, DemoClientSecret, demoAudience)
}

// TenantHosts returns the host names of the emulated tenants, canonical
// and custom: the sandbox refuses the other hosts of Auth0's domains.
func (e *Emulator) TenantHosts() []string { return e.Server.Hosts() }
