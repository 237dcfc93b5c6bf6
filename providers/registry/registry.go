// Package registry lists the providers tether implements, each with its
// sandbox emulator: the one place a provider is registered, so that cmd/,
// ui/ and providers/sandbox never name one.
//
// Adding a provider is its catalog entry, its package, its emulator and
// one line here.
package registry

import (
	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/providers/auth0"
	"github.com/tetherdev/tether/providers/auth0/auth0test"
	"github.com/tetherdev/tether/providers/duo"
	"github.com/tetherdev/tether/providers/duo/duotest"
	"github.com/tetherdev/tether/providers/entra"
	"github.com/tetherdev/tether/providers/entra/entratest"
	"github.com/tetherdev/tether/providers/google"
	"github.com/tetherdev/tether/providers/google/googletest"
	"github.com/tetherdev/tether/providers/okta"
	"github.com/tetherdev/tether/providers/okta/oktatest"
	"github.com/tetherdev/tether/providers/salesforce"
	"github.com/tetherdev/tether/providers/salesforce/salesforcetest"
	"github.com/tetherdev/tether/providers/sandbox"
)

// Entry is one registered provider.
type Entry struct {
	// ID is the provider's catalog id.
	ID string
	// New builds the provider for the catalog's requirements.
	New func(*catalog.Catalog, providers.Env) (providers.Provider, error)
	// Emulator builds its sandbox emulator.
	Emulator func(sandbox.Config) (sandbox.Emulator, error)
}

// Entries are the registered providers.
var Entries = []Entry{
	{auth0.ID, factory(auth0.New), auth0test.NewEmulator},
	{duo.ID, factory(duo.New), duotest.NewEmulator},
	{google.ID, factory(google.New), googletest.NewEmulator},
	{okta.ID, factory(okta.New), oktatest.NewEmulator},
	{entra.ID, factory(entra.New), entratest.NewEmulator},
	{salesforce.ID, factory(salesforce.New), salesforcetest.NewEmulator},
}

// factory adapts a provider package's constructor to Entry.New.
func factory[P providers.Provider](f func(*catalog.Catalog, providers.Env) (P, error)) func(*catalog.Catalog, providers.Env) (providers.Provider, error) {
	return func(c *catalog.Catalog, e providers.Env) (providers.Provider, error) { return f(c, e) }
}

// Providers builds every entry's provider.
func Providers(entries []Entry, cat *catalog.Catalog, env providers.Env) ([]providers.Provider, error) {
	var out []providers.Provider
	for _, e := range entries {
		p, err := e.New(cat, env)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// Emulators lists every entry's emulator for the sandbox.
func Emulators(entries []Entry) []sandbox.Entry {
	var out []sandbox.Entry
	for _, e := range entries {
		if e.Emulator != nil {
			out = append(out, sandbox.Entry{Provider: e.ID, New: e.Emulator})
		}
	}
	return out
}
