package googletest

import (
	"crypto"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/providers/sandbox"
)

// demoKeyFile is where the sandbox keeps the demo service account's key.
const demoKeyFile = "google-demo-key.pem"

// Emulator is the Google emulator as the sandbox runs it: the demo domain,
// whose domain-wide delegation of the demo service account is kept between
// commands, less what this run withholds (--sandbox-deny).
type Emulator struct {
	*Server

	mu       sync.Mutex
	granted  []string // the delegation, as the Admin console would show it
	withheld []string // scopes this run withholds
	demo     map[string]string
}

var (
	_ sandbox.Emulator = (*Emulator)(nil)
	_ sandbox.Stateful = (*Emulator)(nil)
)

// NewEmulator makes the sandbox's Google emulator: the demo domain, its
// service account's key kept in cfg.Dir.
func NewEmulator(cfg sandbox.Config) (sandbox.Emulator, error) {
	key, keyPEM, err := sandbox.DemoKey(cfg.Dir, demoKeyFile)
	if err != nil {
		return nil, err
	}
	created := time.Now().Add(-24 * time.Hour)
	if cfg.Dir != "" {
		if fi, err := os.Stat(filepath.Join(cfg.Dir, demoKeyFile)); err == nil {
			created = fi.ModTime()
		}
	}
	all := sandbox.Config{Provider: cfg.Provider}.Granted()
	e := &Emulator{granted: all, demo: demoInputs(keyPEM, key.Public())}
	e.withheld = cfg.Denied()
	e.Server = New(Options{Domain: Demo(cfg.Granted(), key.Public(), created)})
	return e, nil
}

func demoInputs(keyPEM string, pub crypto.PublicKey) map[string]string {
	return map[string]string{
		"key":         KeyFile(DemoClientEmail, DemoClientID, DemoProject, keyPEM, pub),
		"admin_email": DemoAdmin, "client_id": DemoOAuthClientID, "client_secret": DemoOAuthClientSecret,
	}
}

// EmulatorWith makes emulators of the given options instead of the demo
// domain (tests); the sandbox's console actions act on the demo client id.
func EmulatorWith(opts Options, keyPEM string, pub crypto.PublicKey) func(sandbox.Config) (sandbox.Emulator, error) {
	return func(sandbox.Config) (sandbox.Emulator, error) {
		e := &Emulator{Server: New(opts), demo: demoInputs(keyPEM, pub)}
		e.granted, _ = e.Delegation(DemoClientID)
		return e, nil
	}
}

func (e *Emulator) Hosts() []string { return slices.Clone(Hosts) }

func (e *Emulator) Demo() (string, map[string]string) { return "service-account", e.demo }

// SetGranted adds or removes the permission's scopes in the demo client
// id's domain-wide delegation, as the Admin console does.
func (e *Emulator) SetGranted(p catalog.Permission, granted bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.granted, e.withheld = sandbox.SetGranted(e.granted, e.withheld, p, granted)
	// The browser method's fix is a consent that ticks them.
	e.Consent(DemoOAuthClientID, p.Identifiers(), granted)
	e.apply()
	return nil
}

// apply sets the demo delegation: the domain's, less what this run
// withholds.
func (e *Emulator) apply() {
	scopes := sandbox.Effective(e.granted, e.withheld)
	e.SetDelegation(DemoClientID, scopes)
	// The demo admin unticks the withheld scopes on the consent screen,
	// and the tokens of this run lack them.
	e.SetUnticked(e.withheld)
	e.SetWithheld(e.withheld)
}

// emulatorState is what the sandbox keeps of the demo domain.
type emulatorState struct {
	Version int      `json:"version"`
	Granted []string `json:"granted"`
	// Consents are the browser method's grants, refresh tokens by hash.
	Consents ConsentRecord `json:"consents"`
}

func (e *Emulator) State() ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return json.MarshalIndent(emulatorState{Version: 1, Granted: e.granted, Consents: e.Consents()}, "", "  ")
}

// Restore takes a saved state, refusing anything that is not one.
func (e *Emulator) Restore(data []byte) error {
	var st emulatorState
	if err := sandbox.DecodeState(data, &st); err != nil {
		return fmt.Errorf("not a Google demo domain state: %w", err)
	}
	if st.Version != 1 {
		return fmt.Errorf("Google demo domain state version %d: this tether reads version 1", st.Version)
	}
	if len(st.Granted) > len(knownScopes) {
		return fmt.Errorf("Google demo domain state: %d scopes, more than Google has", len(st.Granted))
	}
	for _, s := range st.Granted {
		if !knownScope(s) {
			return fmt.Errorf("Google demo domain state: %q is not a Google scope", s)
		}
	}
	if err := e.RestoreConsents(st.Consents); err != nil {
		return fmt.Errorf("Google demo domain state: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.granted = slices.Compact(slices.Sorted(slices.Values(st.Granted)))
	e.apply()
	return nil
}

// Example is a request another client can make to the emulator: the demo
// service account's public certificates.
func (e *Emulator) Example(baseURL string) string {
	return "curl --cacert ca.pem " + baseURL + "/robot/v1/metadata/x509/" + DemoClientEmail
}
