package flows

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// HostOptions say which hosts an input may name.
type HostOptions struct {
	// Loopback accepts this machine's loopback address (localhost,
	// 127.0.0.1, [::1]) with a port: an emulator or a test server. Real
	// tenants are always named by a DNS name on the https port.
	Loopback bool
}

// Host is a host that an admin typed, checked and normalized: a
// lowercase ASCII DNS name (internationalized names in their xn--
// form), or with HostOptions.Loopback a loopback address, and a port
// only on loopback.
type Host struct {
	// Name is the DNS name or the loopback IP, without brackets.
	Name string
	// Port is "" for the https default, or a loopback port.
	Port string
}

// String returns the host as a URL names it, host[:port], which is what
// tether connects to: url.Parse("https://" + h.String()).Host is
// h.String().
func (h Host) String() string {
	if h.Port == "" {
		if strings.Contains(h.Name, ":") {
			return "[" + h.Name + "]"
		}
		return h.Name
	}
	return net.JoinHostPort(h.Name, h.Port)
}

// IsLoopback reports whether h is this machine's loopback address.
func (h Host) IsLoopback() bool { return isLoopbackHost(h.Name) }

// ErrNotHost means that a value is not a host name: it carries more than
// a host (user information, a path, a query), a port where none is
// allowed, or a name that is not a valid DNS name. The HostError that
// wraps it says which.
var ErrNotHost = errors.New("not a host name")

// HostError says why a value is not a host. It quotes the value (a host
// is never secret); the caller adds an example of a good one.
type HostError struct {
	Input  string
	Reason string
}

func (e *HostError) Error() string {
	return fmt.Sprintf("%q is not a host name: %s", e.Input, e.Reason)
}

// Is makes errors.Is(err, ErrNotHost) hold.
func (e *HostError) Is(target error) bool { return target == ErrNotHost }

// ParseHost parses a host that an admin typed or pasted, for an https
// connection: an optional https:// and one trailing slash are accepted
// (what a browser's address bar gives), nothing else around the host.
// User information (anything before an "@") is refused, so that
// "login.acme.com:443@evil.example" can never send a credential to
// evil.example; so are paths, queries, fragments, other schemes, IP
// addresses other than loopback, and ports other than 443 except on
// loopback when opts allow it. Names are mapped by IDNA (UTS #46, the
// lookup profile: lowercase, xn-- form) and each label is checked.
func ParseHost(s string, opts HostOptions) (Host, error) {
	bad := func(format string, args ...any) (Host, error) {
		return Host{}, &HostError{Input: s, Reason: fmt.Sprintf(format, args...)}
	}
	rest := strings.TrimSpace(s)
	if rest == "" {
		return bad("it is empty")
	}
	if scheme, after, ok := strings.Cut(rest, "://"); ok {
		switch strings.ToLower(scheme) {
		case "https":
			rest = after
		case "http":
			return bad("tether connects over https only; drop the http://")
		default:
			return bad("give the host alone, without %s://", scheme)
		}
	}
	rest = strings.TrimSuffix(rest, "/")
	for _, r := range rest {
		switch {
		case r == '@':
			return bad("it holds user information (an @); give the host alone")
		case r == '/' || r == '\\':
			return bad("it holds a path; give the host alone")
		case r == '?' || r == '#':
			return bad("it holds a query or a fragment; give the host alone")
		case r == '%':
			return bad("it holds a percent-escape")
		case r <= ' ' || r == 0x7f:
			return bad("it holds a space or a control character")
		}
	}
	name, port, err := splitHostPort(rest)
	if err != nil {
		return bad("%v", err)
	}
	if ip := net.ParseIP(name); ip != nil {
		if !opts.Loopback || !ip.IsLoopback() {
			return bad("an IP address is not a domain name; give the DNS name")
		}
		name = ip.String()
	} else {
		if name, err = domainName(name); err != nil {
			return bad("%v", err)
		}
	}
	h := Host{Name: name, Port: port}
	if port == "443" {
		h.Port = "" // the https default, said out loud
	}
	if h.Port != "" && !(opts.Loopback && h.IsLoopback()) {
		return bad("a port is allowed only on this machine's loopback address; drop the :%s", port)
	}
	if h.IsLoopback() && !opts.Loopback {
		return bad("it names this machine, not a tenant")
	}
	return h, nil
}

// splitHostPort splits "host", "host:port", "[v6]" and "[v6]:port",
// checking that a port is a number from 1 to 65535.
func splitHostPort(s string) (host, port string, err error) {
	host = s
	switch {
	case strings.HasPrefix(s, "["):
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", "", errors.New("an opening bracket is not closed")
		}
		host, port = s[1:end], s[end+1:]
		if ip := net.ParseIP(host); ip == nil || !strings.Contains(host, ":") {
			return "", "", errors.New("the brackets do not hold an IPv6 address")
		}
		if port != "" {
			p, ok := strings.CutPrefix(port, ":")
			if !ok {
				return "", "", errors.New("something follows the bracketed address")
			}
			if p == "" {
				return "", "", errors.New("the port is empty")
			}
			port = p
		}
	case strings.Count(s, ":") > 1:
		return "", "", errors.New("an IPv6 address must be in brackets, like [::1]:8443")
	case strings.Contains(s, ":"):
		host, port, _ = strings.Cut(s, ":")
		if port == "" {
			return "", "", errors.New("the port is empty")
		}
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || port[0] < '0' || port[0] > '9' || n < 1 || n > 65535 || strconv.Itoa(n) != port {
			return "", "", fmt.Errorf("the port %q is not a number from 1 to 65535", port)
		}
	}
	return host, port, nil
}

// domainName maps a DNS name through IDNA and checks its labels: 1 to 63
// letters, digits and hyphens, not starting or ending with a hyphen, at
// most 253 characters, with a top-level label that is not all digits.
// One trailing dot (a fully qualified name) is dropped. "localhost" is a
// name of one label; every other name needs two.
func domainName(s string) (string, error) {
	if s == "" {
		return "", errors.New("the host is empty")
	}
	notName := errors.New("it is not a valid domain name (letters, digits, hyphens and dots)")
	if !utf8.ValidString(s) {
		return "", notName
	}
	a, err := idna.Lookup.ToASCII(s)
	if err != nil {
		return "", notName
	}
	a = strings.TrimSuffix(strings.ToLower(a), ".")
	// The ASCII form must be a fixed point, so that the host stored is
	// the host that is checked again on load.
	if again, err := idna.Lookup.ToASCII(a); err != nil || again != a {
		return "", notName
	}
	if len(a) > 253 {
		return "", errors.New("it is longer than 253 characters")
	}
	labels := strings.Split(a, ".")
	if len(labels) < 2 && a != "localhost" {
		return "", errors.New("a domain name has at least two labels, like acme.com")
	}
	for _, l := range labels {
		if !validLabel(l) {
			return "", notName
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return "", errors.New("its last label is all digits")
	}
	return a, nil
}

func validLabel(l string) bool {
	if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
