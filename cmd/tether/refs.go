package main

import (
	"slices"
	"strings"

	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/providers/registry"
)

// providerID reads a provider id as an admin types it: ids are lower case
// in the catalog, so "Auth0" and " auth0 " mean auth0.
func providerID(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// connectionRef reads a PROVIDER[/NAME] reference: the provider part is
// case-insensitive, the name is kept as typed (names are the admin's own).
func connectionRef(s string) string {
	prov, name, hasName := strings.Cut(strings.TrimSpace(s), "/")
	if !hasName {
		return providerID(prov)
	}
	return providerID(prov) + "/" + name
}

// connectionRefs reads every reference of a command line.
func connectionRefs(refs []string) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = connectionRef(r)
	}
	return out
}

// implemented returns the registered providers, built without any
// network or sandbox: enough to list their methods and inputs.
func (a *app) implemented() []providers.Provider {
	cat, err := a.catalog()
	if err != nil {
		return nil
	}
	ps, err := registry.Providers(a.entries(), cat, providers.Env{})
	if err != nil {
		return nil
	}
	return ps
}

// implementedIDs returns the ids of the providers tether can connect.
func (a *app) implementedIDs() []string {
	var ids []string
	for _, p := range a.implemented() {
		ids = append(ids, p.ID())
	}
	return ids
}

// implementedProvider returns the registered provider with id.
func (a *app) implementedProvider(id string) (providers.Provider, bool) {
	ps := a.implemented()
	i := slices.IndexFunc(ps, func(p providers.Provider) bool { return p.ID() == id })
	if i < 0 {
		return nil, false
	}
	return ps[i], true
}

// notYet returns the catalog's providers that tether cannot connect yet.
func (a *app) notYet() []string {
	cat, err := a.catalog()
	if err != nil {
		return nil
	}
	done := a.implementedIDs()
	var out []string
	for _, id := range cat.IDs() {
		if !slices.Contains(done, id) {
			out = append(out, id)
		}
	}
	return out
}

// checkRefs refuses, before any lookup, a reference to a provider that is
// in the catalog but that tether cannot connect yet and of which nothing
// is stored: there is nothing to verify or forget, and no setup can make
// one. Unknown providers and unknown names are left to the Manager.
func (a *app) checkRefs(m *providers.Manager, refs []string) error {
	var stored []providers.Connection
	loaded := false
	for _, ref := range refs {
		prov, _, _ := strings.Cut(ref, "/")
		if !slices.Contains(a.notYet(), prov) {
			continue
		}
		if !loaded {
			conns, err := m.Connections()
			if err != nil {
				return err
			}
			stored, loaded = conns, true
		}
		if slices.ContainsFunc(stored, func(c providers.Connection) bool { return c.Provider == prov }) {
			continue
		}
		cp, _ := m.Catalog.Provider(prov)
		return providers.Usagef("no connection %s: this version of tether cannot connect %s yet (it can connect %s); tether catalog %s lists what %s will need",
			ref, cp.Name, strings.Join(a.implementedIDs(), ", "), prov, cp.Name)
	}
	return nil
}
