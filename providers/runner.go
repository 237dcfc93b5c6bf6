package providers

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/tetherdev/tether/catalog"
)

// Probe is one row of a provider's probe table: a request whose answer
// decides one or more identifiers (scopes, grants, roles).
type Probe struct {
	// ID names the probe, for the probes that wait for it ("users").
	ID string
	// Decides lists the identifiers its answer decides.
	Decides []string
	// After names the probes whose answers this one needs (where to find
	// a user id to read the logs of), any of which may serve. When none of
	// them answered OK this probe does not run and its answer is an error:
	// a failed prerequisite proves nothing. When all were skipped, so is
	// this one.
	After []string
	// Run makes the request; after holds the answers of After by ID.
	Run func(ctx context.Context, after map[string]Answer) Answer
}

// Depth is the longest chain of probes in table that wait for one
// another: the round trips a verification cannot avoid after its sign-in.
func Depth(table []Probe) int {
	var depth func(p Probe, seen int) int
	depth = func(p Probe, seen int) int {
		d := 0
		for _, id := range p.After {
			if i := slices.IndexFunc(table, func(q Probe) bool { return q.ID == id }); i >= 0 && seen < len(table) {
				d = max(d, depth(table[i], seen+1))
			}
		}
		return d + 1
	}
	best := 0
	for _, p := range table {
		best = max(best, depth(p, 0))
	}
	return best
}

// Verifier is one provider's verification of one connection: what it
// needs, how it probes, and how it judges each answer. A provider fills it
// in and calls Run; the runner owns the concurrency, the ordering of
// dependent probes and the streaming of checks.
type Verifier struct {
	// Provider names the provider in advice ("Auth0").
	Provider string
	Needs    []catalog.Need
	Probes   []Probe
	// Observe judges one identifier from the answer of the probe that
	// decides it (the zero Answer when no probe does). It must be pure.
	Observe func(identifier string, a Answer) Observation
	// Fix says how to repair a need found missing (or unknown: how to
	// confirm it): the console step and its page.
	Fix func(catalog.Need) (fix, url string)
	// Sequential runs the probes one after another.
	Sequential bool
}

// Run runs the probes a verification's needs call for, concurrently
// (dependent ones after what they wait for), and reports each need's
// check through r the moment every identifier of it is decided. It
// returns the answers by probe ID.
func (v Verifier) Run(ctx context.Context, r Reporter) map[string]Answer {
	wanted := map[string]bool{}
	for _, n := range v.Needs {
		for _, id := range n.Permission.Identifiers() {
			wanted[id] = true
		}
	}
	run := map[string]bool{}
	var include func(p Probe)
	include = func(p Probe) {
		if run[p.ID] {
			return
		}
		run[p.ID] = true
		for _, id := range p.After {
			if i := slices.IndexFunc(v.Probes, func(q Probe) bool { return q.ID == id }); i >= 0 {
				include(v.Probes[i])
			}
		}
	}
	for _, p := range v.Probes {
		if slices.ContainsFunc(p.Decides, func(id string) bool { return wanted[id] }) {
			include(p)
		}
	}

	var mu sync.Mutex
	answers := map[string]Answer{}
	observed := map[string]Observation{}
	reported := make([]bool, len(v.Needs))
	// decide records the observations of a probe and reports every need
	// that is now fully decided.
	decide := func(obs ...Observation) {
		mu.Lock()
		defer mu.Unlock()
		for _, o := range obs {
			observed[o.Identifier] = o
		}
		for i, n := range v.Needs {
			if reported[i] {
				continue
			}
			var all []Observation
			for _, id := range n.Permission.Identifiers() {
				o, ok := observed[id]
				if !ok {
					all = nil
					break
				}
				all = append(all, o)
			}
			if all != nil {
				reported[i] = true
				r.Check(v.evaluate(n, all))
			}
		}
	}
	// Identifiers no probe decides are judged at once, from the zero
	// Answer (a token claim may decide them).
	var unprobed []Observation
	for id := range wanted {
		if !slices.ContainsFunc(v.Probes, func(p Probe) bool { return run[p.ID] && slices.Contains(p.Decides, id) }) {
			unprobed = append(unprobed, v.observe(id, Answer{}))
		}
	}
	slices.SortFunc(unprobed, func(a, b Observation) int { return cmp.Compare(a.Identifier, b.Identifier) })
	decide(unprobed...)

	done := map[string]chan struct{}{}
	for id := range run {
		done[id] = make(chan struct{})
	}
	probe := func(p Probe) {
		defer close(done[p.ID])
		if len(p.After) == 0 {
			v.finish(p, p.Run(ctx, nil), &mu, answers, decide)
			return
		}
		after := map[string]Answer{}
		for _, id := range p.After {
			if ch, ok := done[id]; ok {
				select {
				case <-ch:
				case <-ctx.Done():
				}
			}
			mu.Lock()
			if a, ok := answers[id]; ok {
				after[id] = a
			}
			mu.Unlock()
		}
		if a, ok := prerequisite(ctx, p, after); !ok {
			v.finish(p, a, &mu, answers, decide)
			return
		}
		v.finish(p, p.Run(ctx, after), &mu, answers, decide)
	}
	var wg sync.WaitGroup
	for _, p := range v.Probes {
		if !run[p.ID] {
			continue
		}
		if v.Sequential {
			probe(p)
			continue
		}
		wg.Add(1)
		go func() { defer wg.Done(); probe(p) }()
	}
	wg.Wait()

	// A need whose identifiers were not all decided (a probe table that
	// does not cover it) is still reported: Evaluate calls what is not
	// observed an error.
	mu.Lock()
	var late []int
	for i := range v.Needs {
		if !reported[i] {
			late = append(late, i)
			reported[i] = true
		}
	}
	var all []Observation
	for _, o := range observed {
		all = append(all, o)
	}
	mu.Unlock()
	for _, i := range late {
		r.Check(v.evaluate(v.Needs[i], all))
	}
	return answers
}

// prerequisite decides whether p may run on the answers it waited for:
// when none is OK it may not, and the answer says why.
func prerequisite(ctx context.Context, p Probe, after map[string]Answer) (Answer, bool) {
	skipped := 0
	var failed []string
	for _, id := range p.After {
		a, ok := after[id]
		switch {
		case ok && a.OK():
			return Answer{}, true
		case ok && a.Skipped != "":
			skipped++
			if skipped == len(p.After) {
				return Answer{Skipped: a.Skipped}, false
			}
		case ok:
			failed = append(failed, a.String())
		default:
			failed = append(failed, id+" did not finish")
		}
	}
	if err := deadlineErr(ctx); err != nil {
		return Answer{Err: err}, false
	}
	return Answer{Err: fmt.Errorf("not run, since what it needs failed: %s", strings.Join(failed, "; "))}, false
}

func (v Verifier) finish(p Probe, a Answer, mu *sync.Mutex, answers map[string]Answer, decide func(...Observation)) {
	mu.Lock()
	answers[p.ID] = a
	mu.Unlock()
	var obs []Observation
	for _, id := range p.Decides {
		obs = append(obs, v.observe(id, a))
	}
	decide(obs...)
}

// observe judges an identifier and, for an answer that reached no verdict,
// says what to do about it.
func (v Verifier) observe(id string, a Answer) Observation {
	o := v.Observe(id, a)
	o.Identifier = id
	if o.Status == Error && o.Advice == "" {
		o.Advice = a.Advice(v.Provider)
	}
	return o
}

func (v Verifier) evaluate(n catalog.Need, obs []Observation) Check {
	fix, url := "", ""
	if v.Fix != nil {
		fix, url = v.Fix(n)
	}
	return Evaluate(n, obs, fix, url)
}
