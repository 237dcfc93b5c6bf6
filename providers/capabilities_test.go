package providers

import (
	"context"
	"slices"
	"testing"
)

func TestCapabilitiesContext(t *testing.T) {
	if _, ok := CapabilitiesFrom(context.Background()); ok {
		t.Error("a bare context carries capabilities")
	}
	caps := []string{"collect", "clear-sessions"}
	ctx := WithCapabilities(context.Background(), caps)
	caps[1] = "changed"
	if got, ok := CapabilitiesFrom(ctx); !ok || !slices.Equal(got, []string{"collect", "clear-sessions"}) {
		t.Errorf("CapabilitiesFrom() = %v, %v", got, ok)
	}
}
