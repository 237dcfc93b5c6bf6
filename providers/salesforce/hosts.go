package salesforce

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/tetherdev/tether/flows"
)

// Host is a login host or an instance host.
type Host struct{ flows.Host }

func parseHost(s string) (Host, error) {
	h, err := flows.ParseHost(s, flows.HostOptions{Loopback: true})
	return Host{h}, err
}

// hostReason is why flows.ParseHost refused a host, as a parenthesis.
func hostReason(err error) string {
	var he *flows.HostError
	if errors.As(err, &he) {
		return " (" + he.Reason + ")"
	}
	return ""
}

// url returns the https URL of path on the host.
func (h Host) url(path string) string { return "https://" + h.String() + path }

// instanceSuffixes are the domains a Salesforce org's instance_url lies
// under: My Domain hosts (*.my.salesforce.com), legacy instances
// (eu6.salesforce.com) and Government Cloud.
var instanceSuffixes = []string{".salesforce.com", ".force.com", ".cloudforce.com", ".salesforce.mil"}

// InstanceURL checks the instance_url a token response names, where every
// REST call (and so the session) goes: an https URL of a Salesforce host,
// with no path, user information, query or fragment. Against an emulator
// on loopback, the login host's own address is accepted too.
func InstanceURL(raw, loginHost string) (Host, error) {
	u, err := url.Parse(strings.TrimSuffix(strings.TrimSpace(raw), "/"))
	bad := func(why string) (Host, error) {
		return Host{}, fmt.Errorf("the instance_url %q is not a Salesforce instance (%s)", raw, why)
	}
	switch {
	case err != nil:
		return bad("not a URL")
	case u.Scheme != "https":
		return bad("not https")
	case u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "":
		return bad("it has more than a scheme and a host")
	}
	h, err := parseHost(u.Host)
	if err != nil {
		return bad("not a host name")
	}
	if h.IsLoopback() {
		if lh, err := LoginHost(loginHost); err == nil && lh.IsLoopback() {
			return h, nil
		}
		return bad("a loopback address for a real login host")
	}
	for _, s := range instanceSuffixes {
		if strings.HasSuffix(h.Name, s) {
			return h, nil
		}
	}
	return bad("not under salesforce.com or force.com")
}
