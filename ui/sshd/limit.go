package sshd

import (
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// keyLimiter is the per-key rate limit on new sessions: a token bucket
// for each key that authenticated, refilled at perMinute a minute and
// holding at most perMinute tokens, so that a key may open a burst of
// that many sessions and then one every minute/perMinute. It keeps one
// bucket per authorized key; authorized_keys bounds how many there are.
type keyLimiter struct {
	perMinute int
	now       func() time.Time

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

func newKeyLimiter(perMinute int, now func() time.Time) *keyLimiter {
	if now == nil {
		now = time.Now
	}
	return &keyLimiter{perMinute: perMinute, now: now, buckets: map[string]*rate.Limiter{}}
}

// allow takes a token from fingerprint's bucket, or says when the next
// session may open.
func (l *keyLimiter) allow(fingerprint string) (ok bool, reason string) {
	if l == nil || l.perMinute <= 0 {
		return true, ""
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, found := l.buckets[fingerprint]
	if !found {
		b = rate.NewLimiter(rate.Limit(float64(l.perMinute)/60), l.perMinute)
		l.buckets[fingerprint] = b
	}
	now := l.now()
	if b.AllowN(now, 1) {
		return true, ""
	}
	// How long until a token is back: reserve one to learn it, and give
	// it back at once.
	r := b.ReserveN(now, 1)
	wait := r.DelayFrom(now)
	r.CancelAt(now)
	return false, fmt.Sprintf("your key opened its %d sessions of the last minute; try again in %s",
		l.perMinute, wait.Round(time.Second))
}
