package entratest

import (
	"crypto"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
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
	_ sandbox.Licensed       = (*Emulator)(nil)
)

// Licenses are the licences the demo tenant can lack in a sandbox run,
// --sandbox-deny entra:license:NAME: p1 (no Entra ID P1 nor P2), p2 (P1
// without P2), intune (no Microsoft Intune).
func (e *Emulator) Licenses() []string { return slices.Clone(Unlicensed) }

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
	e.withheld = cfg.Denied()
	demo := Demo(all, cfg.Granted(), time.Now(), cert)
	demo.Unlicensed = cfg.Unlicensed() // sandbox.Start refuses a name not in Licenses
	e.Server = New(Options{Tenants: []Tenant{demo}})
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
	e.granted, e.withheld = sandbox.SetGranted(e.granted, e.withheld, p, granted)
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
	roles := sandbox.Effective(e.granted, e.withheld)
	return e.SetRoles(DemoTenantID, DemoClientID, roles)
}

// emulatorState is what the sandbox keeps of the demo tenant: the demo
// app's role assignments, and the apps create made there, their secrets
// by digest and hint only.
type emulatorState struct {
	Version int        `json:"version"`
	Granted []string   `json:"granted"`
	Apps    []appState `json:"apps,omitempty"`
}

type appState struct {
	AppID       string        `json:"app_id"`
	ObjectID    string        `json:"object_id"`
	SPID        string        `json:"sp_id,omitempty"`
	DisplayName string        `json:"display_name"`
	Tags        []string      `json:"tags,omitempty"`
	Required    []Access      `json:"required"`
	Assigned    []string      `json:"assigned"`
	Secrets     []secretState `json:"secrets"`
}

type secretState struct {
	KeyID       string    `json:"key_id"`
	DisplayName string    `json:"display_name"`
	Hint        string    `json:"hint"`
	SHA256      string    `json:"sha256"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
}

func (e *Emulator) State() ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.syncLocked()
	st := emulatorState{Version: 2, Granted: slices.Sorted(slices.Values(e.granted))}
	for _, a := range e.Apps(DemoTenantID) {
		if a.AppID == DemoClientID {
			continue
		}
		as := appState{AppID: a.AppID, ObjectID: a.ObjectID, SPID: a.SPID, DisplayName: a.DisplayName, Tags: a.Tags, Required: a.Required, Assigned: []string{}, Secrets: []secretState{}}
		for _, x := range a.Assigned {
			as.Assigned = append(as.Assigned, x.Role)
		}
		for _, sc := range a.Secrets {
			as.Secrets = append(as.Secrets, secretState{KeyID: sc.KeyID, DisplayName: sc.DisplayName, Hint: sc.Hint(), SHA256: sc.Digest(), Start: sc.Start, End: sc.End})
		}
		st.Apps = append(st.Apps, as)
	}
	return json.MarshalIndent(st, "", "  ")
}

var (
	guidPattern   = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	digestPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)
	tagPattern    = regexp.MustCompile(`^[A-Za-z0-9:._-]{1,256}$`)
)

// app turns a saved app into one, validating it as input.
func (as appState) app(now time.Time) (App, error) {
	if !guidPattern.MatchString(as.AppID) || !guidPattern.MatchString(as.ObjectID) || (as.SPID != "" && !guidPattern.MatchString(as.SPID)) || as.AppID == DemoClientID {
		return App{}, fmt.Errorf("app %q: its ids are not GUIDs", as.AppID)
	}
	if as.DisplayName == "" || len(as.DisplayName) > 256 || len(as.Tags) > 20 || len(as.Assigned) > 200 || len(as.Required) > 400 || len(as.Secrets) > 50 {
		return App{}, fmt.Errorf("app %s: not an app registration", as.AppID)
	}
	for _, tg := range as.Tags {
		if !tagPattern.MatchString(tg) {
			return App{}, fmt.Errorf("app %s: %q is not a tag", as.AppID, tg)
		}
	}
	if msg := checkAccess(as.Required); msg != "" {
		return App{}, fmt.Errorf("app %s: %s", as.AppID, msg)
	}
	a := App{AppID: as.AppID, ObjectID: as.ObjectID, SPID: as.SPID, DisplayName: as.DisplayName, Tags: as.Tags, Required: as.Required, RedirectURIs: []string{}}
	for _, r := range as.Assigned {
		if _, ok := RoleByValue(r); !ok || as.SPID == "" {
			return App{}, fmt.Errorf("app %s: %q is not an app role it can hold", as.AppID, r)
		}
		a.Assigned = append(a.Assigned, Assignment{ID: newID(), Role: r, Created: now.Add(-24 * time.Hour)})
	}
	for _, sc := range as.Secrets {
		if !guidPattern.MatchString(sc.KeyID) || !digestPattern.MatchString(sc.SHA256) || len(sc.Hint) > 3 || !sc.End.After(sc.Start) {
			return App{}, fmt.Errorf("app %s: secret %q is not a password credential", as.AppID, sc.KeyID)
		}
		a.Secrets = append(a.Secrets, Secret{KeyID: sc.KeyID, DisplayName: sc.DisplayName, SHA256: sc.SHA256, HintText: sc.Hint, Start: sc.Start, End: sc.End})
	}
	return a, nil
}

// Restore takes a saved state, refusing anything that is not one.
func (e *Emulator) Restore(data []byte) error {
	if len(data) > 1<<20 {
		return fmt.Errorf("not an Entra demo tenant state: %d bytes", len(data))
	}
	var st emulatorState
	if err := sandbox.DecodeState(data, &st); err != nil {
		return fmt.Errorf("not an Entra demo tenant state: %w", err)
	}
	if st.Version != 1 && st.Version != 2 {
		return fmt.Errorf("Entra demo tenant state version %d: this tether reads versions 1 and 2", st.Version)
	}
	for _, s := range st.Granted {
		if _, ok := RoleByValue(s); !ok {
			return fmt.Errorf("Entra demo tenant state: %q is not an app role of Microsoft Graph", s)
		}
	}
	var apps []App
	for _, as := range st.Apps {
		a, err := as.app(time.Now())
		if err != nil {
			return fmt.Errorf("Entra demo tenant state: %w", err)
		}
		apps = append(apps, a)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.PutApps(DemoTenantID, apps); err != nil {
		return err
	}
	e.granted = slices.Compact(slices.Sorted(slices.Values(st.Granted)))
	return e.apply()
}

// Example is a token request another client can make to the emulator.
func (e *Emulator) Example(baseURL string) string {
	return fmt.Sprintf("curl --cacert ca.pem -H 'Host: login.microsoftonline.com' %s/%s/oauth2/v2.0/token -d grant_type=client_credentials -d client_id=%s -d client_secret=%s -d scope=https://graph.microsoft.com/.default",
		baseURL, DemoDomain, DemoClientID, DemoClientSecret)
}
