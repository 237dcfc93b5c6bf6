package entratest

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers/sandbox"
)

// Emulator is the Entra emulator as the sandbox runs it: the demo
// tenant, whose app's role assignments are kept between commands, less
// what this run withholds (--sandbox-deny).
type Emulator struct {
	*Server

	mu       sync.Mutex
	granted  []string // the tenant's assignments, as the admin center shows them
	withheld []string // roles this run withholds
	demo     map[string]string
}

var (
	_ sandbox.Emulator       = (*Emulator)(nil)
	_ sandbox.Stateful       = (*Emulator)(nil)
	_ sandbox.Exampler       = (*Emulator)(nil)
	_ sandbox.DeviceApprover = (*Emulator)(nil)
)

// NewEmulator makes the sandbox's Entra emulator: the demo tenant, its
// app registered with a demo certificate kept in cfg.Dir.
func NewEmulator(cfg sandbox.Config) (sandbox.Emulator, error) {
	key, keyPEM, err := sandbox.DemoKey(cfg.Dir, "entra-demo-key.pem")
	if err != nil {
		return nil, err
	}
	cert, certPEM, err := demoCertificate(cfg.Dir, key)
	if err != nil {
		return nil, err
	}
	all := sandbox.Config{Provider: cfg.Provider}.Granted()
	e := &Emulator{granted: all, demo: map[string]string{
		"tenant": DemoDomain, "client_id": DemoClientID, "client_secret": DemoClientSecret, "certificate": keyPEM + certPEM,
	}}
	for _, s := range all {
		if !slices.Contains(cfg.Granted(), s) {
			e.withheld = append(e.withheld, s)
		}
	}
	e.Server = New(Options{Tenants: []Tenant{Demo(all, cfg.Granted(), time.Now(), cert)}})
	e.Withhold(e.withheld)
	return e, nil
}

// EmulatorWith makes an emulator of the given options instead of the
// demo one (tests): the sandbox's console actions still act on the demo
// app, where the tenants have it.
func EmulatorWith(opts Options) func(sandbox.Config) (sandbox.Emulator, error) {
	return func(sandbox.Config) (sandbox.Emulator, error) {
		e := &Emulator{Server: New(opts), demo: map[string]string{
			"tenant": DemoDomain, "client_id": DemoClientID, "client_secret": DemoClientSecret}}
		e.granted = e.Roles(DemoTenantID, DemoClientID)
		return e, nil
	}
}

// demoCertificate loads or makes the demo app's self-signed certificate
// for key, kept in dir beside the key so that a connection set up in one
// sandbox run still verifies in the next.
func demoCertificate(dir string, key crypto.Signer) (*x509.Certificate, string, error) {
	path := ""
	if dir != "" {
		path = filepath.Join(dir, "entra-demo-cert.pem")
		if data, err := os.ReadFile(path); err == nil {
			cert, err := flows.ParseCertificatePEM(string(data))
			pub, ok := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
			if err == nil && ok && pub.Equal(key.Public()) && time.Now().Before(cert.NotAfter) {
				return cert, string(data), nil
			}
		}
	}
	certPEM, err := flows.SelfSignedCertificate(key, "tether demo", time.Now(), 5*365*24*time.Hour)
	if err != nil {
		return nil, "", err
	}
	cert, err := flows.ParseCertificatePEM(certPEM)
	if err != nil {
		return nil, "", err
	}
	if path != "" {
		if err := flows.WriteFileAtomic(path, []byte(certPEM), 0o600); err != nil {
			return nil, "", fmt.Errorf("sandbox demo certificate: %w", err)
		}
	}
	return cert, certPEM, nil
}

func (e *Emulator) Hosts() []string { return e.Server.Hosts() }

func (e *Emulator) Demo() (string, map[string]string) { return "client-secret", e.demo }

// SetGranted grants or revokes the permission's app roles for the demo
// app, as Grant admin consent and Revoke admin consent on API
// permissions do.
func (e *Emulator) SetGranted(p catalog.Permission, granted bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.syncLocked()
	for _, id := range p.Identifiers() {
		e.withheld = slices.DeleteFunc(e.withheld, func(s string) bool { return s == id })
		e.granted = slices.DeleteFunc(e.granted, func(s string) bool { return s == id })
		if granted {
			e.granted = append(e.granted, id)
		}
	}
	e.Withhold(e.withheld)
	return e.apply()
}

// syncLocked takes in what an admin consent granted since.
func (e *Emulator) syncLocked() {
	for _, r := range e.Roles(DemoTenantID, DemoClientID) {
		if !slices.Contains(e.granted, r) {
			e.granted = append(e.granted, r)
		}
	}
}

func (e *Emulator) apply() error {
	roles := slices.DeleteFunc(slices.Clone(e.granted), func(s string) bool { return slices.Contains(e.withheld, s) })
	return e.SetRoles(DemoTenantID, DemoClientID, roles)
}

type emulatorState struct {
	Version int      `json:"version"`
	Granted []string `json:"granted"`
}

func (e *Emulator) State() ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.syncLocked()
	return json.MarshalIndent(emulatorState{Version: 1, Granted: slices.Sorted(slices.Values(e.granted))}, "", "  ")
}

// Restore takes a saved state, refusing anything that is not one.
func (e *Emulator) Restore(data []byte) error {
	if len(data) > 1<<20 {
		return fmt.Errorf("not an Entra demo tenant state: %d bytes", len(data))
	}
	var st emulatorState
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return fmt.Errorf("not an Entra demo tenant state: %w", err)
	}
	if dec.More() {
		return fmt.Errorf("not an Entra demo tenant state: data after the JSON")
	}
	if st.Version != 1 {
		return fmt.Errorf("Entra demo tenant state version %d: this tether reads version 1", st.Version)
	}
	for _, s := range st.Granted {
		if _, ok := RoleByValue(s); !ok {
			return fmt.Errorf("Entra demo tenant state: %q is not an app role of Microsoft Graph", s)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.granted = slices.Compact(slices.Sorted(slices.Values(st.Granted)))
	return e.apply()
}

// Example is a token request another client can make to the emulator.
func (e *Emulator) Example(baseURL string) string {
	return fmt.Sprintf("curl --cacert ca.pem -H 'Host: login.microsoftonline.com' %s/%s/oauth2/v2.0/token -d grant_type=client_credentials -d client_id=%s -d client_secret=%s -d scope=https://graph.microsoft.com/.default",
		baseURL, DemoDomain, DemoClientID, DemoClientSecret)
}
