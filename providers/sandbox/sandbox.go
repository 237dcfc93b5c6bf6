// Package sandbox runs every provider emulator on loopback behind TLS with
// a certificate authority generated at start, with demo tenants, so that
// `tether --sandbox` and the tests can drive the whole wizard offline.
//
// Its HTTP client reaches the emulators for the providers' real host names
// (acme.us.auth0.com resolves to the Auth0 emulator) and nothing else: a
// sandbox never touches the network or a real tenant. Only that client
// trusts the sandbox's authority.
package sandbox

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/flows/oauthtest"
)

// Options configure a sandbox.
type Options struct {
	// Dir keeps the sandbox's own state (demo keys, the demo tenants'
	// changes); it is created when missing. Empty keeps nothing.
	Dir string
	// Deny lists the permissions the demo tenants withhold, by provider
	// (see ParseDeny).
	Deny map[string][]string
	// Listen is the address the emulators bind to, "127.0.0.1:0" when
	// empty. A non-zero port is the first of consecutive ports, one per
	// emulator in catalog order.
	Listen string
	// AllowRemote lets Listen be an address other machines reach. The demo
	// tenants hand out tokens to anyone who asks, so the default is
	// loopback only.
	AllowRemote bool
	// Emulators are the emulators to run; each provider's entry comes from
	// the registry. Tests pass their own.
	Emulators []Entry
	// Faults are injected into every response of a provider's emulator
	// (--sandbox-fault, see ParseFaults).
	Faults map[string][]oauthtest.Fault
}

// Running is one emulator the sandbox serves.
type Running struct {
	Provider string
	// Addr is the loopback address it listens on.
	Addr string
	// Hosts are the host names (with wildcards) it answers for.
	Hosts []string
	// Demo holds the demo tenant's inputs, by input key, including
	// secret ones: they exist only in the emulator.
	Demo map[string]string
	// DemoMethod is the method those inputs are for.
	DemoMethod string
	// Emulator is the emulator itself, for tests and the console actions.
	Emulator Emulator
	// Faults are the faults injected into its responses; tests switch
	// them while it runs.
	Faults *oauthtest.Faults

	server *http.Server
}

// Sandbox is a set of running emulators.
type Sandbox struct {
	Emulators []*Running

	dir   string
	deny  map[string][]string
	caPEM []byte
	pool  *x509.CertPool
}

// ListenError is a --listen address the sandbox will not use.
type ListenError struct{ Msg string }

func (e *ListenError) Error() string { return e.Msg }

// checkListen validates a listen address: HOST:PORT with a numeric port,
// on loopback unless remote use is allowed.
func checkListen(listen string, allowRemote bool) (host string, port int, err error) {
	host, portStr, err := net.SplitHostPort(listen)
	if err != nil {
		return "", 0, &ListenError{fmt.Sprintf("--listen %q: want HOST:PORT, like 127.0.0.1:8443", listen)}
	}
	if _, err := fmt.Sscan(portStr, &port); err != nil || port < 0 || port > 65535 || fmt.Sprint(port) != portStr {
		return "", 0, &ListenError{fmt.Sprintf("--listen %q: the port must be a number from 0 to 65535", listen)}
	}
	ip := net.ParseIP(host)
	if host == "localhost" {
		ip = net.IPv4(127, 0, 0, 1)
		host = "127.0.0.1"
	}
	switch {
	case ip == nil:
		return "", 0, &ListenError{fmt.Sprintf("--listen %q: the host must be an IP address, like 127.0.0.1", listen)}
	case !ip.IsLoopback() && !allowRemote:
		return "", 0, &ListenError{fmt.Sprintf("--listen %q is reachable from other machines, and the demo tenants hand out tokens to anyone: use 127.0.0.1, or add --allow-remote", listen)}
	}
	return host, port, nil
}

// Start starts the emulators. Close stops them, saving what their demo
// tenants changed.
func Start(cat *catalog.Catalog, opts Options) (*Sandbox, error) {
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1:0"
	}
	host, port, err := checkListen(opts.Listen, opts.AllowRemote)
	if err != nil {
		return nil, err
	}
	if opts.Dir != "" {
		if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
			return nil, fmt.Errorf("sandbox: %w", err)
		}
	}
	sb := &Sandbox{dir: opts.Dir, deny: opts.Deny, pool: x509.NewCertPool()}
	var names []string
	for _, id := range cat.IDs() {
		i := slices.IndexFunc(opts.Emulators, func(e Entry) bool { return e.Provider == id })
		if i < 0 {
			continue
		}
		cp, _ := cat.Provider(id)
		cfg := Config{Provider: cp, Dir: opts.Dir, Withheld: opts.Deny[id]}
		em, err := opts.Emulators[i].New(cfg)
		if err != nil {
			return nil, fmt.Errorf("sandbox: the %s emulator: %w", id, err)
		}
		if err := checkLicenses(id, em, cfg); err != nil {
			return nil, fmt.Errorf("sandbox: %w", err)
		}
		if err := sb.restore(id, em); err != nil {
			return nil, err
		}
		method, demo := em.Demo()
		faults := &oauthtest.Faults{}
		if err := faults.Set(opts.Faults[id]...); err != nil {
			return nil, fmt.Errorf("sandbox: --sandbox-fault for %s: %w", id, err)
		}
		sb.Emulators = append(sb.Emulators, &Running{Provider: id, Hosts: em.Hosts(), Demo: demo, DemoMethod: method, Emulator: em, Faults: faults})
		names = append(names, em.Hosts()...)
	}
	slices.Sort(names)
	caCert, caPEM, leaf, err := newCertificates(slices.Compact(names))
	if err != nil {
		return nil, fmt.Errorf("sandbox certificates: %w", err)
	}
	sb.caPEM = caPEM
	sb.pool.AddCert(caCert)
	for i, e := range sb.Emulators {
		addr := net.JoinHostPort(host, "0")
		if port != 0 {
			addr = net.JoinHostPort(host, fmt.Sprint(port+i))
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			sb.Close()
			return nil, fmt.Errorf("sandbox: listening on %s: %w", addr, err)
		}
		srv := &http.Server{
			Handler:           e.Emulator,
			TLSConfig:         &tls.Config{Certificates: []tls.Certificate{leaf}, MinVersion: tls.VersionTLS12},
			ReadHeaderTimeout: 10 * time.Second,
			ErrorLog:          log.New(io.Discard, "", 0),
		}
		e.Faults.Install(srv)
		go func() { _ = srv.ServeTLS(ln, "", "") }()
		e.Addr, e.server = ln.Addr().String(), srv
	}
	return sb, nil
}

// Close stops the emulators and saves their demo tenants' state.
func (s *Sandbox) Close() error {
	var errs []error
	for _, e := range s.Emulators {
		if e.server != nil {
			errs = append(errs, e.server.Close())
		}
		errs = append(errs, s.save(e.Provider, e.Emulator))
	}
	return errors.Join(errs...)
}

// CAPEM returns the sandbox's certificate authority in PEM, for clients
// other than tether.
func (s *Sandbox) CAPEM() []byte { return slices.Clone(s.caPEM) }

// Emulator returns the running emulator of a provider.
func (s *Sandbox) Emulator(provider string) (*Running, bool) {
	i := slices.IndexFunc(s.Emulators, func(e *Running) bool { return e.Provider == provider })
	if i < 0 {
		return nil, false
	}
	return s.Emulators[i], true
}

// Defaults returns the demo tenant's value for every input of provider,
// secret ones included.
func (s *Sandbox) Defaults(provider string) map[string]string {
	if e, ok := s.Emulator(provider); ok {
		return e.Demo
	}
	return nil
}

// Grant makes the demo tenant grant a permission it withholds, as an admin
// would in the provider's console, so that the wizard's re-check can be
// tried in the sandbox.
func (s *Sandbox) Grant(cat *catalog.Catalog, provider, permission string) error {
	cp, ok := cat.Provider(provider)
	if !ok {
		return fmt.Errorf("sandbox: unknown provider %q", provider)
	}
	perm, ok := cp.Permission(permission)
	if !ok {
		return fmt.Errorf("sandbox: %s has no permission %q", provider, permission)
	}
	e, ok := s.Emulator(provider)
	if !ok {
		return fmt.Errorf("sandbox: %s is not emulated yet", provider)
	}
	return e.Emulator.SetGranted(perm, true)
}

// Tick grants, in provider's demo tenant, every permission the given
// capabilities need that this run does not withhold (--sandbox-deny), as
// an admin who follows the console steps of a setup would: a setup that
// enables an optional capability finds it granted. It never revokes what
// the tenant grants already (another connection may need it).
func (s *Sandbox) Tick(cat *catalog.Catalog, provider string, capabilities []string) error {
	cp, ok := cat.Provider(provider)
	if !ok {
		return fmt.Errorf("sandbox: unknown provider %q", provider)
	}
	e, ok := s.Emulator(provider)
	if !ok {
		return nil // nothing emulated, nothing to tick
	}
	for _, need := range cp.Needs(capabilities) {
		if withheld(cp, s.deny[provider], need.Permission) {
			continue
		}
		if err := e.Emulator.SetGranted(need.Permission, true); err != nil {
			return err
		}
	}
	return nil
}

// ErrNotEmulated means that a sandbox client tried to reach a host no
// emulator answers for.
var ErrNotEmulated = errors.New("not emulated by the sandbox")

// HTTPClient returns a client that reaches the emulators for their host
// names, trusts only the sandbox's authority, and refuses every other host.
func (s *Sandbox) HTTPClient() *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			for _, e := range s.Emulators {
				if addr == e.Addr {
					return dialer.DialContext(ctx, network, e.Addr)
				}
				if matchHost(e.Hosts, host) {
					if err := knownTenant(e, host); err != nil {
						return nil, &net.OpError{Op: "dial", Net: network, Err: err}
					}
					return dialer.DialContext(ctx, network, e.Addr)
				}
			}
			return nil, &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("%s is %w", host, ErrNotEmulated)}
		},
		TLSClientConfig:     &tls.Config{RootCAs: s.pool, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout: 5 * time.Second,
		ForceAttemptHTTP2:   true,
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// knownTenant checks that host, under an emulator's domains, is one of
// its tenants', when the emulator tells them apart (Tenanted).
func knownTenant(e *Running, host string) error {
	t, ok := e.Emulator.(Tenanted)
	if !ok {
		return nil
	}
	hosts := t.TenantHosts()
	if slices.ContainsFunc(hosts, func(h string) bool { return strings.EqualFold(h, host) }) {
		return nil
	}
	return fmt.Errorf("%s is %w: its %s demo tenant is at %s; use that, or leave out --sandbox to reach a real tenant",
		host, ErrNotEmulated, e.Provider, strings.Join(hosts, ", "))
}

// matchHost reports whether host matches one of patterns, where "*."
// stands for exactly one label, as in a certificate.
func matchHost(patterns []string, host string) bool {
	host = strings.ToLower(host)
	for _, p := range patterns {
		if rest, ok := strings.CutPrefix(p, "*."); ok {
			if label, suffix, ok := strings.Cut(host, "."); ok && label != "" && suffix == rest {
				return true
			}
		} else if p == host {
			return true
		}
	}
	return false
}

// ParseFaults parses --sandbox-fault values, PROVIDER:KIND entries such
// as auth0:latency=50ms or auth0:503, checking each provider against the
// catalog.
func ParseFaults(cat *catalog.Catalog, values []string) (map[string][]oauthtest.Fault, error) {
	faults, err := oauthtest.ParseFaults(values...)
	if err != nil {
		return nil, err
	}
	for prov := range faults {
		if _, ok := cat.Provider(prov); !ok {
			return nil, fmt.Errorf("--sandbox-fault: unknown provider %q (valid: %s)", prov, strings.Join(cat.IDs(), ", "))
		}
	}
	return faults, nil
}

// ParseDeny parses --sandbox-deny values: PROVIDER:PERMISSION entries,
// comma-separated or repeated, split at the first colon, with permission
// names as `tether catalog` prints them (or their real scope).
func ParseDeny(cat *catalog.Catalog, values []string) (map[string][]string, error) {
	out := map[string][]string{}
	for _, v := range values {
		for _, entry := range strings.Split(v, ",") {
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue
			}
			prov, perm, ok := strings.Cut(entry, ":")
			if !ok || perm == "" {
				return nil, fmt.Errorf("--sandbox-deny %q: want PROVIDER:PERMISSION, like auth0:read:logs", entry)
			}
			cp, ok := cat.Provider(prov)
			if !ok {
				return nil, fmt.Errorf("--sandbox-deny %q: unknown provider %q (valid: %s)", entry, prov, strings.Join(cat.IDs(), ", "))
			}
			if perm == Consent {
				out[prov] = append(out[prov], Consent) // the demo admin refuses every sign-in
				continue
			}
			if name, ok := strings.CutPrefix(perm, License); ok {
				if name == "" {
					return nil, fmt.Errorf("--sandbox-deny %q: want PROVIDER:license:NAME, like entra:license:p1", entry)
				}
				out[prov] = append(out[prov], perm) // the demo tenant lacks the licence; Start checks NAME
				continue
			}
			p, ok := cp.Permission(perm)
			if !ok {
				names := make([]string, len(cp.Permissions))
				for i, p := range cp.Permissions {
					names[i] = p.Name
				}
				return nil, fmt.Errorf("--sandbox-deny %q: %s has no permission %q (valid: %s, or consent to refuse the sign-in, or license:NAME where the tenant has licences)", entry, prov, perm, strings.Join(names, ", "))
			}
			out[prov] = append(out[prov], p.Name)
		}
	}
	return out, nil
}

// newCertificates makes a certificate authority and a server certificate
// for names plus localhost and the loopback addresses.
func newCertificates(names []string) (*x509.Certificate, []byte, tls.Certificate, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, tls.Certificate{}, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          randSerial(),
		Subject:               pkix.Name{CommonName: "tether sandbox CA", Organization: []string{"tether sandbox"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(7 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, nil, tls.Certificate{}, err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, nil, tls.Certificate{}, err
	}
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, tls.Certificate{}, err
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: randSerial(),
		Subject:      pkix.Name{CommonName: "tether sandbox"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(7 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     append([]string{"localhost"}, names...),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, caCert, &leafKey.PublicKey, caKey)
	if err != nil {
		return nil, nil, tls.Certificate{}, err
	}
	leaf := tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: leafKey}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	return caCert, caPEM, leaf, nil
}

func randSerial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	return n
}
