package flows

import (
	"net"
	"strings"
	"syscall"
	"testing"
)

// TestDescribeNetErrNamesTheNetwork: a request that could not leave this
// machine is not blamed on the admin's typing alone.
func TestDescribeNetErrNamesTheNetwork(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want []string
	}{
		{"no such host", &net.DNSError{Err: "no such host", Name: "acme.us.auth0.com", IsNotFound: true}, []string{"no such host", "DNS", "proxy"}},
		{"no DNS server", &net.DNSError{Err: "server misbehaving", Name: "acme.us.auth0.com", IsTemporary: true}, []string{"did not resolve", "network", "DNS"}},
		{"unreachable", &net.OpError{Op: "dial", Err: syscall.ENETUNREACH}, []string{"unreachable", "network", "HTTPS_PROXY"}},
		{"refused", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, []string{"refused", "proxy"}},
	}
	for _, tt := range tests {
		got := describeNetErr(tt.err)
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("describeNetErr(%s) = %q, want it to name %q", tt.name, got, w)
			}
		}
		if strings.Contains(got, "spelling") {
			t.Errorf("describeNetErr(%s) = %q blames the spelling", tt.name, got)
		}
	}
}
