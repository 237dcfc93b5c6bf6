package flows

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"
)

// NetworkError means that a host could not be reached, or did not answer
// over HTTPS as expected.
type NetworkError struct {
	Host   string
	Reason string
	Err    error
}

func (e *NetworkError) Error() string { return fmt.Sprintf("cannot reach %s: %s", e.Host, e.Reason) }
func (e *NetworkError) Unwrap() error { return e.Err }

// NetError describes a failed HTTP request to rawURL as a NetworkError,
// or returns err unchanged when it is a cancellation.
func NetError(rawURL string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) && !isTimeout(err) {
		return err
	}
	host := rawURL
	if u, perr := url.Parse(rawURL); perr == nil && u.Host != "" {
		host = u.Host
	}
	return &NetworkError{Host: host, Reason: describeNetErr(err), Err: err}
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
