package flows

import (
	"crypto/x509"
	"errors"
	"net"
	"strings"
	"syscall"
)

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
