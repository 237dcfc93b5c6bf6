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

// TestDeep: WithDeep asks for a deep verification; a bare context does not.
func TestDeep(t *testing.T) {
	if DeepOf(context.Background()) {
		t.Error("a bare context asks for a deep verification")
	}
	if !DeepOf(WithDeep(context.Background())) {
		t.Error("WithDeep is not seen")
	}
}
