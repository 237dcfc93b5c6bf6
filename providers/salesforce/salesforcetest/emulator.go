package salesforcetest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/providers/sandbox"
)

// Hosts are the names the emulator answers for in the sandbox: the login
// hosts and every My Domain, production and sandbox.
var Hosts = []string{ProductionHost, SandboxHost, "*.my.salesforce.com", "*.sandbox.my.salesforce.com"}

// demoScopes are the demo app's scopes besides the catalog's: a web
// sign-in keeps its session with a refresh token.
var demoScopes = []string{"refresh_token"}

// Emulator is the Salesforce emulator as the sandbox runs it: the demo
// org, whose app's OAuth scopes are kept between commands, less what this
// run withholds (--sandbox-deny).
type Emulator struct {
	*Server

	mu       sync.Mutex
	granted  []string // the catalog scopes the app has, as Setup shows them
	withheld []string // scopes this run withholds
	demo     map[string]string
}

var (
	_ sandbox.Emulator       = (*Emulator)(nil)
	_ sandbox.Stateful       = (*Emulator)(nil)
	_ sandbox.DeviceApprover = (*Emulator)(nil)
)

// NewEmulator makes the sandbox's Salesforce emulator: the demo org, its
// app's JWT bearer certificate made from a demo key kept in cfg.Dir.
func NewEmulator(cfg sandbox.Config) (sandbox.Emulator, error) {
	key, keyPEM, err := sandbox.DemoKey(cfg.Dir, "salesforce-demo-key.pem")
	if err != nil {
		return nil, err
	}
	all := sandbox.Config{Provider: cfg.Provider}.Granted()
	e := &Emulator{granted: all, demo: map[string]string{
		"login_host": ProductionHost, "client_id": DemoConsumerKey, "username": DemoUsername, "private_key": keyPEM,
	}}
	for _, s := range all {
		if !slices.Contains(cfg.Granted(), s) {
			e.withheld = append(e.withheld, s)
		}
	}
	org, err := Demo(nil, key)
	if err != nil {
		return nil, err
	}
	// The demo org polls every second, so the sandbox's device sign-in
	// does not keep the admin waiting.
	e.Server = New(Options{Orgs: []Org{org}, DeviceInterval: time.Second})
	return e, e.apply()
}

// EmulatorWith makes an emulator of the given orgs instead of the demo
// one (tests); the console actions act on the demo app where they have it.
func EmulatorWith(opts Options) func(sandbox.Config) (sandbox.Emulator, error) {
	return func(sandbox.Config) (sandbox.Emulator, error) {
		e := &Emulator{Server: New(opts), demo: map[string]string{
			"login_host": ProductionHost, "client_id": DemoConsumerKey, "username": DemoUsername}}
		scopes, _ := e.Scopes(DemoOrgID, DemoConsumerKey)
		e.granted = slices.DeleteFunc(scopes, func(s string) bool { return slices.Contains(demoScopes, s) })
		return e, nil
	}
}

func (e *Emulator) Hosts() []string { return slices.Clone(Hosts) }

func (e *Emulator) Demo() (string, map[string]string) { return "jwt-bearer", e.demo }

// SetGranted adds or removes the permission's scopes in the demo app's
// Selected OAuth Scopes, as in App Manager → the app → OAuth Settings.
func (e *Emulator) SetGranted(p catalog.Permission, granted bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.granted, e.withheld = sandbox.SetGranted(e.granted, e.withheld, p, granted)
	return e.apply()
}

// apply sets the demo app's scopes: the org's, less what this run
// withholds, plus refresh_token.
func (e *Emulator) apply() error {
	scopes := sandbox.Effective(e.granted, e.withheld)
	if !e.SetScopes(DemoOrgID, DemoConsumerKey, append(scopes, demoScopes...)) {
		return fmt.Errorf("salesforcetest: the demo app is missing")
	}
	return nil
}

// emulatorState is what the sandbox keeps of the demo org.
type emulatorState struct {
	Version int      `json:"version"`
	Granted []string `json:"granted"`
	// RefreshTokens are the live refresh tokens by SHA-256, so that a
	// web sign-in of one command refreshes in the next, and a rotated one
	// stays refused.
	RefreshTokens map[string]refreshGrant `json:"refresh_tokens"`
}

var scopePattern = regexp.MustCompile(`^[a-z_]{1,64}$`)

func (e *Emulator) State() ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return json.MarshalIndent(emulatorState{Version: 1, Granted: e.granted, RefreshTokens: e.RefreshGrants()}, "", "  ")
}

// Restore takes a saved state, refusing anything that is not one.
func (e *Emulator) Restore(data []byte) error {
	var st emulatorState
	if err := sandbox.DecodeState(data, &st); err != nil {
		return fmt.Errorf("not a Salesforce demo org state: %w", err)
	}
	if st.Version != 1 {
		return fmt.Errorf("Salesforce demo org state version %d: this tether reads version 1", st.Version)
	}
	for _, s := range st.Granted {
		if !scopePattern.MatchString(s) {
			return fmt.Errorf("Salesforce demo org state: %q is not an OAuth scope", s)
		}
	}
	if err := e.RestoreRefreshGrants(st.RefreshTokens); err != nil {
		return fmt.Errorf("Salesforce demo org state: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.granted = slices.Compact(slices.Sorted(slices.Values(st.Granted)))
	return e.apply()
}
