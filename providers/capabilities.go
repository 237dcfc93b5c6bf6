package providers

import (
	"context"
	"slices"
)

type capabilitiesKey struct{}

// WithCapabilities returns ctx carrying the capabilities a setup enables,
// for a Connect that shapes what it creates by them (an app created with
// exactly the grants they need). Manager.Setup sets it.
func WithCapabilities(ctx context.Context, capabilities []string) context.Context {
	return context.WithValue(ctx, capabilitiesKey{}, slices.Clone(capabilities))
}

// CapabilitiesFrom returns the capabilities WithCapabilities put in ctx,
// and whether it did.
func CapabilitiesFrom(ctx context.Context) ([]string, bool) {
	c, ok := ctx.Value(capabilitiesKey{}).([]string)
	return slices.Clone(c), ok
}
