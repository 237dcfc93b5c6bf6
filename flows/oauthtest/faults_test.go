package oauthtest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// realBody is what the healthy handler answers.
const realBody = `{"users":[{"id":"u1","name":"Ada Lovelace"},{"id":"u2","name":"Grace Hopper"}]}` + "\n"

// healthy answers realBody, counting the requests that reach it.
type healthy struct {
	mu   sync.Mutex
	hits int
}

func (h *healthy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.hits++
	h.mu.Unlock()
	w.Header().Set("X-Served-By", "healthy")
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(realBody)))
	_, _ = io.WriteString(w, realBody)
}

func (h *healthy) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.hits
}

// responder is a healthy handler with its provider's error body.
type responder struct{ healthy }

func (*responder) FaultResponse(w http.ResponseWriter, _ *http.Request, status int) {
	WriteJSON(w, status, map[string]any{"statusCode": status, "message": "provider body"})
}

// done wraps h and reports on the returned channel each time a request's
// handler has returned: proof that a fault stopped when the client left.
func done(h http.Handler) (http.Handler, <-chan struct{}) {
	ch := make(chan struct{}, 16)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() { ch <- struct{}{} }()
		h.ServeHTTP(w, r)
	}), ch
}

func waitDone(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(time.Minute):
		t.Fatalf("%s: the handler did not return after the client went away", what)
	}
}

// serve serves h with f installed: mode "http1" (plain), "https1" (TLS,
// HTTP/1.1) or "h2" (TLS, HTTP/2).
func serve(t *testing.T, mode string, h http.Handler, f *Faults) (*httptest.Server, *http.Client) {
	t.Helper()
	ts := startWith(t, mode, h, f)
	return ts, ts.Client()
}

// startWith serves h in mode, with f installed unless it is nil.

func startWith(t *testing.T, mode string, h http.Handler, f *Faults) *httptest.Server {
	t.Helper()
	ts := httptest.NewUnstartedServer(h)
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the tls fault's handshake errors
	if f != nil {
		f.Install(ts.Config)
		ts.TLS = f.TLSConfig(nil)
	}
	switch mode {
	case "http1":
		ts.Start()
	case "https1", "h2":
		ts.EnableHTTP2 = mode == "h2"
		ts.StartTLS()
	default:
		t.Fatalf("mode %q", mode)
	}
	t.Cleanup(ts.Close)
	return ts
}

var modes = []string{"http1", "https1", "h2"}

func instant(_ context.Context, _ time.Duration) error { return nil }

func get(t *testing.T, c *http.Client, url string) (*http.Response, []byte, error) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

func TestNoFaultIsTransparent(t *testing.T) {
	for _, mode := range modes {
		f := &Faults{}
		ts, c := serve(t, mode, &healthy{}, f)
		resp, body, err := get(t, c, ts.URL)
		if err != nil || resp.StatusCode != 200 || string(body) != realBody || resp.Header.Get("X-Served-By") != "healthy" {
			t.Errorf("%s: healthy = %v %v %q", mode, err, resp, body)
		}
	}
}

func TestFaultStatuses(t *testing.T) {
	tests := []struct {
		kind       FaultKind
		status     int
		retryAfter string
	}{
		{FaultTooMany, 429, "1"},
		{FaultInternal, 500, ""},
		{FaultUnavailable, 503, ""},
	}
	for _, tt := range tests {
		for _, withBody := range []bool{false, true} {
			var h http.Handler = &healthy{}
			if withBody {
				h = &responder{}
			}
			f := &Faults{}
			ts, c := serve(t, "http1", h, f)
			if err := f.Set(Fault{Kind: tt.kind}); err != nil {
				t.Fatal(err)
			}
			resp, body, err := get(t, c, ts.URL)
			if err != nil {
				t.Fatalf("%s: %v", tt.kind, err)
			}
			if resp.StatusCode != tt.status || resp.Header.Get("Retry-After") != tt.retryAfter {
				t.Errorf("%s: status %d Retry-After %q, want %d %q", tt.kind, resp.StatusCode, resp.Header.Get("Retry-After"), tt.status, tt.retryAfter)
			}
			if want := "provider body"; withBody != strings.Contains(string(body), want) {
				t.Errorf("%s with FaultResponder %v: body %q", tt.kind, withBody, body)
			}
			if resp.Header.Get("X-Served-By") != "" {
				t.Errorf("%s: the fault called the handler", tt.kind)
			}
			if f.Injected(tt.kind) != 1 {
				t.Errorf("Injected(%s) = %d, want 1", tt.kind, f.Injected(tt.kind))
			}
		}
	}
}

func TestLatencyWaitsThenAnswers(t *testing.T) {
	var mu sync.Mutex
	var waited []time.Duration
	f := &Faults{Wait: func(_ context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		waited = append(waited, d)
		return nil
	}}
	h := &healthy{}
	ts, c := serve(t, "h2", h, f)
	if err := f.Set(Fault{Kind: FaultLatency, Latency: 50 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if resp, body, err := get(t, c, ts.URL); err != nil || resp.StatusCode != 200 || string(body) != realBody {
			t.Fatalf("with latency: %v %v %q", err, resp, body)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(waited) != 3 || waited[0] != 50*time.Millisecond || h.count() != 3 {
		t.Errorf("waited %v before %d answers, want 50ms before each of 3", waited, h.count())
	}
}

// TestLatencyStopsWhenTheClientLeaves uses the real wait: a latency of
// ten minutes must end when the client cancels, not after ten minutes.
func TestLatencyStopsWhenTheClientLeaves(t *testing.T) {
	for _, mode := range modes {
		f := &Faults{}
		h := &healthy{}
		wrapped, finished := done(f.Wrap(h))
		ts := startWith(t, mode, wrapped, nil)
		if err := f.Set(Fault{Kind: FaultLatency, Latency: MaxLatency}); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL, nil)
		_, err := ts.Client().Do(req)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: a request under a 10 min latency = %v, want the client's deadline", mode, err)
		}
		waitDone(t, finished, mode+" latency")
		if h.count() != 0 {
			t.Errorf("%s: the handler answered a request whose client had gone", mode)
		}
	}
}

func TestTruncate(t *testing.T) {
	for _, mode := range modes {
		f := &Faults{}
		ts, c := serve(t, mode, &healthy{}, f)
		_ = f.Set(Fault{Kind: FaultTruncate})
		resp, body, err := get(t, c, ts.URL)
		if resp == nil {
			t.Fatalf("%s: truncate = %v", mode, err)
		}
		if resp.StatusCode != 200 || resp.ContentLength != int64(len(realBody)) {
			t.Errorf("%s: status %d Content-Length %d, want 200 %d", mode, resp.StatusCode, resp.ContentLength, len(realBody))
		}
		if !errors.Is(err, io.ErrUnexpectedEOF) || string(body) != realBody[:len(realBody)/2] {
			t.Errorf("%s: read %q, %v; want the first half and io.ErrUnexpectedEOF", mode, body, err)
		}
		if json.Valid(body) {
			t.Errorf("%s: the cut body is valid JSON", mode)
		}
	}
}

func TestNonJSON(t *testing.T) {
	f := &Faults{}
	ts, c := serve(t, "https1", &healthy{}, f)
	_ = f.Set(Fault{Kind: FaultNonJSON})
	resp, body, err := get(t, c, ts.URL)
	if err != nil || resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("nonjson = %v %v", err, resp)
	}
	if json.Valid(body) || !strings.Contains(string(body), "<html>") {
		t.Errorf("nonjson body = %q, want an HTML page", body)
	}
}

func TestOversize(t *testing.T) {
	f := &Faults{}
	ts, c := serve(t, "h2", &healthy{}, f)
	_ = f.Set(Fault{Kind: FaultOversize})
	resp, err := c.Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.ContentLength != -1 {
		t.Errorf("oversize: status %d Content-Length %d, want 200 and none", resp.StatusCode, resp.ContentLength)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil || len(body) <= 10_000_000 || len(body) <= 10<<20 {
		t.Errorf("oversize body: %d bytes, %v; want over 10 MB", len(body), err)
	}
	if !json.Valid(body) {
		t.Error("the oversize body is not well-formed JSON: a client must refuse it for its size alone")
	}
}

// TestOversizeStreams: the body is written without holding it whole.
func TestOversizeStreams(t *testing.T) {
	_ = oversizeChunk()
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	w := &discard{header: http.Header{}}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	oversize(w, r)
	runtime.ReadMemStats(&after)
	if w.n < OversizeBytes {
		t.Fatalf("wrote %d bytes, want %d", w.n, OversizeBytes)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("writing %d bytes allocated %d: the body is not streamed", w.n, grew)
	}
}

type discard struct {
	header http.Header
	n      int
}

func (d *discard) Header() http.Header         { return d.header }
func (d *discard) WriteHeader(int)             {}
func (d *discard) Write(p []byte) (int, error) { d.n += len(p); return len(p), nil }

func TestOversizeStopsWhenTheClientLeaves(t *testing.T) {
	f := &Faults{}
	wrapped, finished := done(f.Wrap(&healthy{}))
	ts := httptest.NewServer(wrapped)
	defer ts.Close()
	_ = f.Set(Fault{Kind: FaultOversize})
	resp, err := ts.Client().Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(resp.Body, make([]byte, 1024)); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close() // before the end: the transport closes the connection
	waitDone(t, finished, "oversize")
}

func TestTrickle(t *testing.T) {
	var mu sync.Mutex
	waits := 0
	f := &Faults{Wait: func(_ context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		if d != TrickleInterval {
			t.Errorf("trickle waited %s, want %s", d, TrickleInterval)
		}
		waits++
		return nil
	}}
	ts, c := serve(t, "h2", &healthy{}, f)
	_ = f.Set(Fault{Kind: FaultTrickle})
	resp, body, err := get(t, c, ts.URL)
	if err != nil || resp.StatusCode != 200 || string(body) != realBody {
		t.Fatalf("trickle = %v %v %q, want the real answer, slowly", err, resp, body)
	}
	mu.Lock()
	defer mu.Unlock()
	if waits != len(realBody) {
		t.Errorf("trickle waited %d times for %d bytes, want one wait per byte", waits, len(realBody))
	}
}

// TestTrickleStopsWhenTheClientLeaves: the headers come at once; the
// body never does, and the handler ends when the client gives up.
func TestTrickleStopsWhenTheClientLeaves(t *testing.T) {
	for _, mode := range modes {
		f := &Faults{Wait: func(ctx context.Context, _ time.Duration) error {
			<-ctx.Done() // a wait longer than any client's patience
			return ctx.Err()
		}}
		wrapped, finished := done(f.Wrap(&healthy{}))
		ts := startWith(t, mode, wrapped, nil)
		_ = f.Set(Fault{Kind: FaultTrickle})
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL, nil)
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatalf("%s: the headers did not come at once: %v", mode, err)
		}
		if resp.StatusCode != 200 || resp.ContentLength != int64(len(realBody)) {
			t.Errorf("%s: trickle headers %d %d", mode, resp.StatusCode, resp.ContentLength)
		}
		cancel()
		if _, err := io.ReadAll(resp.Body); err == nil {
			t.Errorf("%s: the body arrived although every wait blocks", mode)
		}
		resp.Body.Close()
		waitDone(t, finished, mode+" trickle")
	}
}

func TestSetRefusesConflicts(t *testing.T) {
	f := &Faults{}
	for _, list := range [][]Fault{
		{{Kind: FaultTooMany}, {Kind: FaultInternal}},
		{{Kind: FaultReset}, {Kind: FaultReset}},
		{{Kind: FaultLatency}},
		{{Kind: "teapot"}},
	} {
		if err := f.Set(list...); !errors.Is(err, ErrBadFault) {
			t.Errorf("Set(%v) = %v, want ErrBadFault", list, err)
		}
	}
	if len(f.Active()) != 0 {
		t.Errorf("a refused Set changed the faults: %v", f.Active())
	}
}
