package providers

import (
	"context"
	"slices"
)

type capabilitiesKey struct{}

// WithCapabilities returns ctx carrying the capabilities a setup enables,
// so that a Connect whose sign-in asks for permissions (a consent's
// scopes) asks for what they need and no more. Manager.Setup sets it.
func WithCapabilities(ctx context.Context, enabled []string) context.Context {
	return context.WithValue(ctx, capabilitiesKey{}, slices.Clone(enabled))
}

// CapabilitiesOf returns the capabilities WithCapabilities put in ctx, and
// whether it did: a Connect called outside a setup asks for the required
// capabilities alone.
func CapabilitiesOf(ctx context.Context) ([]string, bool) {
	caps, ok := ctx.Value(capabilitiesKey{}).([]string)
	return slices.Clone(caps), ok
}

type deepKey struct{}

// WithDeep returns ctx asking for a deep verification: besides what
// decides each grant, one side-effect-free read per permission where the
// provider has one, which finds what a grant alone cannot show (a
// licence the tenant lacks, a policy that blocks the app). `tether
// verify --deep` sets it; a provider with nothing deeper ignores it.
func WithDeep(ctx context.Context) context.Context {
	return context.WithValue(ctx, deepKey{}, true)
}

// DeepOf reports whether WithDeep asked ctx for a deep verification.
func DeepOf(ctx context.Context) bool {
	deep, _ := ctx.Value(deepKey{}).(bool)
	return deep
}
