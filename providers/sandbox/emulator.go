package sandbox

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/flows"
)

// Emulator is one provider's emulator as the sandbox runs it: its wire
// contract (the handler), the host names it answers for, its demo tenant,
// and the console actions the sandbox can take in that tenant.
type Emulator interface {
	http.Handler
	// Hosts are the host names it answers for; "*." stands for one label.
	Hosts() []string
	// Demo returns the method and the inputs (secret ones included: they
	// exist only in the emulator) that set up the demo tenant.
	Demo() (method string, inputs map[string]string)
	// SetGranted grants or withholds a catalog permission in the demo
	// tenant, as an admin would in the provider's console.
	SetGranted(p catalog.Permission, granted bool) error
}

// Stateful is an emulator whose tenant changes (an app created, a grant
// fixed, a refresh token rotated) outlive one tether command, as a real
// tenant's do: the sandbox saves State in its directory when it closes
// and hands it to Restore the next time it starts.
type Stateful interface {
	State() ([]byte, error)
	// Restore replaces the tenant's state; it validates data like input.
	Restore(data []byte) error
}

// Tenanted is an emulator of a service where each tenant has host names
// of its own under the provider's domains (Auth0's acme.us.auth0.com,
// Okta's acme.okta.com, Duo's api-1a2b3c4d.duosecurity.com). TenantHosts
// are those of the tenants it has: the sandbox client refuses a request
// for any other host under its domains, naming the demo tenant, where the
// emulator could only answer that it knows no such tenant.
type Tenanted interface {
	TenantHosts() []string
}

// Exampler is an emulator that can show a request another client could
// make to it at baseURL (a curl line), for `tether sandbox`.
type Exampler interface {
	Example(baseURL string) string
}

// Config is what an emulator is made from.
type Config struct {
	// Provider is the catalog entry of the emulated provider.
	Provider catalog.Provider
	// Dir keeps what the emulator must keep between runs (a demo key); it
	// is empty in tests that keep nothing.
	Dir string
	// Withheld are the permissions the demo tenant withholds in this run
	// (--sandbox-deny), by name.
	Withheld []string
}

// Granted returns the identifiers the provider's required capabilities
// need, except those of the withheld permissions: the demo tenant grants
// what a default setup needs, minus --sandbox-deny, so that a setup with
// the defaults is all granted and has nothing in excess. A setup that
// enables an optional capability (--with) finds its permissions missing,
// and the sandbox's fix (f in the wizard) grants them.
func (c Config) Granted() []string { return withhold(c.Provider, c.Withheld) }

// Denied returns the identifiers of the withheld permissions, whichever
// capability they belong to: what the demo tenant must not grant in this
// run, even where its kept state (or a setup's ticking) grants it.
func (c Config) Denied() []string {
	var out []string
	for _, d := range c.Withheld {
		if perm, ok := c.Provider.Permission(d); ok {
			for _, id := range perm.Identifiers() {
				if !slices.Contains(out, id) {
					out = append(out, id)
				}
			}
		}
	}
	return out
}

// Entry registers an emulator for a provider.
type Entry struct {
	Provider string
	New      func(Config) (Emulator, error)
}

// withhold returns the identifiers of the provider's required
// capabilities except those of the denied permissions.
func withhold(cp catalog.Provider, denied []string) []string {
	var all []string
	for _, c := range cp.Capabilities {
		if c.Required() {
			all = append(all, c.ID)
		}
	}
	var out []string
	for _, s := range cp.Scopes(all) {
		deny := false
		for _, d := range denied {
			if perm, ok := cp.Permission(d); ok && slices.Contains(perm.Identifiers(), s) {
				deny = true
			}
		}
		if !deny {
			out = append(out, s)
		}
	}
	return out
}

// withheld reports whether a denied permission shares an identifier with
// perm, so that the demo tenant does not grant it.
func withheld(cp catalog.Provider, denied []string, perm catalog.Permission) bool {
	for _, d := range denied {
		if dp, ok := cp.Permission(d); ok && slices.ContainsFunc(dp.Identifiers(), func(id string) bool {
			return slices.Contains(perm.Identifiers(), id)
		}) {
			return true
		}
	}
	return false
}

// DemoKey loads or creates a demo application's RSA private key named
// name in dir, so that a connection set up with it in one sandbox run
// still verifies in the next. An empty dir makes a key that is not kept.
func DemoKey(dir, name string) (crypto.Signer, string, error) {
	if dir == "" {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, "", err
		}
		return k, encodeKey(k), nil
	}
	path := filepath.Join(dir, name)
	if data, err := os.ReadFile(path); err == nil {
		k, err := flows.ParsePrivateKeyPEM(string(data))
		if err != nil {
			return nil, "", fmt.Errorf("sandbox demo key %s: %w (delete it to make a new one)", path, err)
		}
		return k, string(data), nil
	}
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, "", err
	}
	pemKey := encodeKey(k)
	if err := flows.WriteFileAtomic(path, []byte(pemKey), 0o600); err != nil {
		return nil, "", fmt.Errorf("sandbox demo key: %w", err)
	}
	return k, pemKey, nil
}

func encodeKey(k crypto.Signer) string {
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}
