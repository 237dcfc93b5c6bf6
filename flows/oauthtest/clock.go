package oauthtest

import (
	"context"
	"sync"
	"time"
)

// Clock is a fake clock for tests: Sleep advances it at once instead of
// sleeping. Its methods are safe for concurrent use. Give Now to
// Options.Now and to the code under test, and Sleep to what waits.
type Clock struct {
	mu sync.Mutex
	t  time.Time
	// rate scales each Sleep: below 1, the sleeper's clock runs fast
	// compared with the server's, as a drifting monotonic clock does.
	rate float64
}

// NewClock returns a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t, rate: 1} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// SetDrift makes each Sleep(d) advance the clock by d*rate only, as when
// the sleeper's monotonic clock runs fast (rate < 1).
func (c *Clock) SetDrift(rate float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rate = rate
}

// Sleep advances the clock by d (scaled by the drift) and returns at
// once, or returns ctx.Err() if ctx is done.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Duration(float64(d) * c.rate))
	return nil
}
