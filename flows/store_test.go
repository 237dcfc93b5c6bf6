package flows

import (
	"strings"
	"testing"
)

func TestValidName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"default", true}, {"eu-tenant", true}, {"prod.2", true}, {"a_b", true},
		{"", false}, {"Prod", false}, {"-x", false}, {"a/b", false}, {"a#b", false}, {strings.Repeat("a", 64), false},
	}
	for _, tt := range tests {
		if err := ValidName(tt.name); (err == nil) != tt.ok {
			t.Errorf("ValidName(%q) = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}
