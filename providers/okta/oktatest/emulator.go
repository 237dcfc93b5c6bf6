package oktatest

import (
	"fmt"
	"slices"
	"sync"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/providers/sandbox"
)

// Hosts are the names the emulator answers for in the sandbox: every Okta
// cloud's org domains, and the demo custom domain.
var Hosts = []string{"*.okta.com", "*.oktapreview.com", "*.okta-emea.com", "*.okta-gov.com", DemoCustomDomain}

// readPermission is the catalog's READ on /api/v1/*: in the demo org, the
// admin's Read-Only Administrator role.
const readPermission = "/api/v1/*"

// Emulator is the Okta emulator as the sandbox runs it: the demo org,
// less what this run withholds (--sandbox-deny).
type Emulator struct {
	*Server

	mu   sync.Mutex
	demo map[string]string
}

var _ sandbox.Emulator = (*Emulator)(nil)

// NewEmulator makes the sandbox's Okta emulator: the demo org, whose
// admin holds Read-Only Administrator (withheld by --sandbox-deny
// okta:/api/v1/*) and the custom role with every remediation permission
// the catalog names (each withheld by --sandbox-deny okta:PERMISSION).
func NewEmulator(cfg sandbox.Config) (sandbox.Emulator, error) {
	granted := cfg.Granted()
	var readRoles, perms []string
	for _, id := range granted {
		if id == readPermission {
			readRoles = []string{"READ_ONLY_ADMIN"}
		} else {
			perms = append(perms, id)
		}
	}
	key, keyPEM, err := sandbox.DemoKey(cfg.Dir, "okta-demo-key.pem")
	if err != nil {
		return nil, err
	}
	e := &Emulator{Server: New(Options{Orgs: []Org{Demo(readRoles, perms, key.Public())}}),
		demo: map[string]string{"org": DemoDomain, "api_token": DemoToken, "client_id": DemoClientID, "private_key": keyPEM}}
	return e, nil
}

func (e *Emulator) Hosts() []string { return slices.Clone(Hosts) }

func (e *Emulator) Demo() (string, map[string]string) { return "api-token", e.demo }

// SetGranted assigns or unassigns the Read-Only Administrator role of the
// demo admin and the demo app (READ on /api/v1/*), or adds or removes a
// permission of their custom role, as in Security → Administrators.
func (e *Emulator) SetGranted(p catalog.Permission, granted bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.update(DemoDomain, func(o *Org) error {
		if p.Name == readPermission {
			for _, who := range []string{DemoAdminID, DemoClientID} {
				as := slices.DeleteFunc(o.Assignments[who], func(a Assignment) bool { return a.Type == "READ_ONLY_ADMIN" })
				if granted {
					as = append([]Assignment{{ID: "ra1" + who[3:], Type: "READ_ONLY_ADMIN", Label: standardLabels["READ_ONLY_ADMIN"]}}, as...)
				}
				o.Assignments[who] = as
			}
			return nil
		}
		i := slices.IndexFunc(o.CustomRoles, func(c CustomRole) bool { return c.ID == DemoRoleID })
		if i < 0 {
			return fmt.Errorf("oktatest: the demo org has no custom role %s", DemoRoleID)
		}
		for _, id := range p.Identifiers() {
			perms := slices.DeleteFunc(o.CustomRoles[i].Permissions, func(s string) bool { return s == id })
			if granted {
				perms = append(perms, id)
			}
			o.CustomRoles[i].Permissions = perms
		}
		return nil
	})
}

// EmulatorWith makes emulators of the given orgs instead of the demo one
// (tests); the demo inputs still name the demo org and token.
func EmulatorWith(opts Options) func(sandbox.Config) (sandbox.Emulator, error) {
	return func(sandbox.Config) (sandbox.Emulator, error) {
		return &Emulator{Server: New(opts), demo: map[string]string{"org": DemoDomain, "api_token": DemoToken}}, nil
	}
}
