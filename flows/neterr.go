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
			return "no such host (check the spelling of the domain)"
		}
		return "the name did not resolve (" + dnsErr.Err + ")"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return "the network is unreachable"
	case errors.As(err, &unknownAuth):
		return "its TLS certificate is not signed by a trusted authority (a TLS-inspecting proxy?)"
	case errors.As(err, &hostErr):
		return "its TLS certificate is for another host"
	case errors.As(err, &certInvalid):
		return "its TLS certificate is invalid (" + certInvalid.Error() + ")"
	case isTimeout(err):
		return "the request timed out"
	}
	msg := err.Error()
	// *url.Error repeats the method and URL; keep only the cause.
	if i := strings.LastIndex(msg, "\": "); i >= 0 {
		msg = msg[i+3:]
	}
	return msg
}
