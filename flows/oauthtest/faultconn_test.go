package oauthtest

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
)

func TestReset(t *testing.T) {
	for _, mode := range modes {
		for _, post := range []bool{false, true} {
			f := &Faults{}
			h := &healthy{}
			ts, c := serve(t, mode, h, f)
			if mode == "h2" {
				// Settle the connection first (see TestResetColdHTTP2).
				if _, _, err := get(t, c, ts.URL); err != nil {
					t.Fatal(err)
				}
			}
			if err := f.Set(Fault{Kind: FaultReset}); err != nil {
				t.Fatal(err)
			}
			var err error
			if post {
				var resp *http.Response
				resp, err = c.Post(ts.URL, "application/x-www-form-urlencoded", strings.NewReader("grant_type=client_credentials"))
				if err == nil {
					resp.Body.Close()
				}
			} else {
				_, _, err = get(t, c, ts.URL)
			}
			if !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("%s (POST %v): reset fault = %v, want a connection reset (ECONNRESET)", mode, post, err)
			}
			if want := map[string]int{"h2": 1}[mode]; h.count() != want {
				t.Errorf("%s: the handler answered %d requests, want %d: the reset fault must not call it", mode, h.count(), want)
			}
		}
	}
}

// TestResetColdHTTP2: on a new HTTP/2 connection the client may still be
// writing (its SETTINGS acknowledgement) when the RST comes; Linux then
// reports the reset to that write, and the client's next read sees only
// an EOF. It is the same TCP reset: a client must take either as a lost
// connection.
func TestResetColdHTTP2(t *testing.T) {
	f := &Faults{}
	ts, c := serve(t, "h2", &healthy{}, f)
	_ = f.Set(Fault{Kind: FaultReset})
	_, _, err := get(t, c, ts.URL)
	if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("reset on a new HTTP/2 connection = %v, want ECONNRESET or io.ErrUnexpectedEOF", err)
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
