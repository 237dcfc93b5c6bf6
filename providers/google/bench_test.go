package google_test

import (
	"context"
	"testing"

	"github.com/tetherdev/tether/providers"
)

// BenchmarkVerify is one whole service-account verification against the
// emulator over loopback TLS: eight delegated tokens and the key's
// certificates at once, then nine reads (one waiting for a group).
func BenchmarkVerify(b *testing.B) {
	f := start(b, providers.Env{})
	conn, secret := setUp(b, f)
	for b.Loop() {
		r := &reporter{}
		if err := f.p.Verify(context.Background(), conn, credential(secret), r); err != nil || len(r.checks) != 7 {
			b.Fatalf("Verify: %v, %d checks", err, len(r.checks))
		}
	}
}
