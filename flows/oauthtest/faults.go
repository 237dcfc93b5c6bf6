package oauthtest

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"
)

// TrickleInterval is the pause before each byte of a trickle fault.
const TrickleInterval = 2 * time.Second

// OversizeBytes is the size of an oversize fault's body: over 10 MB and
// over 10 MiB, so any sane body limit trips on it.
const OversizeBytes = 11 << 20

// FaultResponder is implemented by an emulator whose 429, 500 and 503
// answers have its provider's error body (Auth0's
// {"statusCode":429,...}, Okta's E0000047). Faults.Wrap calls it for
// those faults, after setting Retry-After: 1 on a 429; a handler without
// it gets a plain-text body.
type FaultResponder interface {
	FaultResponse(w http.ResponseWriter, r *http.Request, status int)
}

// Faults injects faults into every response of the handler it wraps,
// switchable at run time (Set), so one emulator serves a test healthy
// and the next one broken. The zero value injects nothing; it is safe
// for concurrent use, and each request sees the faults set when it
// arrived.
//
// Wrap covers every kind that a handler can produce. The tls kind fails
// the TLS handshake itself, so it needs the server's tls.Config
// (TLSConfig), and a real TCP reset on HTTP/2 needs the connection
// (ConnContext); Install sets all three on an http.Server. The sandbox
// serves each emulator as
//
//	srv := &http.Server{Handler: emulator, TLSConfig: &tls.Config{Certificates: ...}}
//	faults.Install(srv) // before Serve
//	go srv.ServeTLS(ln, "", "")
//
// and gives each provider's Faults the list ParseFaults read from
// --sandbox-fault for it.
type Faults struct {
	// Wait waits d or until ctx is done, returning ctx.Err() then; latency
	// and trickle wait through it. nil means a timer. Tests inject one
	// that returns at once, so no test sleeps. Set it before serving.
	Wait func(ctx context.Context, d time.Duration) error

	mu       sync.Mutex
	active   []Fault
	injected map[FaultKind]int
}

// Set replaces the faults injected from the next request on (none: a
// healthy emulator). It refuses a list that ParseFaults would refuse.
func (f *Faults) Set(faults ...Fault) error {
	if err := checkFaults(faults); err != nil {
		return &FaultError{Entry: faultList(faults), Reason: "the list " + err.Error()}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.active = append([]Fault(nil), faults...)
	return nil
}

// Active returns the faults set now.
func (f *Faults) Active() []Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Fault(nil), f.active...)
}

// Injected counts how many times a fault of kind was applied, so a test
// can tell that a fault it expected really happened.
func (f *Faults) Injected(kind FaultKind) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.injected[kind]
}

func faultList(faults []Fault) string {
	var b bytes.Buffer
	for i, x := range faults {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(x.String())
	}
	return b.String()
}

// plan reads the faults for one request: the latency, and the fault that
// decides the answer ("" for none). It counts what it will inject.
func (f *Faults) plan() (time.Duration, FaultKind) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var latency time.Duration
	var kind FaultKind
	for _, x := range f.active {
		if x.Kind == FaultLatency {
			latency = x.Latency
		} else {
			kind = x.Kind
		}
	}
	if f.injected == nil {
		f.injected = map[FaultKind]int{}
	}
	if latency > 0 {
		f.injected[FaultLatency]++
	}
	if kind != "" {
		f.injected[kind]++
	}
	return latency, kind
}

func (f *Faults) count(kind FaultKind) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.injected == nil {
		f.injected = map[FaultKind]int{}
	}
	f.injected[kind]++
}

func (f *Faults) has(kind FaultKind) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, x := range f.active {
		if x.Kind == kind {
			return true
		}
	}
	return false
}

func (f *Faults) wait(ctx context.Context, d time.Duration) error {
	if f.Wait != nil {
		return f.Wait(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Wrap returns next with the faults injected into every response. A
// latency waits first, unless the client goes away meanwhile, and then
// nothing is sent. The faults that replace the answer (429, 500, 503,
// reset, nonjson, oversize, tls) do not call next, as a proxy in front of
// the service would answer; truncate and trickle deliver next's own
// answer, broken. While tls is on, a request on a connection that was
// established before it resets that connection, so that nothing gets an
// answer.
func (f *Faults) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		latency, kind := f.plan()
		if latency > 0 {
			if err := f.wait(r.Context(), latency); err != nil {
				return // the client gave up: there is no one to answer
			}
		}
		switch kind {
		case "":
			next.ServeHTTP(w, r)
		case FaultTooMany:
			w.Header().Set("Retry-After", "1")
			errorAnswer(w, r, next, http.StatusTooManyRequests)
		case FaultInternal:
			errorAnswer(w, r, next, http.StatusInternalServerError)
		case FaultUnavailable:
			errorAnswer(w, r, next, http.StatusServiceUnavailable)
		case FaultReset, FaultTLS:
			resetConnection(w, r)
		case FaultTruncate:
			truncated(w, capture(next, r))
		case FaultNonJSON:
			htmlErrorPage(w)
		case FaultOversize:
			oversize(w, r)
		case FaultTrickle:
			f.trickle(w, r, capture(next, r))
		}
	})
}

func errorAnswer(w http.ResponseWriter, r *http.Request, next http.Handler, status int) {
	if fr, ok := next.(FaultResponder); ok {
		fr.FaultResponse(w, r, status)
		return
	}
	http.Error(w, http.StatusText(status), status)
}

// capture runs next and keeps its answer.
func capture(next http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	return rec
}

func copyHeader(dst, src http.Header) {
	for k, v := range src {
		dst[k] = append([]string(nil), v...)
	}
}

// truncated answers 200 with the first half of the real body under a
// Content-Length for all of it. The server then closes the connection
// (HTTP/1.1) or ends the stream (HTTP/2) short, and the client's read
// fails with io.ErrUnexpectedEOF.
func truncated(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	body := rec.Body.Bytes()
	if len(body) < 2 {
		body = []byte(`{"error":"server_error","error_description":"this body is cut short"}` + "\n")
	}
	copyHeader(w.Header(), rec.Header())
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body[:len(body)/2])
	_ = http.NewResponseController(w).Flush()
}

// htmlPage is what an intercepting proxy or captive portal answers.
const htmlPage = `<!DOCTYPE html>
<html><head><title>Service temporarily unavailable</title></head>
<body><h1>Service temporarily unavailable</h1>
<p>The gateway could not reach the service. Please try again later.</p>
<hr><address>gateway</address></body></html>
`

func htmlErrorPage(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(htmlPage)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(htmlPage))
}

// oversizeChunk is 64 KiB of JSON array elements, written over and over:
// the body is streamed, never held whole.
var oversizeChunk = sync.OnceValue(func() []byte {
	elem := []byte(`{"pad":"` + string(bytes.Repeat([]byte("x"), 64-len(`{"pad":""},`))) + `"},`)
	return bytes.Repeat(elem, 1024)
})

// oversize answers 200 with a well-formed JSON array of OversizeBytes,
// chunked, without a Content-Length, so only a client that limits what
// it reads notices. It stops when the client goes away.
func oversize(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	chunk := oversizeChunk()
	n, _ := w.Write([]byte("["))
	for n < OversizeBytes {
		if r.Context().Err() != nil {
			return
		}
		k, err := w.Write(chunk)
		if err != nil {
			return
		}
		n += k
	}
	_, _ = w.Write([]byte(`{"pad":""}]`))
}

// trickle sends the real status and headers at once, then the body one
// byte every TrickleInterval, flushing each, until it is all sent or the
// client goes away.
func (f *Faults) trickle(w http.ResponseWriter, r *http.Request, rec *httptest.ResponseRecorder) {
	copyHeader(w.Header(), rec.Header())
	w.WriteHeader(rec.Code)
	rc := http.NewResponseController(w)
	if rc.Flush() != nil {
		return
	}
	body := rec.Body.Bytes()
	for i := range body {
		if f.wait(r.Context(), TrickleInterval) != nil {
			return
		}
		if _, err := w.Write(body[i : i+1]); err != nil {
			return
		}
		if rc.Flush() != nil {
			return
		}
	}
}
