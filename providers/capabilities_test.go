package providers

import (
	"context"
	"slices"
	"testing"
)

func TestCapabilitiesInContext(t *testing.T) {
	if caps, ok := CapabilitiesOf(context.Background()); ok || caps != nil {
		t.Errorf("CapabilitiesOf(empty) = %v, %v", caps, ok)
	}
	in := []string{"collect", "user-security"}
	ctx := WithCapabilities(context.Background(), in)
	in[0] = "changed"
	if caps, ok := CapabilitiesOf(ctx); !ok || !slices.Equal(caps, []string{"collect", "user-security"}) {
		t.Errorf("CapabilitiesOf() = %v, %v", caps, ok)
	}
}
