package duotest

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/providers/sandbox"
)

// Hosts are the names the emulator answers for in the sandbox: every API
// hostname of Duo and of Duo Federal.
var Hosts = []string{"*.duosecurity.com", "*.duofederal.com"}

// Emulator is the Duo emulator as the sandbox runs it: the demo account,
// whose application's grants are kept between commands, less what this
// run withholds (--sandbox-deny).
type Emulator struct {
	*Server

	mu       sync.Mutex
	granted  []string // the application's grants, as the Admin Panel would show them
	withheld []string // grants this run withholds
}

var (
	_ sandbox.Emulator = (*Emulator)(nil)
	_ sandbox.Stateful = (*Emulator)(nil)
)

// NewEmulator makes the sandbox's Duo emulator: the demo account, its
// application granted what the catalog lists, less cfg.Withheld.
func NewEmulator(cfg sandbox.Config) (sandbox.Emulator, error) {
	return EmulatorWith(Options{})(cfg)
}

// EmulatorWith makes the sandbox's emulator with opts (tests: a clock, a
// server clock offset, rate limits); the demo account is added.
func EmulatorWith(opts Options) func(sandbox.Config) (sandbox.Emulator, error) {
	return func(cfg sandbox.Config) (sandbox.Emulator, error) {
		all := sandbox.Config{Provider: cfg.Provider}.Granted()
		e := &Emulator{granted: all}
		e.withheld = cfg.Denied()
		now := time.Now
		if opts.Now != nil {
			now = opts.Now
		}
		opts.Accounts = append(slices.Clone(opts.Accounts), Demo(cfg.Granted(), now()))
		e.Server = New(opts)
		return e, nil
	}
}

func (e *Emulator) Hosts() []string { return slices.Clone(Hosts) }

// Demo returns the demo application's keys.
func (e *Emulator) Demo() (string, map[string]string) {
	return "admin-api", map[string]string{"api_hostname": DemoHost, "integration_key": DemoIKey, "secret_key": DemoSKey}
}

// SetGranted ticks or unticks the permission's grants for the demo
// application, as on its page in the Admin Panel.
func (e *Emulator) SetGranted(p catalog.Permission, granted bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.granted, e.withheld = sandbox.SetGranted(e.granted, e.withheld, p, granted)
	return e.apply()
}

// apply sets the demo application's grants: its own, less what this run
// withholds.
func (e *Emulator) apply() error {
	grants := sandbox.Effective(e.granted, e.withheld)
	if !e.SetGrants(DemoHost, DemoIKey, grants) {
		return fmt.Errorf("duotest: the demo application is missing")
	}
	return nil
}

// emulatorState is what the sandbox keeps of the demo account.
type emulatorState struct {
	Version int      `json:"version"`
	Granted []string `json:"granted"`
}

// State returns the demo application's grants as JSON; it holds no secret.
func (e *Emulator) State() ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return json.MarshalIndent(emulatorState{Version: 1, Granted: e.granted}, "", "  ")
}

// Restore takes a saved state, refusing anything that is not one.
func (e *Emulator) Restore(data []byte) error {
	if len(data) > 1<<16 {
		return fmt.Errorf("not a Duo demo account state: %d bytes", len(data))
	}
	var st emulatorState
	if err := sandbox.DecodeState(data, &st); err != nil {
		return fmt.Errorf("not a Duo demo account state: %w", err)
	}
	if st.Version != 1 {
		return fmt.Errorf("Duo demo account state version %d: this tether reads version 1", st.Version)
	}
	for _, g := range st.Granted {
		if !slices.Contains(Grants, g) {
			return fmt.Errorf("Duo demo account state: %q is not an Admin API grant", g)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.granted = slices.Compact(slices.Sorted(slices.Values(st.Granted)))
	return e.apply()
}

// TenantHosts returns the API hostnames of the emulated accounts: the
// sandbox refuses the other hosts of Duo's domains.
func (e *Emulator) TenantHosts() []string { return e.Server.Hosts() }
