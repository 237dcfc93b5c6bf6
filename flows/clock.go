package flows

import (
	"context"
	"time"
)

// Time returns the clock's current time.
func (c Clock) Time() time.Time { return c.now() }

// Wait waits for d on the clock, or until ctx is done, and then returns
// ctx.Err().
func (c Clock) Wait(ctx context.Context, d time.Duration) error { return c.sleep(ctx, d) }
