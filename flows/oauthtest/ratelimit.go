package oauthtest

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// RateLimitHeaders name a provider's rate-limit response headers: Auth0
// sends X-RateLimit-Limit, -Remaining and -Reset (docs-v2
// rate-limit-use-cases), Okta X-Rate-Limit-Limit, -Remaining and -Reset
// (rl2-monitor). Reset is in epoch seconds for both.
type RateLimitHeaders struct {
	Limit, Remaining, Reset string
}

// RateLimiter is a fixed-window request bucket per key (a tenant, an
// org, a client): Limit requests per Window, refilled whole when the
// window ends. Every request taken from it is answered with the
// provider's headers, and an empty bucket with Retry-After (RFC 9110
// §10.2.3) in whole seconds until the refill, so a client can tell how
// long to wait from either. It is safe for concurrent use.
type RateLimiter struct {
	limit   int
	window  time.Duration
	headers RateLimitHeaders
	now     func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	remaining int
	reset     time.Time
}

// NewRateLimiter returns a limiter of limit requests per window (at least
// one of each), sending headers, reading time from now (nil: time.Now).
func NewRateLimiter(limit int, window time.Duration, headers RateLimitHeaders, now func() time.Time) *RateLimiter {
	if now == nil {
		now = time.Now
	}
	return &RateLimiter{limit: max(limit, 1), window: max(window, time.Second), headers: headers, now: now,
		buckets: map[string]*bucket{}}
}

// Take takes one request from key's bucket and writes the rate-limit
// headers to w. When the bucket is empty it also sets Retry-After and
// returns false: the caller then answers 429 with its provider's body.
func (l *RateLimiter) Take(w http.ResponseWriter, key string) bool {
	now := l.now()
	l.mu.Lock()
	b := l.buckets[key]
	if b == nil || !now.Before(b.reset) {
		b = &bucket{remaining: l.limit, reset: now.Add(l.window)}
		l.buckets[key] = b
	}
	allowed := b.remaining > 0
	if allowed {
		b.remaining--
	}
	remaining, reset := b.remaining, b.reset
	l.mu.Unlock()
	h := w.Header()
	h.Set(l.headers.Limit, strconv.Itoa(l.limit))
	h.Set(l.headers.Remaining, strconv.Itoa(remaining))
	h.Set(l.headers.Reset, strconv.FormatInt(reset.Unix(), 10))
	if !allowed {
		h.Set("Retry-After", strconv.Itoa(RetryAfterSeconds(reset.Sub(now))))
	}
	return allowed
}

// Exhausted writes the headers of an empty bucket that refills after d,
// for a 429 the emulator sends for another reason (a fault), so that it
// reads like the provider's own.
func (l *RateLimiter) Exhausted(w http.ResponseWriter, d time.Duration) {
	h := w.Header()
	h.Set(l.headers.Limit, strconv.Itoa(l.limit))
	h.Set(l.headers.Remaining, "0")
	h.Set(l.headers.Reset, strconv.FormatInt(l.now().Add(d).Unix(), 10))
}

// RetryAfterSeconds is d as a Retry-After delay-seconds value (RFC 9110
// §10.2.3): whole seconds, rounded up, at least 1.
func RetryAfterSeconds(d time.Duration) int {
	return max(1, int((d+time.Second-1)/time.Second))
}
