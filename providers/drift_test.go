package providers

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetherdev/tether/flows"
)

type warnings struct {
	mu  sync.Mutex
	got []string
}

func (w *warnings) Check(Check) {}
func (w *warnings) Warn(s string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.got = append(w.got, s)
}

// TestVerifyNamesDrift: a re-verification says what changed since the
// last one recorded, and claims a change only against a verdict the last
// one reached on every permission.
func TestVerifyNamesDrift(t *testing.T) {
	at := time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)
	tests := []struct {
		name      string
		last      *Verification
		missing   string // missing now
		excess    string // in excess now
		verifyErr error
		want      []string
		none      bool
	}{
		{name: "no earlier verification", missing: "read:logs", none: true},
		{name: "still all granted", last: &Verification{At: at, Verdict: VerdictOK}, none: true},
		{name: "newly missing", last: &Verification{At: at, Verdict: VerdictOK}, missing: "read:logs",
			want: []string{"drift: missing now, not at the last verification (2026-11-27 09:30:00 UTC): read:logs"}},
		{name: "still missing", last: &Verification{At: at, Verdict: VerdictMissing, Missing: []string{"read:logs"}}, missing: "read:logs", none: true},
		{name: "granted again", last: &Verification{At: at, Verdict: VerdictMissing, Missing: []string{"read:logs"}},
			want: []string{"granted now, missing at the last verification (2026-11-27 09:30:00 UTC): read:logs"}},
		{name: "one swapped for another", last: &Verification{At: at, Verdict: VerdictMissing, Missing: []string{"read:users"}}, missing: "read:logs",
			want: []string{"drift: missing now, not at the last verification (2026-11-27 09:30:00 UTC): read:logs",
				"granted now, missing at the last verification (2026-11-27 09:30:00 UTC): read:users"}},
		{name: "last one had errors", last: &Verification{At: at, Verdict: VerdictNone, Counts: map[Status]int{Error: 4}}, missing: "read:logs", none: true},
		{name: "last one missing with errors", last: &Verification{At: at, Verdict: VerdictMissing, Missing: []string{"read:users"}, Counts: map[Status]int{Missing: 1, Error: 3}},
			missing: "read:logs", want: []string{"granted now, missing at the last verification (2026-11-27 09:30:00 UTC): read:users"}},
		{name: "newly in excess", last: &Verification{At: at, Verdict: VerdictOK}, excess: "update:users",
			want: []string{"drift: in excess now, not at the last verification (2026-11-27 09:30:00 UTC): update:users"}},
		{name: "in excess before too", last: &Verification{At: at, Verdict: VerdictOK, Counts: map[Status]int{Excess: 1}, Excess: []string{"update:users"}}, excess: "update:users", none: true},
		{name: "an older record counts excess without names", last: &Verification{At: at, Verdict: VerdictOK, Counts: map[Status]int{Excess: 1}}, excess: "update:users", none: true},
		{name: "this one failed", last: &Verification{At: at, Verdict: VerdictOK}, verifyErr: errors.New("reset"), none: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &fakeProvider{missing: tt.missing, excess: tt.excess, verifyErr: tt.verifyErr}
			m, store := newManager(t, p)
			k := flows.Key{Provider: "auth0", Name: "default"}
			store.items[k] = flows.NewSecret(map[string]string{"secret": "s3cret"})
			conn := Connection{Provider: "auth0", Name: "default", Tenant: "acme.us.auth0.com", LastVerification: tt.last}
			var w warnings
			res := m.Verify(context.Background(), conn, &w)
			if tt.excess != "" && tt.verifyErr == nil && (len(res.Connection.LastVerification.Excess) != 1 || res.Connection.LastVerification.Excess[0] != tt.excess) {
				t.Errorf("recorded excess %q, want [%s]", res.Connection.LastVerification.Excess, tt.excess)
			}
			var drift []string
			for _, s := range w.got {
				if strings.Contains(s, "last verification") {
					drift = append(drift, s)
				}
			}
			if tt.none && len(drift) > 0 {
				t.Errorf("warned %q, want no drift", drift)
			}
			if !tt.none && strings.Join(drift, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("warned\n%s\nwant\n%s", strings.Join(drift, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
