package oauthtest

import (
	"errors"
	"net"
	"net/http/httptest"
	"syscall"
	"testing"
)

func TestReset(t *testing.T) {
	for _, mode := range modes {
		f := &Faults{}
		h := &healthy{}
		ts, c := serve(t, mode, h, f)
		if err := f.Set(Fault{Kind: FaultReset}); err != nil {
			t.Fatal(err)
		}
		_, _, err := get(t, c, ts.URL)
		if !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("%s: reset fault = %v, want a connection reset (ECONNRESET)", mode, err)
		}
		if h.count() != 0 {
			t.Errorf("%s: the reset fault called the handler", mode)
		}
	}
}

// TestResetWithoutTheConnection: an HTTP/2 server without ConnContext
// can only reset the stream.
func TestResetWithoutTheConnection(t *testing.T) {
	f := &Faults{}
	ts := httptest.NewUnstartedServer(f.Wrap(&healthy{}))
	ts.EnableHTTP2 = true
	ts.StartTLS()
	defer ts.Close()
	_ = f.Set(Fault{Kind: FaultReset})
	resp, err := ts.Client().Get(ts.URL)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("stream reset = %d, want an error", resp.StatusCode)
	}
}

func TestTLSFault(t *testing.T) {
	for _, mode := range []string{"https1", "h2"} {
		f := &Faults{}
		h := &healthy{}
		ts, c := serve(t, mode, h, f)
		if _, _, err := get(t, c, ts.URL); err != nil {
			t.Fatalf("%s: before the fault: %v", mode, err)
		}
		_ = f.Set(Fault{Kind: FaultTLS})
		// The connection kept alive from the first request is reset.
		if _, _, err := get(t, c, ts.URL); err == nil {
			t.Errorf("%s: a request on an established connection succeeded under the tls fault", mode)
		}
		c.CloseIdleConnections()
		_, _, err := get(t, c, ts.URL)
		var op *net.OpError
		if !errors.As(err, &op) || op.Op != "remote error" {
			t.Errorf("%s: new connection under the tls fault = %v, want a TLS alert from the server", mode, err)
		}
		if f.Injected(FaultTLS) < 2 {
			t.Errorf("%s: Injected(tls) = %d", mode, f.Injected(FaultTLS))
		}
		_ = f.Set()
		if resp, body, err := get(t, c, ts.URL); err != nil || string(body) != realBody {
			t.Errorf("%s: after the fault is off = %v %v", mode, resp, err)
		}
		if h.count() != 2 {
			t.Errorf("%s: the handler answered %d requests, want 2 (before and after)", mode, h.count())
		}
	}
}
