package flows

import (
	"testing"

	"github.com/tetherdev/tether/flows/oauthtest"
)

// TestOneAssertionType: flows may not import the emulator kit, so it
// keeps its own client_assertion_type; this keeps the two one value.
func TestOneAssertionType(t *testing.T) {
	if AssertionType != oauthtest.AssertionType {
		t.Errorf("flows.AssertionType = %q, oauthtest.AssertionType = %q: they must agree", AssertionType, oauthtest.AssertionType)
	}
}
