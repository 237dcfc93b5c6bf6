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
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
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
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers/auth0/auth0test"
)

// Options configure a sandbox.
type Options struct {
	// Dir keeps the sandbox's own state (the demo signing key); it is
	// created when missing.
	Dir string
	// Deny lists the permissions the demo tenants withhold, by provider
	// (see ParseDeny).
	Deny map[string][]string
	// Listen is the address the emulators bind to, "127.0.0.1:0" when
	// empty. A non-zero port is the first of consecutive ports, one per
	// emulator in catalog order.
	Listen string
	// Auth0 replaces the Auth0 emulator's options (tests).
	Auth0 *auth0test.Options
}

// Emulator is one running provider emulator.
type Emulator struct {
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

	server *http.Server
}

// Sandbox is a set of running emulators.
type Sandbox struct {
	Emulators []*Emulator
	// Auth0 is the Auth0 emulator, for tests and the TUI's re-check demo.
	Auth0 *auth0test.Server

	caPEM []byte
	pool  *x509.CertPool
}

// hosts are the names each emulator answers for, in the certificate and
// the client's resolver.
var hosts = map[string][]string{
	"auth0": {"*.auth0.com", "*.us.auth0.com", "*.eu.auth0.com", "*.au.auth0.com", "*.jp.auth0.com", "*.uk.auth0.com", "*.ca.auth0.com", auth0test.DemoCustomDomain},
}

// Start starts the emulators. Close stops them.
func Start(cat *catalog.Catalog, opts Options) (*Sandbox, error) {
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1:0"
	}
	host, portStr, err := net.SplitHostPort(opts.Listen)
	if err != nil {
		return nil, fmt.Errorf("--listen %q: want HOST:PORT, like 127.0.0.1:8443", opts.Listen)
	}
	var port int
	if _, err := fmt.Sscan(portStr, &port); err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("--listen %q: the port must be a number from 0 to 65535", opts.Listen)
	}
	var names []string
	for _, hs := range hosts {
		names = append(names, hs...)
	}
	slices.Sort(names)
	caCert, caPEM, leaf, err := newCertificates(names)
	if err != nil {
		return nil, fmt.Errorf("sandbox certificates: %w", err)
	}
	sb := &Sandbox{caPEM: caPEM, pool: x509.NewCertPool()}
	sb.pool.AddCert(caCert)

	// Auth0.
	a0 := opts.Auth0
	var demoKeyPEM string
	if a0 == nil {
		cp, _ := cat.Provider("auth0")
		key, keyPEM, err := demoKey(opts.Dir)
		if err != nil {
			return nil, err
		}
		demoKeyPEM = keyPEM
		scopes := withhold(cp, opts.Deny["auth0"])
		a0 = &auth0test.Options{Tenants: []auth0test.Tenant{auth0test.Demo(scopes, key.Public())}}
	}
	sb.Auth0 = auth0test.New(*a0)
	demo := map[string]string{
		"domain":        auth0test.DemoDomain,
		"client_id":     auth0test.DemoClientID,
		"client_secret": auth0test.DemoClientSecret,
	}
	if demoKeyPEM != "" {
		demo["private_key"] = demoKeyPEM
	}
	handlers := []struct {
		provider string
		h        http.Handler
		demo     map[string]string
		method   string
	}{
		{"auth0", sb.Auth0, demo, "client-secret"},
	}
	for i, h := range handlers {
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
			Handler:           h.h,
			TLSConfig:         &tls.Config{Certificates: []tls.Certificate{leaf}, MinVersion: tls.VersionTLS12},
			ReadHeaderTimeout: 10 * time.Second,
			ErrorLog:          log.New(io.Discard, "", 0),
		}
		go func() { _ = srv.ServeTLS(ln, "", "") }()
		sb.Emulators = append(sb.Emulators, &Emulator{Provider: h.provider, Addr: ln.Addr().String(),
			Hosts: hosts[h.provider], Demo: h.demo, DemoMethod: h.method, server: srv})
	}
	return sb, nil
}

// Close stops the emulators.
func (s *Sandbox) Close() error {
	var errs []error
	for _, e := range s.Emulators {
		errs = append(errs, e.server.Close())
	}
	return errors.Join(errs...)
}

// CAPEM returns the sandbox's certificate authority in PEM, for clients
// other than tether.
func (s *Sandbox) CAPEM() []byte { return slices.Clone(s.caPEM) }

// Emulator returns the emulator for a provider.
func (s *Sandbox) Emulator(provider string) (*Emulator, bool) {
	i := slices.IndexFunc(s.Emulators, func(e *Emulator) bool { return e.Provider == provider })
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
	switch provider {
	case "auth0":
		aud := "https://" + auth0test.DemoDomain + "/api/v2/"
		scopes, _ := s.Auth0.Grant(auth0test.DemoDomain, auth0test.DemoClientID, aud)
		for _, id := range perm.Identifiers() {
			if !slices.Contains(scopes, id) {
				scopes = append(scopes, id)
			}
		}
		return s.Auth0.SetGrant(auth0test.DemoDomain, auth0test.DemoClientID, aud, scopes)
	}
	return fmt.Errorf("sandbox: %s is not emulated yet", provider)
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
				if matchHost(e.Hosts, host) || addr == e.Addr {
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

// withhold returns every identifier of the provider's catalog entry except
// those of the denied permissions: the demo tenant grants what every
// capability needs, minus --sandbox-deny.
func withhold(cp catalog.Provider, denied []string) []string {
	var all []string
	for _, c := range cp.Capabilities {
		all = append(all, c.ID)
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
			p, ok := cp.Permission(perm)
			if !ok {
				names := make([]string, len(cp.Permissions))
				for i, p := range cp.Permissions {
					names[i] = p.Name
				}
				return nil, fmt.Errorf("--sandbox-deny %q: %s has no permission %q (valid: %s)", entry, prov, perm, strings.Join(names, ", "))
			}
			out[prov] = append(out[prov], p.Name)
		}
	}
	return out, nil
}

// demoKey loads or creates the demo application's private key in dir, so
// that a private-key-jwt connection set up in one sandbox run still
// verifies in the next.
func demoKey(dir string) (crypto.Signer, string, error) {
	if dir == "" {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, "", err
		}
		return k, encodeKey(k), nil
	}
	path := filepath.Join(dir, "auth0-demo-key.pem")
	if data, err := os.ReadFile(path); err == nil {
		k, err := flows.ParsePrivateKeyPEM(string(data))
		if err != nil {
			return nil, "", fmt.Errorf("sandbox demo key %s: %w (delete it to make a new one)", path, err)
		}
		return k, string(data), nil
	}
	// RSA: Auth0 accepts RS256, RS384 and PS256 client assertions.
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
