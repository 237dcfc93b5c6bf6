package oktatest

import (
	"slices"
	"strings"
	"sync"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/providers/sandbox"
)

// Hosts are the names the emulator answers for in the sandbox: every Okta
// cloud's org domains, and the demo custom domain.
var Hosts = []string{"*.okta.com", "*.oktapreview.com", "*.okta-emea.com", "*.okta-gov.com", DemoCustomDomain}

// readPermission is the catalog's READ on /api/v1/*: in the demo org, the
// Read-Only Administrator role.
const readPermission = "/api/v1/*"

// Emulator is the Okta emulator as the sandbox runs it: the demo org as
// the last command left it (an app created, a role fixed), less what this
// run withholds (--sandbox-deny).
type Emulator struct {
	*Server

	mu       sync.Mutex
	cp       catalog.Provider
	withheld []string // permission names this run withholds
	demo     map[string]string
}

var (
	_ sandbox.Emulator = (*Emulator)(nil)
	_ sandbox.Stateful = (*Emulator)(nil)
)

// NewEmulator makes the sandbox's Okta emulator: the demo org, whose
// admin and app hold Read-Only Administrator (withheld by --sandbox-deny
// okta:/api/v1/*) and the custom role with every remediation permission
// the catalog names (each withheld by --sandbox-deny okta:PERMISSION).
// What this run withholds is withheld from every admin, app and custom
// role of the org, those tether created included.
func NewEmulator(cfg sandbox.Config) (sandbox.Emulator, error) {
	var perms []string
	for _, id := range (sandbox.Config{Provider: cfg.Provider}).Granted() {
		if id != readPermission {
			perms = append(perms, id)
		}
	}
	key, keyPEM, err := sandbox.DemoKey(cfg.Dir, "okta-demo-key.pem")
	if err != nil {
		return nil, err
	}
	e := &Emulator{Server: New(Options{Orgs: []Org{Demo([]string{"READ_ONLY_ADMIN"}, perms, key.Public())}}),
		cp: cfg.Provider, withheld: slices.Clone(cfg.Withheld),
		demo: map[string]string{"org": DemoDomain, "api_token": DemoToken, "client_id": DemoClientID, "private_key": keyPEM,
			"bootstrap_token": DemoSuperToken}}
	return e, e.apply()
}

// EmulatorWith makes emulators of the given orgs instead of the demo one
// (tests); the demo inputs still name the demo org and token.
func EmulatorWith(opts Options) func(sandbox.Config) (sandbox.Emulator, error) {
	return func(cfg sandbox.Config) (sandbox.Emulator, error) {
		return &Emulator{Server: New(opts), cp: cfg.Provider,
			demo: map[string]string{"org": DemoDomain, "api_token": DemoToken, "bootstrap_token": DemoSuperToken}}, nil
	}
}

func (e *Emulator) Hosts() []string { return slices.Clone(Hosts) }

func (e *Emulator) Demo() (string, map[string]string) { return "api-token", e.demo }

// SetGranted assigns or unassigns Read-Only Administrator (READ on
// /api/v1/*) of the demo admin, the demo app and the app tether created,
// or adds or removes a permission of the demo custom role and of the
// custom roles tether created for the capabilities needing it, as in
// Security → Administrators.
func (e *Emulator) SetGranted(p catalog.Permission, granted bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.withheld = slices.DeleteFunc(e.withheld, func(s string) bool { return s == p.Name })
	if !granted {
		e.withheld = append(e.withheld, p.Name)
		return e.applyLocked()
	}
	labels := []string{"tether Help Desk"}
	for _, c := range e.cp.Capabilities {
		if slices.Contains(c.Permissions, p.Name) {
			labels = append(labels, "tether: "+c.Name)
		}
	}
	err := e.update(DemoDomain, func(o *Org) error {
		if p.Name == readPermission {
			for _, who := range e.readers(o) {
				if !slices.ContainsFunc(o.Assignments[who], func(a Assignment) bool { return a.Type == "READ_ONLY_ADMIN" }) {
					o.Assignments[who] = append([]Assignment{{ID: "ra1" + who[3:], Type: "READ_ONLY_ADMIN", Label: standardLabels["READ_ONLY_ADMIN"]}}, o.Assignments[who]...)
				}
			}
			return nil
		}
		for i := range o.CustomRoles {
			cr := &o.CustomRoles[i]
			if slices.Contains(labels, cr.Label) && !slices.Contains(cr.Permissions, p.Name) {
				cr.Permissions = append(cr.Permissions, p.Name)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return e.applyLocked()
}

// readers are who hold Read-Only Administrator in the demo org when
// nothing is withheld: its admin, its app and the app tether created.
func (e *Emulator) readers(o *Org) []string {
	out := []string{DemoAdminID, DemoClientID}
	for _, a := range o.ServiceApps {
		if a.Label == "tether" {
			out = append(out, a.ClientID)
		}
	}
	return out
}

func (e *Emulator) apply() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.applyLocked()
}

// applyLocked makes the server withhold this run's permissions from the
// whole org, those of what tether creates later in the run included.
func (e *Emulator) applyLocked() error {
	var ids []string
	for _, name := range e.withheld {
		if p, ok := e.cp.Permission(name); ok {
			ids = append(ids, p.Identifiers()...)
		}
	}
	e.Withhold(ids...)
	return nil
}

// Example is a request another client can make to the emulator.
func (e *Emulator) Example(baseURL string) string {
	return "curl --cacert ca.pem -H 'Authorization: SSWS " + DemoToken + "' '" + strings.TrimSuffix(baseURL, "/") + "/api/v1/users?limit=1'"
}

// TenantHosts returns the host names of the emulated orgs: the sandbox
// refuses the other hosts of Okta's domains.
func (e *Emulator) TenantHosts() []string { return e.Server.Hosts() }
