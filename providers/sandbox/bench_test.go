package sandbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/tetherdev/tether/flows/oauthtest"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/providers/registry"
	"github.com/tetherdev/tether/providers/sandbox"
)

// benchLatency is added before every emulator answer, so that round trips
// dominate, as they do against real tenants.
const benchLatency = 50 * time.Millisecond

// BenchmarkVerifyAll verifies every sandbox provider's demo connection at
// once, with benchLatency added to every emulator answer, and reports:
//
//   - floor-ratio: wall time ÷ the critical-path floor, the longest chain
//     of dependent round trips of any one provider (its sign-in and its
//     probe table's depth) times the latency;
//   - sequential-speedup: the same checks run one after another ÷ wall
//     time;
//   - providers: how many were verified.
//
// Run it with: go test -run '^$' -bench VerifyAll ./providers/sandbox
func BenchmarkVerifyAll(b *testing.B) {
	faults := map[string][]oauthtest.Fault{}
	for _, e := range emulatorIDs() {
		faults[e] = []oauthtest.Fault{{Kind: oauthtest.FaultLatency, Latency: benchLatency}}
	}
	concurrent := connectAll(b, providers.Env{}, sandbox.Options{})
	sequential := connectAll(b, providers.Env{Sequential: true}, sandbox.Options{})
	for _, f := range []fixture{concurrent, sequential} {
		for _, e := range f.sb.Emulators {
			if err := e.Faults.Set(faults[e.Provider]...); err != nil {
				b.Fatal(err)
			}
		}
	}
	floor := time.Duration(0)
	for _, c := range concurrent.conns {
		p, _ := concurrent.m.Provider(c.Provider)
		cp, ok := p.(providers.CriticalPather)
		if !ok {
			b.Fatalf("%s does not say its critical path (providers.CriticalPather)", c.Provider)
		}
		floor = max(floor, time.Duration(cp.CriticalPath(c))*benchLatency)
	}
	ctx := context.Background()
	check := func(results []providers.Result) {
		for _, r := range results {
			if r.Verdict() != providers.VerdictOK {
				b.Fatalf("%s: %s", r.Connection.Key(), r.Verdict())
			}
		}
	}
	// The same checks one after another: each provider's probes in turn,
	// each connection in turn.
	start := time.Now()
	for _, c := range sequential.conns {
		check([]providers.Result{sequential.m.Verify(ctx, c, discard{})})
	}
	seq := time.Since(start)

	b.ResetTimer()
	for b.Loop() {
		check(concurrent.m.VerifyAll(ctx, concurrent.conns, func(int) providers.Reporter { return discard{} }, nil))
	}
	wall := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(wall)/float64(floor), "floor-ratio")
	b.ReportMetric(float64(seq)/float64(wall), "sequential-speedup")
	b.ReportMetric(float64(len(concurrent.conns)), "providers")
}

func emulatorIDs() []string {
	var ids []string
	for _, e := range registry.Emulators(registry.Entries) {
		ids = append(ids, e.Provider)
	}
	return ids
}
