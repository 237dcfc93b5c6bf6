package providers

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tetherdev/tether/flows"
)

// Answer is what one probe request got back. A provider's observe
// function turns it into an Observation; nothing here decides a verdict.
type Answer struct {
	// Request is the method and path asked, "GET /api/v2/logs?per_page=1".
	Request string
	// Status is the final HTTP status, 0 when no response was read whole.
	Status int
	// Code and Message are the provider's error code and message, decoded
	// from an error body by the prober's DecodeError.
	Code    string
	Message string
	// Body is the response body (bounded), for the provider to read.
	Body []byte
	// Header is the final response's header.
	Header http.Header
	// Err is set when no usable answer arrived: the host could not be
	// reached, the body could not be read whole, was not JSON, was too
	// large, or the deadline passed. A probe with Err proves nothing.
	Err error
	// Skipped says why the probe was not run although nothing failed (the
	// tenant has no user to read the logs of). Only a provider's observe
	// may lean on it, and its evidence must say so.
	Skipped string
	// Notes are what happened on the way (retries, rate limits and the
	// wait the provider asked for), kept in the evidence.
	Notes []string
}

// OK reports whether the probe ran and got a 2xx answer whose body was
// read whole.
func (a Answer) OK() bool {
	return a.Err == nil && a.Skipped == "" && a.Status >= 200 && a.Status < 300
}

func (a Answer) String() string {
	var s string
	switch {
	case a.Skipped != "":
		s = a.Skipped
	case a.Err != nil && a.Request == "":
		s = a.Err.Error()
	case a.Err != nil:
		s = a.Request + " → " + a.Err.Error()
	default:
		s = fmt.Sprintf("%s → %d", a.Request, a.Status)
		if a.Code != "" {
			s += " " + a.Code
		} else if a.Status >= 400 && a.Message != "" {
			s += " " + a.Message
		}
	}
	if len(a.Notes) > 0 {
		s += " (" + strings.Join(a.Notes, "; ") + ")"
	}
	return s
}

// Advice says what to do about an answer that reached no verdict, for the
// fix of an Error check: never the console fix of a missing grant, since
// nothing showed that the grant is missing.
func (a Answer) Advice(provider string) string {
	var dl *DeadlineError
	var ne *flows.NetworkError
	switch {
	case errors.As(a.Err, &dl):
		return fmt.Sprintf("%s did not answer in time; check the network (and proxy), or allow more with --timeout", provider)
	case errors.As(a.Err, &ne):
		return "check the network connection, DNS and any proxy (HTTPS_PROXY), then verify again"
	case a.Err != nil:
		return fmt.Sprintf("%s sent an answer tether cannot use; verify again, and if it persists check %s's status page", provider, provider)
	case a.Status == http.StatusTooManyRequests:
		return fmt.Sprintf("%s is rate-limiting tether; verify again in a minute", provider)
	case a.Status == http.StatusUnauthorized:
		return fmt.Sprintf("%s refused the token; check that the credential is still valid, or run setup again", provider)
	case a.Status >= 500:
		return fmt.Sprintf("%s had a server error; verify again, and if it persists check %s's status page", provider, provider)
	}
	return "verify again; if it persists, the evidence says what " + provider + " answered"
}

// DeadlineError means that a verification's deadline passed before an
// answer arrived.
type DeadlineError struct{ After time.Duration }

func (e *DeadlineError) Error() string {
	if e.After <= 0 {
		return "no answer before the deadline"
	}
	return "no answer within " + e.After.String()
}

type deadlineKey struct{}

// WithDeadline bounds a verification (or a setup) to d and remembers d,
// so that what the deadline cuts off says "no answer within d".
func WithDeadline(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(ctx, d)
	return context.WithValue(ctx, deadlineKey{}, d), cancel
}

// deadlineErr returns the DeadlineError of ctx once its deadline passed.
func deadlineErr(ctx context.Context) error {
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return nil
	}
	d, _ := ctx.Value(deadlineKey{}).(time.Duration)
	return &DeadlineError{After: d}
}

// Prober makes a provider's probe requests: it authorizes each attempt,
// retries what is transient (a reset connection, 500, 502, 503, 504, 429)
// with jittered backoff inside the context's deadline, honours
// Retry-After and the provider's reset header, reads every body through
// a size limit, and decodes the provider's error envelope.
type Prober struct {
	// Provider names the provider in messages ("Auth0").
	Provider string
	// Env supplies the HTTP client and the clock.
	Env Env
	// Authorize prepares each attempt (Bearer, SSWS, DPoP, an HMAC
	// signature over the Date): it is called again on every retry.
	Authorize func(*http.Request) error
	// Challenge, when set, sees every response first and may ask for one
	// more attempt (a DPoP nonce challenge).
	Challenge func(*http.Response) bool
	// DecodeError reads the provider's error envelope from a non-2xx body.
	DecodeError func(status int, body []byte) (code, message string)
	// ResetHeader is the provider's rate-limit reset header (Unix
	// seconds), read when Retry-After is absent: "X-RateLimit-Reset".
	ResetHeader string
	// NotJSON marks a provider whose 2xx bodies need not be JSON.
	NotJSON bool
	// MaxBody bounds each body; 0 means 1 MiB.
	MaxBody int64
	// Attempts bounds the tries of one request; 0 means 4.
	Attempts int
	// Warn, when set, hears about retries as they happen.
	Warn func(string)
	// Backoff, when set, is the wait before retry n+1 when the provider
	// said nothing of how long to wait (Duo sends no Retry-After and its
	// clients back off from 1 s); nil means the kit's jittered backoff
	// from 250 ms.
	Backoff func(n int) time.Duration
}

// MaxWait is the longest tether waits on one Retry-After.
const MaxWait = 30 * time.Second

// Get probes one URL.
func (p *Prober) Get(ctx context.Context, rawURL string) Answer {
	return p.Do(ctx, http.MethodGet, rawURL, nil, nil)
}

// Do sends one request (with its retries) and reads the answer.
func (p *Prober) Do(ctx context.Context, method, rawURL string, body []byte, header http.Header) Answer {
	a := Answer{Request: method + " " + requestPath(rawURL)}
	attempts := p.attempts()
	for attempt := 0; ; attempt++ {
		retry, wait := p.once(ctx, &a, attempt, method, rawURL, body, header)
		if attempt > 0 && (!retry || attempt+1 >= attempts) {
			a.Notes = append(a.Notes, fmt.Sprintf("%d attempts", attempt+1))
		}
		if !retry || attempt+1 >= attempts {
			return a
		}
		if dl, ok := ctx.Deadline(); ok && p.Env.Clock.Time().Add(wait).After(dl) {
			a.Notes = append(a.Notes, "no retry: the wait would pass the deadline")
			return a
		}
		if p.Warn != nil {
			why := p.Provider + " answered " + describeRetry(a) + " to " + a.Request
			if a.Status == http.StatusTooManyRequests {
				why = p.Provider + " rate-limited " + a.Request
			}
			p.Warn(fmt.Sprintf("%s; retrying in %s", why, wait.Round(time.Millisecond)))
		}
		if err := p.Env.Clock.Wait(ctx, wait); err != nil {
			a.Err = p.ctxErr(ctx, err)
			return a
		}
		a.Status, a.Code, a.Message, a.Err, a.Body = 0, "", "", nil, nil
	}
}

// describeRetry names the failure that caused a retry, for the evidence.
func describeRetry(a Answer) string {
	if a.Err != nil {
		return a.Err.Error()
	}
	return strconv.Itoa(a.Status)
}

// once makes one attempt, filling a, and says whether and after how long
// to try again.
func (p *Prober) once(ctx context.Context, a *Answer, attempt int, method, rawURL string, body []byte, header http.Header) (retry bool, wait time.Duration) {
	req, err := http.NewRequestWithContext(ctx, method, rawURL, bytes.NewReader(body))
	if err != nil {
		a.Err = err
		return false, 0
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	if p.Authorize != nil {
		if err := p.Authorize(req); err != nil {
			a.Err = err
			return false, 0
		}
	}
	resp, err := p.Env.HTTP.Do(req)
	if err != nil {
		a.Err = p.ctxErr(ctx, flows.NetError(rawURL, err))
		// A write that may have reached the server (the connection broke
		// after it was sent) is not sent again: it may have been done.
		return transient(err) && ctx.Err() == nil && (idempotent(method) || notSent(err)), p.backoff(attempt)
	}
	defer resp.Body.Close()
	a.Status, a.Header = resp.StatusCode, resp.Header
	if p.Challenge != nil && p.Challenge(resp) {
		return true, 0
	}
	limit := p.MaxBody
	if limit <= 0 {
		limit = 1 << 20
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	switch {
	case err != nil:
		a.Status = 0
		a.Err = p.ctxErr(ctx, fmt.Errorf("the answer (%d) broke off: %w", resp.StatusCode, flows.NetError(rawURL, err)))
		return transient(err) && ctx.Err() == nil, p.backoff(attempt)
	case int64(len(data)) > limit:
		a.Status = 0
		a.Err = fmt.Errorf("the answer (%d) is larger than %d KiB, more than any answer to this request", resp.StatusCode, limit>>10)
		return false, 0
	}
	a.Body = data
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if !p.NotJSON && !json.Valid(data) {
			a.Status = 0
			a.Err = fmt.Errorf("the answer (%d) is not JSON (%s)", resp.StatusCode, contentType(resp.Header))
			return false, 0
		}
		return false, 0
	}
	if p.DecodeError != nil {
		a.Code, a.Message = p.DecodeError(resp.StatusCode, data)
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
		wait, asked := p.retryAfter(resp.Header, attempt)
		if asked > MaxWait {
			a.Notes = append(a.Notes, fmt.Sprintf("%s asked to wait %s, longer than tether waits", p.Provider, asked.Round(time.Second)))
			return false, 0
		}
		if asked > 0 {
			a.Notes = append(a.Notes, fmt.Sprintf("%s asked to wait %s", p.Provider, asked.Round(time.Second)))
		}
		return true, wait
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		if !idempotent(method) {
			// The server may have done the write before it failed: sending
			// it again could do it twice (two apps, two keys).
			a.Notes = append(a.Notes, "not retried: a "+method+" may have been carried out")
			return false, 0
		}
		wait, _ := p.retryAfter(resp.Header, attempt)
		return true, wait
	}
	return false, 0
}

// idempotent reports whether sending a request twice does what sending
// it once does (RFC 9110 §9.2.2), so that a failed attempt may be
// repeated.
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// notSent reports whether a request failed before any of it reached the
// server: the connection was never made.
func notSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// attempts is how many tries one request gets.
func (p *Prober) attempts() int {
	if p.Attempts > 0 {
		return p.Attempts
	}
	return 4
}

// ctxErr turns a failure caused by the verification's deadline into a
// DeadlineError; no failure stays none.
func (p *Prober) ctxErr(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if dl := deadlineErr(ctx); dl != nil {
		return dl
	}
	return err
}

// backoff is the jittered exponential wait before retry n+1: half of
// 250 ms × 2ⁿ plus a random part of the other half, so that concurrent
// probes do not retry in step.
func (p *Prober) backoff(n int) time.Duration {
	if p.Backoff != nil {
		return p.Backoff(n)
	}
	d := 250 * time.Millisecond << min(n, 6)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// retryAfter reads how long the provider asked to wait: Retry-After
// (seconds or an HTTP date), else the reset header (Unix seconds), else
// the backoff. wait is clamped to [0, MaxWait]; asked is what the provider
// said, for the evidence (0 when it said nothing).
func (p *Prober) retryAfter(h http.Header, n int) (wait, asked time.Duration) {
	now := p.Env.Clock.Time()
	asked = -1
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if s, err := strconv.ParseInt(v, 10, 64); err == nil {
			asked = time.Duration(min(max(s, 0), 1<<30)) * time.Second
		} else if at, err := http.ParseTime(v); err == nil {
			asked = max(at.Sub(now), 0)
		}
	}
	if asked < 0 && p.ResetHeader != "" {
		if s, err := strconv.ParseInt(strings.TrimSpace(h.Get(p.ResetHeader)), 10, 64); err == nil && s > 0 && s < 1<<40 {
			asked = max(time.Unix(s, 0).Sub(now), 0)
		}
	}
	if asked < 0 {
		return p.backoff(n), 0
	}
	return min(asked, MaxWait), asked
}

// transient reports whether a transport failure is worth another try: a
// reset or dropped connection or stream, or a timeout of one attempt. A
// name that does not resolve, a refused connection and a TLS failure are
// not: another try would meet them again. (An HTTP/2 stream reset has no
// exported error type, so what is not known to be permanent is retried.)
func transient(err error) bool {
	var dnsErr *net.DNSError
	var alert tls.AlertError
	var rec tls.RecordHeaderError
	var verify *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var certInvalid x509.CertificateInvalidError
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded) && !isTimeout(err),
		errors.As(err, &dnsErr), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH),
		errors.As(err, &alert), errors.As(err, &rec), errors.As(err, &verify),
		errors.As(err, &unknownAuth), errors.As(err, &hostErr), errors.As(err, &certInvalid):
		return false
	}
	return true
}

// transportFailure reports whether err is a transient failure of the
// transport itself (a *url.Error from the HTTP client), not an answer
// that arrived and could not be read.
func transportFailure(err error) bool {
	var ue *url.Error
	return errors.As(err, &ue) && transient(ue)
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

func contentType(h http.Header) string {
	ct := h.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err == nil {
		return mt
	}
	if ct == "" {
		return "no content type"
	}
	return "content type " + strconv.Quote(ct)
}

// requestPath is the path and query of a URL, for the evidence.
func requestPath(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.RequestURI()
}

// Retry runs a request that is not a probe, such as a token request,
// under the prober's policy: a refusal with 429, 500, 502, 503 or 504 (a
// *flows.TokenError) or a transient network failure is tried again after
// the wait the provider asked for (clamped to MaxWait) or a jittered
// backoff, within the context's deadline; what did not succeed is
// returned as it failed.
func (p *Prober) Retry(ctx context.Context, what string, fn func(ctx context.Context) error) error {
	attempts := p.attempts()
	for attempt := 0; ; attempt++ {
		err := fn(ctx)
		if err == nil || attempt+1 >= attempts || ctx.Err() != nil {
			return p.ctxErr(ctx, err)
		}
		var te *flows.TokenError
		var ne *flows.NetworkError
		var wait time.Duration
		switch {
		case errors.As(err, &te) && retryable(te.Status):
			var asked time.Duration
			wait, asked = p.retryAfter(te.Header, attempt)
			if asked > MaxWait {
				return err
			}
		case errors.As(err, &ne) && transportFailure(ne.Err):
			wait = p.backoff(attempt)
		default:
			return err
		}
		if dl, ok := ctx.Deadline(); ok && p.Env.Clock.Time().Add(wait).After(dl) {
			return err
		}
		if p.Warn != nil {
			p.Warn(fmt.Sprintf("%s: %s failed (%v); retrying in %s", p.Provider, what, err, wait.Round(time.Millisecond)))
		}
		if werr := p.Env.Clock.Wait(ctx, wait); werr != nil {
			return p.ctxErr(ctx, err)
		}
	}
}

func retryable(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}
