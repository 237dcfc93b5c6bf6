package flows

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
)

// NetworkError means that a host could not be reached, or did not answer
// over HTTPS as expected.
type NetworkError struct {
	Host   string
	Reason string
	// Proxy is the proxy the request went through (HTTPS_PROXY), as
	// host:port without its credentials, when one is configured for Host.
	Proxy string
	Err   error
}

func (e *NetworkError) Error() string {
	if e.Proxy != "" {
		return fmt.Sprintf("cannot reach %s through the proxy %s: %s (the proxy may have refused or dropped the connection: check it, or list the host in NO_PROXY)", e.Host, e.Proxy, e.Reason)
	}
	return fmt.Sprintf("cannot reach %s: %s", e.Host, e.Reason)
}
func (e *NetworkError) Unwrap() error { return e.Err }

// NetError describes a failed HTTP request to rawURL as a NetworkError,
// or returns err unchanged when it is a cancellation.
func NetError(rawURL string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) && !isTimeout(err) {
		return err
	}
	host := rawURL
	ne := &NetworkError{Reason: describeNetErr(err), Err: err}
	if u, perr := url.Parse(rawURL); perr == nil && u.Host != "" {
		host = u.Host
		ne.Proxy = proxyFor(u)
	}
	ne.Host = host
	var unknownAuth x509.UnknownAuthorityError
	if ne.Proxy != "" && errors.As(err, &unknownAuth) {
		// The proxy inspects TLS: it is the proxy's certificate.
		ne.Reason = "the proxy presented a TLS certificate this machine does not trust (a TLS-inspecting proxy: add its CA to the system's trust store, or SSL_CERT_FILE)"
	}
	return ne
}

// proxyFor names the proxy the environment sets for u (HTTPS_PROXY,
// HTTP_PROXY, NO_PROXY, as net/http reads them), without credentials.
func proxyFor(u *url.URL) string {
	p, err := http.ProxyFromEnvironment(&http.Request{URL: u})
	if err != nil || p == nil {
		return ""
	}
	return p.Host
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// describeNetErr says in a few words why a request failed.
func describeNetErr(err error) string {
	var dnsErr *net.DNSError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var certInvalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			// The resolver found no such name; which resolver that is
			// (a VPN's, a captive portal's) is not the admin's typing.
			return "no such host: check the domain, and that this machine's DNS resolves public names (no network, a VPN or a proxy-only network can hide them)"
		}
		return "the name did not resolve (" + dnsErr.Err + "): check this machine's network connection and DNS"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused (a proxy or firewall in the way?)"
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return "the network is unreachable: check this machine's network connection (and HTTPS_PROXY if it must use a proxy)"
	case errors.As(err, &unknownAuth):
		return "its TLS certificate is not signed by a trusted authority (a TLS-inspecting proxy?)"
	case errors.As(err, &hostErr):
		return "its TLS certificate is for another host"
	case errors.As(err, &certInvalid):
		return "its TLS certificate is invalid (" + certInvalid.Error() + ")"
	case isTimeout(err):
		return "the request timed out: a slow or blocked network, or a proxy that does not answer"
	}
	msg := err.Error()
	// *url.Error repeats the method and URL; keep only the cause.
	if i := strings.LastIndex(msg, "\": "); i >= 0 {
		msg = msg[i+3:]
	}
	return msg
}
