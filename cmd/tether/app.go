package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/providers/registry"
	"github.com/tetherdev/tether/providers/sandbox"
	"github.com/tetherdev/tether/ui/plain"
)

// app is the factory every command draws from: the streams, the global
// flags, and what is built from them on first use (the catalog, the
// sandbox, the stores, the Manager).
type app struct {
	ios *plain.IOStreams

	// Global flags.
	sandbox      bool
	sandboxDeny  []string
	sandboxFault []string
	storeFlag    string
	noBrowser    bool
	accessible   bool
	timeout      time.Duration // --timeout of verify and setup
	// adminDelay is how long the sandbox's demo admin takes to approve a
	// sign-in: a visible pause in the wizard, none in plain mode.
	adminDelay time.Duration

	// notify, while the TUI owns the terminal, shows a notice in it
	// instead of writing to stderr over its screen.
	notify func(string)

	// sandboxOptions replaces the sandbox's demo tenants (tests).
	sandboxOptions *sandbox.Options
	// registry replaces the registered providers (tests).
	registry []registry.Entry
	// wait replaces the Manager's wait between consent-lag re-checks
	// (tests).
	wait func(context.Context, time.Duration) error

	mu      sync.Mutex
	cat     *catalog.Catalog
	sb      *sandbox.Sandbox
	manager *providers.Manager
	// managerLive says that the manager's providers reach their tenants
	// (or the sandbox's emulators), not only check records.
	managerLive bool
	stores      map[flows.StoreKind]flows.Store
}

func (a *app) catalog() (*catalog.Catalog, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cat == nil {
		c, err := catalog.Default()
		if err != nil {
			return nil, err
		}
		a.cat = c
	}
	return a.cat, nil
}

// configDir is where metadata lives: the sandbox has a directory of its
// own, so that a demo never touches real connections.
func (a *app) configDir() (string, error) {
	dir, err := flows.DefaultConfigDir()
	if err != nil {
		return "", err
	}
	if a.sandbox {
		return filepath.Join(dir, "sandbox"), nil
	}
	return dir, nil
}

// storeKind is where new credentials go: --store, then TETHER_STORE, then
// the keyring.
func (a *app) storeKind() (flows.StoreKind, error) {
	v := a.storeFlag
	if v == "" {
		v = os.Getenv("TETHER_STORE")
	}
	if v == "" {
		return flows.StoreKeyring, nil
	}
	k, err := flows.ParseStoreKind(v)
	if err != nil {
		return "", &providers.UsageError{Msg: err.Error()}
	}
	return k, nil
}

// notice tells the admin something on the side: in the TUI while it owns
// the terminal, else on stderr.
func (a *app) notice(msg string) {
	a.mu.Lock()
	notify := a.notify
	a.mu.Unlock()
	if notify != nil {
		notify(msg)
		return
	}
	fmt.Fprintln(a.ios.Stderr(), "tether: "+msg)
}

// store opens the credential store of a kind once.
func (a *app) store(kind flows.StoreKind) (flows.Store, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s, ok := a.stores[kind]; ok {
		return s, nil
	}
	dir, err := a.configDir()
	if err != nil {
		return nil, err
	}
	// Two tethers writing one connection's keyring items take turns.
	keyringLock := func() (func(), error) { return flows.LockFile(filepath.Join(dir, ".keyring.lock")) }
	var s flows.Store
	switch {
	case a.sandbox:
		kr := flows.NewKeyringStore("tether-sandbox")
		kr.Timeout, kr.OnWait, kr.Lock = 5*time.Second, a.notice, keyringLock
		file := func() (flows.Store, error) {
			return flows.OpenFileStoreWithIdentity(filepath.Join(dir, "credentials"), filepath.Join(dir, "age-identity.txt"))
		}
		switch kind {
		case flows.StoreKeyring:
			s = &sandbox.Store{Keyring: kr, File: file}
		default:
			if s, err = file(); err != nil {
				return nil, err
			}
		}
	case kind == flows.StoreKeyring:
		kr := flows.NewKeyringStore("tether")
		kr.OnWait, kr.Lock = a.notice, keyringLock
		s = kr
	default:
		var fs *flows.FileStore
		if pass := os.Getenv("TETHER_PASSPHRASE"); pass != "" {
			fs, err = flows.OpenFileStoreWithPassphrase(filepath.Join(dir, "credentials"), pass)
		} else {
			id := os.Getenv("TETHER_AGE_IDENTITY")
			if id == "" {
				id = filepath.Join(dir, "age-identity.txt")
			}
			fs, err = flows.OpenFileStoreWithIdentity(filepath.Join(dir, "credentials"), id)
		}
		if err != nil {
			return nil, err
		}
		// The key is made with the first credential; say where it is.
		fs.OnNewKey = a.notice
		s = fs
	}
	if a.stores == nil {
		a.stores = map[flows.StoreKind]flows.Store{}
	}
	a.stores[kind] = s
	return s, nil
}

// managerFor builds the Manager. withProviders starts what the providers
// need to sign in and verify (the sandbox's emulators); commands that only
// read metadata pass false.
func (a *app) managerFor(withProviders bool) (*providers.Manager, error) {
	cat, err := a.catalog()
	if err != nil {
		return nil, err
	}
	dir, err := a.configDir()
	if err != nil {
		return nil, err
	}
	kind, err := a.storeKind()
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.manager != nil && (!withProviders || a.managerLive) {
		return a.manager, nil
	}
	if a.timeout < 0 {
		return nil, providers.Usagef("--timeout %s: want a positive duration, like 30s or 2m", a.timeout)
	}
	m := &providers.Manager{Catalog: cat, Config: providers.Config{Dir: dir}, Store: a.store, StoreKind: kind, Timeout: a.timeout, Wait: a.wait}
	// Without the emulators the providers still check the records read.
	env := providers.Env{HTTP: &http.Client{Timeout: 30 * time.Second, Transport: userAgent{transport()}}}
	if withProviders {
		if a.sandbox {
			deny, err := sandbox.ParseDeny(cat, a.sandboxDeny)
			if err != nil {
				return nil, &providers.UsageError{Msg: err.Error()}
			}
			faults, err := sandbox.ParseFaults(cat, a.sandboxFault)
			if err != nil {
				return nil, &providers.UsageError{Msg: err.Error()}
			}
			opts := sandbox.Options{Dir: dir, Deny: deny, Faults: faults, Emulators: registry.Emulators(a.entries())}
			if a.sandboxOptions != nil {
				opts = *a.sandboxOptions
			}
			sb, err := sandbox.Start(cat, opts)
			if err != nil {
				return nil, err
			}
			a.sb = sb
			env.HTTP = sb.HTTPClient()
			delay := a.adminDelay
			m.Interact = func(ctx context.Context, provider string, io flows.Interaction) flows.Interaction {
				// The demo admin first ticks what the console steps list
				// for the capabilities this setup enables.
				if caps, ok := providers.CapabilitiesOf(ctx); ok {
					if err := sb.Tick(cat, provider, caps); err != nil {
						io.Events.Emit(flows.Progress{Message: "the sandbox's demo admin could not grant what the setup needs: " + err.Error()})
					}
				}
				return sb.Admin(provider, delay).Interact(ctx, io)
			}
		}
	}
	ps, err := registry.Providers(a.entries(), cat, env)
	if err != nil {
		return nil, err
	}
	m.Providers = ps
	a.manager, a.managerLive = m, withProviders
	return m, nil
}

// entries are the registered providers.
func (a *app) entries() []registry.Entry {
	if a.registry != nil {
		return a.registry
	}
	return registry.Entries
}

// accessibleMode reports whether to ask questions line by line, with no
// redraws: --accessible, or a terminal that cannot redraw (TERM=dumb).
func (a *app) accessibleMode() bool {
	return a.accessible || a.ios.Getenv("TERM") == "dumb"
}

// opener is how this machine opens the admin's browser: never over SSH or
// without a display, never with --no-browser, else $BROWSER or the
// platform's opener.
func (a *app) opener() flows.Opener {
	return flows.SystemBrowser(a.ios.Getenv, a.noBrowser)
}

// sandboxDefaults returns the demo tenant's inputs in sandbox mode.
func (a *app) sandboxDefaults(provider string) map[string]string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.sb == nil {
		return nil
	}
	return a.sb.Defaults(provider)
}

func (a *app) close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.sb != nil {
		_ = a.sb.Close()
	}
}

// transport is the default transport that also names tether on a proxy's
// CONNECT, so that a proxy's logs and rules see who asked.
func transport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ProxyConnectHeader = http.Header{"User-Agent": {"tether/" + versionString()}}
	return t
}

// userAgent names tether in every request, as API providers ask clients to.
type userAgent struct{ next http.RoundTripper }

func (u userAgent) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", "tether/"+versionString())
	return u.next.RoundTrip(r)
}

// ctxErr prefers the context's error, so an interrupt reads as one.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
