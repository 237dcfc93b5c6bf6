package providers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tetherdev/tether/flows"
)

// fakeClock advances on Wait and records what it was asked to wait.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func (c *fakeClock) clock() flows.Clock {
	return flows.Clock{
		Now: func() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now },
		Sleep: func(ctx context.Context, d time.Duration) error {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.waits = append(c.waits, d)
			c.now = c.now.Add(d)
			return ctx.Err()
		},
	}
}

// scripted answers the nth request with the nth handler (the last one
// repeats) and counts the requests and their Authorization headers.
type scripted struct {
	mu       sync.Mutex
	steps    []http.HandlerFunc
	n        int
	authSeen []string
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	i := min(s.n, len(s.steps)-1)
	s.n++
	s.authSeen = append(s.authSeen, r.Header.Get("Authorization"))
	s.mu.Unlock()
	s.steps[i](w, r)
}

func status(code int, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = w.Write([]byte(body))
	}
}

// reset closes the connection without an answer.
func reset(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

func TestProber(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	tests := []struct {
		name      string
		steps     []http.HandlerFunc
		wantOK    bool
		wantReqs  int
		wantWaits []time.Duration // exact waits; nil means "don't care"
		errHas    string
		notesHas  string
	}{
		{name: "ok", steps: []http.HandlerFunc{status(200, `[]`)}, wantOK: true, wantReqs: 1},
		{name: "one 503 is retried", steps: []http.HandlerFunc{status(503, `{}`), status(200, `[]`)}, wantOK: true, wantReqs: 2, notesHas: "2 attempts"},
		{name: "one 500 is retried", steps: []http.HandlerFunc{status(500, `{}`), status(200, `[]`)}, wantOK: true, wantReqs: 2},
		{name: "a reset connection is retried", steps: []http.HandlerFunc{reset, status(200, `[]`)}, wantOK: true, wantReqs: 2},
		{name: "429 waits what Retry-After says", steps: []http.HandlerFunc{status(429, `{}`, "Retry-After", "7"), status(200, `[]`)},
			wantOK: true, wantReqs: 2, wantWaits: []time.Duration{7 * time.Second}, notesHas: "asked to wait 7s"},
		{name: "a negative Retry-After waits nothing", steps: []http.HandlerFunc{status(429, `{}`, "Retry-After", "-5"), status(200, `[]`)},
			wantOK: true, wantReqs: 2, wantWaits: []time.Duration{0}},
		{name: "an absurd Retry-After is not waited", steps: []http.HandlerFunc{status(429, `{"errorCode":"too_many_requests"}`, "Retry-After", "9700000000")},
			wantReqs: 1, wantWaits: []time.Duration{}, notesHas: "longer than tether waits"},
		{name: "a Retry-After date", steps: []http.HandlerFunc{status(429, `{}`, "Retry-After", now.Add(3*time.Second).UTC().Format(http.TimeFormat)), status(200, `[]`)},
			wantOK: true, wantReqs: 2, wantWaits: []time.Duration{3 * time.Second}},
		{name: "the provider's reset header", steps: []http.HandlerFunc{status(429, `{}`, "X-RateLimit-Reset", fmt.Sprint(now.Unix()+5)), status(200, `[]`)},
			wantOK: true, wantReqs: 2, wantWaits: []time.Duration{5 * time.Second}},
		{name: "persistent 503 gives up", steps: []http.HandlerFunc{status(503, `{}`)}, wantReqs: 4},
		{name: "403 is an answer, not retried", steps: []http.HandlerFunc{status(403, `{"errorCode":"insufficient_scope"}`)}, wantReqs: 1},
		{name: "a 200 that is not JSON proves nothing", steps: []http.HandlerFunc{func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html>maintenance</html>"))
		}}, wantReqs: 1, errHas: "not JSON (text/html)"},
		{name: "an oversize body proves nothing", steps: []http.HandlerFunc{status(200, `"`+strings.Repeat("x", 1<<20+10)+`"`)}, wantReqs: 1, errHas: "larger than 1024 KiB"},
		{name: "a truncated body is retried, then an error", steps: []http.HandlerFunc{func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Length", "100")
			_, _ = w.Write([]byte(`[{"user_id":`))
		}}, wantReqs: 4, errHas: "broke off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &scripted{steps: tt.steps}
			srv := httptest.NewServer(s)
			defer srv.Close()
			clk := &fakeClock{now: now}
			attempt := 0
			p := &Prober{Provider: "Acme", Env: Env{HTTP: srv.Client(), Clock: clk.clock()}, ResetHeader: "X-RateLimit-Reset",
				DecodeError: func(_ int, b []byte) (string, string) { return "", "" },
				Authorize: func(r *http.Request) error {
					attempt++
					r.Header.Set("Authorization", fmt.Sprintf("Bearer try-%d", attempt))
					return nil
				}}
			a := p.Get(context.Background(), srv.URL+"/api/x?per_page=1")
			if a.OK() != tt.wantOK {
				t.Errorf("Get() = %s, OK %v, want %v", a, a.OK(), tt.wantOK)
			}
			if s.n != tt.wantReqs {
				t.Errorf("requests = %d, want %d (%s)", s.n, tt.wantReqs, a)
			}
			for i, auth := range s.authSeen {
				if auth != fmt.Sprintf("Bearer try-%d", i+1) {
					t.Errorf("attempt %d was authorized with %q: Authorize must run on every attempt", i+1, auth)
				}
			}
			if tt.wantWaits != nil && fmt.Sprint(clk.waits) != fmt.Sprint(tt.wantWaits) {
				t.Errorf("waits = %v, want %v", clk.waits, tt.wantWaits)
			}
			if tt.errHas != "" && (a.Err == nil || !strings.Contains(a.Err.Error(), tt.errHas)) {
				t.Errorf("Get() error = %v, want it to say %q", a.Err, tt.errHas)
			}
			if tt.notesHas != "" && !strings.Contains(a.String(), tt.notesHas) {
				t.Errorf("Get() = %q, want the evidence to say %q", a, tt.notesHas)
			}
			if a.Request != "GET /api/x?per_page=1" {
				t.Errorf("Request = %q", a.Request)
			}
		})
	}
}

// TestProberStopsAtTheDeadline: a server that never answers costs the
// deadline and no more, and the answer says so.
func TestProberStopsAtTheDeadline(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	ctx, cancel := WithDeadline(context.Background(), 50*time.Millisecond)
	defer cancel()
	p := &Prober{Provider: "Acme", Env: Env{HTTP: srv.Client()}}
	a := p.Get(ctx, srv.URL+"/slow")
	var dl *DeadlineError
	if !errors.As(a.Err, &dl) || a.Err.Error() != "no answer within 50ms" || a.OK() {
		t.Errorf("Get(slow) = %v, want no answer within 50ms", a.Err)
	}
	if !strings.Contains(a.Advice("Acme"), "--timeout") {
		t.Errorf("Advice = %q", a.Advice("Acme"))
	}
}

// TestProberDoesNotRetryPastTheDeadline: a wait that would end after the
// deadline is not started.
func TestProberDoesNotRetryPastTheDeadline(t *testing.T) {
	s := &scripted{steps: []http.HandlerFunc{status(429, `{}`, "Retry-After", "20")}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	clk := &fakeClock{now: time.Now()}
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(10*time.Second))
	defer cancel()
	p := &Prober{Provider: "Acme", Env: Env{HTTP: srv.Client(), Clock: clk.clock()}}
	a := p.Get(ctx, srv.URL+"/x")
	if s.n != 1 || len(clk.waits) != 0 || !strings.Contains(a.String(), "would pass the deadline") || !strings.Contains(a.String(), "asked to wait 20s") {
		t.Errorf("requests %d, waits %v, answer %q", s.n, clk.waits, a)
	}
}

func TestAdviceNeverGivesTheGrantFix(t *testing.T) {
	for _, a := range []Answer{
		{Status: 500}, {Status: 429}, {Status: 401}, {Err: &flows.NetworkError{Host: "x", Reason: "connection refused"}},
		{Err: errors.New("the answer (200) is not JSON (text/html)")}, {Err: &DeadlineError{After: time.Second}},
	} {
		adv := a.Advice("Acme")
		if adv == "" || strings.Contains(adv, "tick") || strings.Contains(adv, "grant") {
			t.Errorf("Advice(%v) = %q", a, adv)
		}
	}
}

// TestRetryTokenRequests: a token request refused with 429 or 503 is
// tried again after the wait asked; a 401 is not.
func TestRetryTokenRequests(t *testing.T) {
	tests := []struct {
		name  string
		errs  []error
		calls int
		waits string
		ok    bool
	}{
		{"429 then ok", []error{&flows.TokenError{Status: 429, Header: http.Header{"Retry-After": {"3"}}}, nil}, 2, "[3s]", true},
		{"503 twice then ok", []error{&flows.TokenError{Status: 503, Header: http.Header{"Retry-After": {"1"}}}, &flows.TokenError{Status: 503, Header: http.Header{"Retry-After": {"1"}}}, nil}, 3, "[1s 1s]", true},
		{"401 is final", []error{&flows.TokenError{Status: 401}}, 1, "[]", false},
		{"an absurd wait is not waited", []error{&flows.TokenError{Status: 429, Header: http.Header{"Retry-After": {"9700000000"}}}}, 1, "[]", false},
		{"a refused connection is final", []error{&flows.NetworkError{Host: "x", Reason: "connection refused", Err: syscallRefused()}}, 1, "[]", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := &fakeClock{now: time.Now()}
			p := &Prober{Provider: "Acme", Env: Env{Clock: clk.clock()}}
			calls := 0
			err := p.Retry(context.Background(), "the token request", func(context.Context) error {
				calls++
				if calls > len(tt.errs) {
					return tt.errs[len(tt.errs)-1]
				}
				return tt.errs[calls-1]
			})
			if (err == nil) != tt.ok || calls != tt.calls || fmt.Sprint(clk.waits) != tt.waits {
				t.Errorf("Retry() = %v after %d calls, waits %v; want ok=%v after %d calls, waits %s", err, calls, clk.waits, tt.ok, tt.calls, tt.waits)
			}
		})
	}
}

func syscallRefused() error {
	return &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
}

// TestProberBackoffHook: a provider's own backoff decides the waits when
// it sends no Retry-After, and each retry is authorized again.
func TestProberBackoffHook(t *testing.T) {
	s := &scripted{steps: []http.HandlerFunc{status(429, `{}`), status(429, `{}`), status(200, `{}`)}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	clk := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	signed := 0
	p := &Prober{Provider: "Duo", Env: Env{HTTP: srv.Client(), Clock: clk.clock()},
		Authorize: func(r *http.Request) error { signed++; r.Header.Set("Authorization", fmt.Sprint(signed)); return nil },
		Backoff:   func(n int) time.Duration { return time.Second << n }}
	a := p.Get(context.Background(), srv.URL+"/x")
	if !a.OK() {
		t.Fatalf("Get = %v", a)
	}
	if want := []time.Duration{time.Second, 2 * time.Second}; fmt.Sprint(clk.waits) != fmt.Sprint(want) {
		t.Errorf("waits = %v, want %v", clk.waits, want)
	}
	if fmt.Sprint(s.authSeen) != "[1 2 3]" {
		t.Errorf("Authorization per attempt = %v, want each attempt signed anew", s.authSeen)
	}
}

// TestProberNeverSendsAWriteTwice: a POST that failed in a way the server
// may have done it (a 5xx, a connection broken after sending) is not sent
// again; a rate-limited one, refused before it was done, is; a GET is
// retried either way.
func TestProberNeverSendsAWriteTwice(t *testing.T) {
	for _, tc := range []struct {
		name     string
		method   string
		steps    []http.HandlerFunc
		requests int
		ok       bool
	}{
		{"POST 503", http.MethodPost, []http.HandlerFunc{status(503, `{}`), status(201, `{}`)}, 1, false},
		{"POST 504", http.MethodPost, []http.HandlerFunc{status(504, `{}`), status(201, `{}`)}, 1, false},
		{"POST reset", http.MethodPost, []http.HandlerFunc{reset, status(201, `{}`)}, 1, false},
		{"POST 429", http.MethodPost, []http.HandlerFunc{status(429, `{}`), status(201, `{}`)}, 2, true},
		{"PATCH 502", http.MethodPatch, []http.HandlerFunc{status(502, `{}`), status(200, `{}`)}, 1, false},
		{"GET 503", http.MethodGet, []http.HandlerFunc{status(503, `{}`), status(200, `{}`)}, 2, true},
		{"PUT 503", http.MethodPut, []http.HandlerFunc{status(503, `{}`), status(200, `{}`)}, 2, true},
		{"GET reset", http.MethodGet, []http.HandlerFunc{reset, status(200, `{}`)}, 2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &scripted{steps: tc.steps}
			srv := httptest.NewServer(s)
			defer srv.Close()
			clk := &fakeClock{now: time.Unix(1_700_000_000, 0)}
			p := &Prober{Provider: "Okta", Env: Env{HTTP: srv.Client(), Clock: clk.clock()}}
			a := p.Do(context.Background(), tc.method, srv.URL+"/api/v1/apps", []byte(`{}`), nil)
			s.mu.Lock()
			n := s.n
			s.mu.Unlock()
			if n != tc.requests || a.OK() != tc.ok {
				t.Fatalf("%d requests, ok %v (%v); want %d, ok %v", n, a.OK(), a, tc.requests, tc.ok)
			}
		})
	}
}
