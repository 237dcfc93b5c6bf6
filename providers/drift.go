package providers

import (
	"slices"
	"strings"
	"time"
)

// warnDrift says what changed since the last verification recorded, so
// that a re-verification names the drift instead of leaving the admin to
// compare two runs: permissions missing now that were not before, and
// permissions missing before that are granted now. A permission is said
// to be newly missing only when the last verification reached a verdict
// on every permission (no errors), so that one that could not be checked
// then is never called a change.
func (c *collector) warnDrift(last *Verification) {
	if last == nil || last.At.IsZero() {
		return
	}
	c.mu.Lock()
	checks := slices.Clone(c.checks)
	c.mu.Unlock()
	now := Summarize(checks).Missing
	when := last.At.UTC().Format(time.DateTime) + " UTC"
	var gone, back []string
	if last.Counts[Error] == 0 && last.Verdict != VerdictNone {
		for _, m := range now {
			if !slices.Contains(last.Missing, m) {
				gone = append(gone, m)
			}
		}
	}
	for _, m := range last.Missing {
		if !slices.Contains(now, m) && slices.ContainsFunc(checks, func(ch Check) bool { return ch.Label() == m && ch.Status == Granted }) {
			back = append(back, m)
		}
	}
	// An older record counts excess grants without naming them.
	if names := excessOf(checks); len(last.Excess) > 0 || last.Counts[Excess] == 0 {
		var more []string
		for _, e := range names {
			if !slices.Contains(last.Excess, e) {
				more = append(more, e)
			}
		}
		if len(more) > 0 {
			c.Warn("drift: in excess now, not at the last verification (" + when + "): " + strings.Join(more, ", "))
		}
	}
	if len(gone) > 0 {
		c.Warn("drift: missing now, not at the last verification (" + when + "): " + strings.Join(gone, ", "))
	}
	if len(back) > 0 {
		c.Warn("granted now, missing at the last verification (" + when + "): " + strings.Join(back, ", "))
	}
}

// excessOf names the excess grants among checks, each once.
func excessOf(checks []Check) []string {
	var out []string
	for _, ch := range checks {
		if ch.Status == Excess && !slices.Contains(out, ch.Label()) {
			out = append(out, ch.Label())
		}
	}
	return out
}
