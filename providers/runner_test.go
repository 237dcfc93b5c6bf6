package providers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/flows"
)

// recorder keeps the checks it is given, in order.
type recorder struct {
	mu     sync.Mutex
	checks []Check
}

func (r *recorder) Check(c Check) { r.mu.Lock(); r.checks = append(r.checks, c); r.mu.Unlock() }
func (r *recorder) Warn(string)   {}

func (r *recorder) status(perm string) Check {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.checks {
		if c.Permission == perm {
			return c
		}
	}
	return Check{}
}

func need(name string, ids ...string) catalog.Need {
	return catalog.Need{Capability: "collect", Permission: catalog.Permission{Name: name, Scopes: ids}}
}

func answerWith(status int) func(context.Context, map[string]Answer) Answer {
	return func(context.Context, map[string]Answer) Answer { return Answer{Request: "GET /x", Status: status} }
}

// observeStatus grants a 200, reports a 403 missing and anything else an
// error, as a provider's observe would.
func observeStatus(id string, a Answer) Observation {
	switch {
	case a.Skipped != "":
		return Observation{Status: Granted, Evidence: a.Skipped}
	case a.OK():
		return Observation{Status: Granted, Evidence: a.String()}
	case a.Err == nil && a.Status == 403:
		return Observation{Status: Missing, Evidence: a.String()}
	}
	return Observation{Status: Error, Evidence: a.String()}
}

func TestVerificationRun(t *testing.T) {
	tests := []struct {
		name   string
		probes []Probe
		want   map[string]Status
		evid   map[string]string
	}{
		{"independent probes", []Probe{
			{ID: "a", Decides: []string{"a"}, Run: answerWith(200)},
			{ID: "b", Decides: []string{"b"}, Run: answerWith(403)},
		}, map[string]Status{"A": Granted, "B": Missing}, nil},
		{"a failed prerequisite makes the dependent an error", []Probe{
			{ID: "a", Decides: []string{"a"}, Run: answerWith(503)},
			{ID: "b", Decides: []string{"b"}, After: []string{"a"}, Run: answerWith(200)},
		}, map[string]Status{"A": Error, "B": Error}, map[string]string{"B": "not run, since what it needs failed"}},
		{"any OK prerequisite serves", []Probe{
			{ID: "a", Decides: []string{"a"}, Run: answerWith(403)},
			{ID: "c", Decides: []string{"c"}, Run: answerWith(200)},
			{ID: "b", Decides: []string{"b"}, After: []string{"a", "c"}, Run: func(_ context.Context, after map[string]Answer) Answer {
				if !after["c"].OK() {
					return Answer{Err: errors.New("c not passed on")}
				}
				return Answer{Request: "GET /b", Status: 200}
			}},
		}, map[string]Status{"A": Missing, "B": Granted}, nil},
		{"a skipped prerequisite skips the dependent", []Probe{
			{ID: "a", Decides: []string{"a"}, Run: func(context.Context, map[string]Answer) Answer { return Answer{Skipped: "the tenant is empty"} }},
			{ID: "b", Decides: []string{"b"}, After: []string{"a"}, Run: answerWith(200)},
		}, map[string]Status{"B": Granted}, map[string]string{"B": "the tenant is empty"}},
		{"an identifier no probe decides is an error", []Probe{
			{ID: "a", Decides: []string{"a"}, Run: answerWith(200)},
		}, map[string]Status{"A": Granted, "B": Error}, nil},
	}
	for _, tt := range tests {
		for _, seq := range []bool{false, true} {
			t.Run(tt.name, func(t *testing.T) {
				r := &recorder{}
				v := Verifier{Provider: "Acme", Needs: []catalog.Need{need("A", "a"), need("B", "b")}, Probes: tt.probes,
					Observe: observeStatus, Sequential: seq,
					Fix: func(n catalog.Need) (string, string) { return "tick " + n.Permission.Name, "https://console" }}
				v.Run(context.Background(), r)
				if len(r.checks) != 2 {
					t.Fatalf("checks = %+v, want one per need", r.checks)
				}
				for perm, want := range tt.want {
					c := r.status(perm)
					if c.Status != want {
						t.Errorf("%s = %s (%s), want %s", perm, c.Status, c.Evidence, want)
					}
					if c.Status == Error && (c.Fix == "" || strings.HasPrefix(c.Fix, "tick")) {
						t.Errorf("%s is an error with fix %q: an error gets what to do about the error, not the grant fix", perm, c.Fix)
					}
					if c.Status == Missing && c.Fix != "tick "+perm {
						t.Errorf("%s missing with fix %q", perm, c.Fix)
					}
				}
				for perm, want := range tt.evid {
					if c := r.status(perm); !strings.Contains(c.Evidence, want) {
						t.Errorf("%s evidence %q, want it to say %q", perm, c.Evidence, want)
					}
				}
			})
		}
	}
}

// TestVerificationStreams: a need is reported as soon as its probes are
// in, while a slow probe of another need is still running.
func TestVerificationStreams(t *testing.T) {
	release := make(chan struct{})
	r := &streamRecorder{first: make(chan Check, 1)}
	v := Verifier{Provider: "Acme", Needs: []catalog.Need{need("A", "a"), need("B", "b")}, Observe: observeStatus,
		Probes: []Probe{
			{ID: "a", Decides: []string{"a"}, Run: answerWith(200)},
			{ID: "b", Decides: []string{"b"}, Run: func(context.Context, map[string]Answer) Answer { <-release; return Answer{Status: 200} }},
		}}
	done := make(chan struct{})
	go func() { v.Run(context.Background(), r); close(done) }()
	if c := <-r.first; c.Permission != "A" {
		t.Errorf("first check = %s, want A while B is still probing", c.Permission)
	}
	close(release)
	<-done
}

type streamRecorder struct{ first chan Check }

func (r *streamRecorder) Check(c Check) {
	select {
	case r.first <- c:
	default:
	}
}
func (r *streamRecorder) Warn(string) {}

func TestDepth(t *testing.T) {
	table := []Probe{{ID: "a"}, {ID: "b", After: []string{"a"}}, {ID: "c", After: []string{"b", "a"}}, {ID: "d"}}
	if got := Depth(table); got != 3 {
		t.Errorf("Depth() = %d, want 3", got)
	}
	if got := Depth([]Probe{{ID: "x", After: []string{"x"}}}); got < 1 {
		t.Errorf("Depth(self-loop) = %d, want it to end", got)
	}
}

// hangingProvider ignores its context, as a buggy provider might.
type hangingProvider struct {
	fakeProvider
	release chan struct{}
}

func (h *hangingProvider) Verify(ctx context.Context, conn Connection, cred Credential, r Reporter) error {
	<-h.release
	r.Check(Check{Permission: "read:users", Status: Granted}) // too late to count
	return nil
}

// TestVerifyHasADeadline: a provider that never answers costs the
// Manager's timeout, and every check says what the deadline cut off.
func TestVerifyHasADeadline(t *testing.T) {
	m, _ := newManager(t, &fakeProvider{})
	plan, _ := m.Plan(request("acme.us.auth0.com"))
	if _, err := m.Setup(context.Background(), plan, flows.Interaction{}, nopReporter{}); err != nil {
		t.Fatal(err)
	}
	h := &hangingProvider{release: make(chan struct{})}
	defer close(h.release)
	m.Providers = []Provider{h}
	m.Timeout = 20 * time.Millisecond
	conns, _ := m.Resolve(nil)
	res := m.Verify(context.Background(), conns[0], nopReporter{})
	if res.Verdict() != VerdictNone || len(res.Checks) == 0 {
		t.Fatalf("Verify(hanging) = %s with %d checks", res.Verdict(), len(res.Checks))
	}
	for _, c := range res.Checks {
		if c.Status != Error || !strings.Contains(c.Evidence, "no answer within 20ms") || !strings.Contains(c.Fix, "--timeout") {
			t.Errorf("check %+v, want an error saying no answer within 20ms", c)
		}
	}
}

// laggingProvider grants read:logs only from its grantAfter-th
// verification on, as a tenant whose consent takes a while to reach new
// tokens.
type laggingProvider struct {
	fakeProvider
	verifies   int
	grantAfter int
}

func (l *laggingProvider) Methods() []Method {
	ms := l.fakeProvider.Methods()
	ms[0].ConsentLag = []time.Duration{5 * time.Second, 15 * time.Second, 30 * time.Second}
	return ms
}

func (l *laggingProvider) Verify(ctx context.Context, conn Connection, cred Credential, r Reporter) error {
	l.verifies++
	l.missing = ""
	if l.verifies < l.grantAfter {
		l.missing = "read:logs"
	}
	return l.fakeProvider.Verify(ctx, conn, cred, r)
}

type recheckRecorder struct {
	nopReporter
	rounds []string
}

func (r *recheckRecorder) Recheck(round, rounds int, wait time.Duration, missing []string) {
	r.rounds = append(r.rounds, fmt.Sprintf("%d/%d %s %v", round, rounds, wait, missing))
}

// TestSetupWaitsOutConsentLag: a setup whose method declares consent lag
// verifies again, visibly, until the grant shows, and gives up after the
// last wait.
func TestSetupWaitsOutConsentLag(t *testing.T) {
	for _, tt := range []struct {
		name       string
		grantAfter int
		verdict    Verdict
		rounds     int
	}{
		{"granted on the third try", 3, VerdictOK, 2},
		{"still missing past the bound", 99, VerdictMissing, 3},
		{"granted at once", 1, VerdictOK, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := &laggingProvider{grantAfter: tt.grantAfter}
			m, _ := newManager(t, &p.fakeProvider)
			m.Providers = []Provider{p}
			var waited []time.Duration
			m.Wait = func(_ context.Context, d time.Duration) error { waited = append(waited, d); return nil }
			plan, err := m.Plan(request("acme.us.auth0.com"))
			if err != nil {
				t.Fatal(err)
			}
			r := &recheckRecorder{}
			res, err := m.Setup(context.Background(), plan, flows.Interaction{}, r)
			if err != nil {
				t.Fatal(err)
			}
			if res.Verification.Verdict() != tt.verdict || len(r.rounds) != tt.rounds || len(waited) != tt.rounds {
				t.Errorf("verdict %s after rounds %q, waits %v; want %s after %d rounds", res.Verification.Verdict(), r.rounds, waited, tt.verdict, tt.rounds)
			}
			if tt.rounds > 0 && r.rounds[0] != "1/3 5s [read:logs]" {
				t.Errorf("first round = %q", r.rounds[0])
			}
		})
	}
}
