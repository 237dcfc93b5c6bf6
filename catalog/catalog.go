// Package catalog holds the API permissions the platform needs from each
// identity provider, as embedded data, and the code that loads and queries it.
//
// The catalog is the one source of the requirements: providers look their
// permissions up here, `tether catalog` prints it, and the README's
// permissions table is generated from it. It imports nothing of tether's.
package catalog

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

//go:embed catalog.yaml
var embedded []byte

// Tier says what a capability is for.
type Tier string

// The tiers of a capability.
const (
	// TierCollect is read access the platform always needs.
	TierCollect Tier = "collect"
	// TierRead is optional read access (for example Entra's Intune devices).
	TierRead Tier = "read"
	// TierRemediate is write access for one remediation action.
	TierRemediate Tier = "remediate"
)

// CollectID is the id of the one required capability of every provider.
const CollectID = "collect"

// Catalog is the set of providers and what each must grant.
type Catalog struct {
	Version   int        `yaml:"version" json:"version"`
	Providers []Provider `yaml:"providers" json:"providers"`
}

// Provider is one identity provider's requirement.
type Provider struct {
	ID           string       `yaml:"id" json:"id"`
	Name         string       `yaml:"name" json:"name"`
	Grant        string       `yaml:"grant" json:"grant"`
	Permissions  []Permission `yaml:"permissions" json:"permissions"`
	Capabilities []Capability `yaml:"capabilities" json:"capabilities"`
}

// Permission is one grant, as the integration guide names it.
type Permission struct {
	// Name is the guide's name for the permission; it identifies the
	// permission within its provider.
	Name        string `yaml:"name" json:"name"`
	Description string `yaml:"description,omitempty" json:"description"`
	Purpose     string `yaml:"purpose,omitempty" json:"purpose"`
	// Scopes are the provider's real identifiers that tether requests and
	// verifies for this permission, when they differ from Name.
	Scopes []string `yaml:"scopes,omitempty" json:"scopes,omitempty"`
	// Flag says why the guide's name is not the identifier tether uses.
	Flag string `yaml:"flag,omitempty" json:"flag,omitempty"`
	// Note explains what the permission means where the guide does.
	Note string `yaml:"note,omitempty" json:"note,omitempty"`
	// Parts are the areas verified one by one for a permission that covers
	// several (Okta's READ on /api/v1/*).
	Parts []string `yaml:"parts,omitempty" json:"parts,omitempty"`
}

// Capability groups the permissions one feature of the platform needs.
type Capability struct {
	ID          string   `yaml:"id" json:"id"`
	Name        string   `yaml:"name" json:"name"`
	Tier        Tier     `yaml:"tier" json:"tier"`
	Flag        string   `yaml:"flag,omitempty" json:"flag,omitempty"`
	Permissions []string `yaml:"permissions" json:"permissions"`
}

// Flagged reports whether the guide's name is not a real identifier.
func (p Permission) Flagged() bool { return p.Flag != "" }

// Identifiers returns what tether requests and verifies for p: its real
// scopes, or its name when that is the identifier.
func (p Permission) Identifiers() []string {
	if len(p.Scopes) > 0 {
		return p.Scopes
	}
	return []string{p.Name}
}

// Required reports whether c must always be granted.
func (c Capability) Required() bool { return c.Tier == TierCollect }

var loadDefault = sync.OnceValues(func() (*Catalog, error) { return Parse(embedded) })

// Default returns the embedded catalog. It is parsed once and must not be
// modified by callers.
func Default() (*Catalog, error) { return loadDefault() }

// Parse decodes and validates a catalog document. Unknown fields are errors,
// so a typo in the data cannot silently drop a requirement.
func Parse(data []byte) (*Catalog, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var c Catalog
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Validate checks the catalog's integrity: known version, unique ids, no
// empty capability, every referenced permission defined and every permission
// referenced, exactly one collect capability per provider.
func (c *Catalog) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("catalog: "+format, args...)) }
	if c.Version != 1 {
		bad("version %d is not supported (want 1)", c.Version)
	}
	if len(c.Providers) == 0 {
		bad("no providers")
	}
	seenProv := map[string]bool{}
	for _, p := range c.Providers {
		switch {
		case p.ID == "":
			bad("a provider has no id")
		case !validID(p.ID):
			bad("provider id %q: use lowercase letters, digits and dashes", p.ID)
		case seenProv[p.ID]:
			bad("provider %q is defined twice", p.ID)
		}
		seenProv[p.ID] = true
		if p.Name == "" {
			bad("provider %q has no name", p.ID)
		}
		perms := map[string]bool{}
		for _, perm := range p.Permissions {
			if strings.TrimSpace(perm.Name) == "" {
				bad("provider %q: a permission has no name", p.ID)
				continue
			}
			if perms[perm.Name] {
				bad("provider %q: permission %q is defined twice", p.ID, perm.Name)
			}
			perms[perm.Name] = true
			if perm.Flag != "" && len(perm.Scopes) == 0 {
				bad("provider %q: permission %q is flagged but names no real scope", p.ID, perm.Name)
			}
			for _, s := range perm.Scopes {
				if strings.TrimSpace(s) == "" {
					bad("provider %q: permission %q has an empty scope", p.ID, perm.Name)
				}
			}
		}
		used := map[string]bool{}
		caps := map[string]bool{}
		collect := 0
		for _, capa := range p.Capabilities {
			switch {
			case !validID(capa.ID):
				bad("provider %q: capability id %q: use lowercase letters, digits and dashes", p.ID, capa.ID)
			case caps[capa.ID]:
				bad("provider %q: capability %q is defined twice", p.ID, capa.ID)
			}
			caps[capa.ID] = true
			switch capa.Tier {
			case TierCollect:
				collect++
				if capa.ID != CollectID {
					bad("provider %q: the collect capability must have id %q, not %q", p.ID, CollectID, capa.ID)
				}
			case TierRead, TierRemediate:
			default:
				bad("provider %q: capability %q has tier %q (want collect, read or remediate)", p.ID, capa.ID, capa.Tier)
			}
			if len(capa.Permissions) == 0 {
				bad("provider %q: capability %q has no permissions", p.ID, capa.ID)
			}
			for _, name := range capa.Permissions {
				if !perms[name] {
					bad("provider %q: capability %q references undefined permission %q", p.ID, capa.ID, name)
				}
				used[name] = true
			}
		}
		if collect != 1 {
			bad("provider %q has %d collect capabilities (want exactly 1)", p.ID, collect)
		}
		for _, perm := range p.Permissions {
			if perm.Name != "" && !used[perm.Name] {
				bad("provider %q: permission %q belongs to no capability", p.ID, perm.Name)
			}
		}
	}
	return errors.Join(errs...)
}

func validID(s string) bool {
	if s == "" || s[0] == '-' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// IDs returns the provider ids in catalog order.
func (c *Catalog) IDs() []string {
	ids := make([]string, len(c.Providers))
	for i, p := range c.Providers {
		ids[i] = p.ID
	}
	return ids
}

// Provider returns the provider with the given id.
func (c *Catalog) Provider(id string) (Provider, bool) {
	for _, p := range c.Providers {
		if p.ID == id {
			return p, true
		}
	}
	return Provider{}, false
}

// Permission returns the permission with the given name. It also accepts
// one of the permission's real scopes, so that both the guide's name and
// the provider's identifier find it.
func (p Provider) Permission(name string) (Permission, bool) {
	for _, perm := range p.Permissions {
		if perm.Name == name {
			return perm, true
		}
	}
	for _, perm := range p.Permissions {
		if slices.Contains(perm.Scopes, name) {
			return perm, true
		}
	}
	return Permission{}, false
}

// Capability returns the capability with the given id.
func (p Provider) Capability(id string) (Capability, bool) {
	for _, c := range p.Capabilities {
		if c.ID == id {
			return c, true
		}
	}
	return Capability{}, false
}

// Optional returns the capabilities an admin may enable besides collect.
func (p Provider) Optional() []Capability {
	var out []Capability
	for _, c := range p.Capabilities {
		if !c.Required() {
			out = append(out, c)
		}
	}
	return out
}

// UnknownCapabilityError is returned when an enabled capability does not
// exist for a provider.
type UnknownCapabilityError struct {
	Provider string
	ID       string
	Valid    []string
}

func (e *UnknownCapabilityError) Error() string {
	return fmt.Sprintf("%s has no capability %q (valid: %s)", e.Provider, e.ID, strings.Join(e.Valid, ", "))
}

// Normalize returns the enabled capability ids in catalog order, with
// collect always first and duplicates removed.
func (p Provider) Normalize(enabled []string) ([]string, error) {
	want := map[string]bool{CollectID: true}
	for _, id := range enabled {
		if _, ok := p.Capability(id); !ok {
			valid := make([]string, 0, len(p.Capabilities))
			for _, c := range p.Optional() {
				valid = append(valid, c.ID)
			}
			if len(valid) == 0 {
				valid = []string{"none besides collect"}
			}
			return nil, &UnknownCapabilityError{Provider: p.ID, ID: id, Valid: valid}
		}
		want[id] = true
	}
	var out []string
	for _, c := range p.Capabilities {
		if want[c.ID] {
			out = append(out, c.ID)
		}
	}
	return out, nil
}

// Need is one permission the enabled capabilities require, with the first
// enabled capability (in catalog order) that asks for it.
type Need struct {
	Capability string
	Permission Permission
}

// Needs returns the least-privilege permission set for the enabled
// capabilities: each permission once, in catalog order of capabilities and
// then permissions. Unknown capability ids are ignored; call Normalize first.
func (p Provider) Needs(enabled []string) []Need {
	on := map[string]bool{CollectID: true}
	for _, id := range enabled {
		on[id] = true
	}
	seen := map[string]bool{}
	var out []Need
	for _, c := range p.Capabilities {
		if !on[c.ID] {
			continue
		}
		for _, name := range c.Permissions {
			if seen[name] {
				continue
			}
			seen[name] = true
			perm, _ := p.Permission(name)
			out = append(out, Need{Capability: c.ID, Permission: perm})
		}
	}
	return out
}

// Scopes returns the real identifiers to request for the enabled
// capabilities, each once, in catalog order.
func (p Provider) Scopes(enabled []string) []string {
	var out []string
	for _, n := range p.Needs(enabled) {
		for _, s := range n.Permission.Identifiers() {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

// Owner returns the permission whose identifiers include scope, and the
// first capability (in catalog order) that uses it.
func (p Provider) Owner(scope string) (perm Permission, capability string, ok bool) {
	for _, perm := range p.Permissions {
		if !slices.Contains(perm.Identifiers(), scope) {
			continue
		}
		for _, c := range p.Capabilities {
			if slices.Contains(c.Permissions, perm.Name) {
				return perm, c.ID, true
			}
		}
		return perm, "", true
	}
	return Permission{}, "", false
}
