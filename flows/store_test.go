package flows

import (
	"errors"
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

func TestKeyValidate(t *testing.T) {
	tests := []struct {
		key Key
		ok  bool
	}{
		{Key{"auth0", "default"}, true},
		{Key{".probe", "probe-abc"}, true},
		{Key{"auth0", "eu.2"}, true},
		{Key{"auth0", ""}, false},
		{Key{"", "default"}, false},
		{Key{"auth0", "."}, false},
		{Key{"auth0", ".."}, false},
		{Key{"..", "x"}, false},
		{Key{"auth0", "../../../../victim/precious"}, false},
		{Key{"auth0", "a/b"}, false},
		{Key{"auth0", `a\b`}, false},
		{Key{"auth0", "/etc/passwd"}, false},
		{Key{"auth0", "a\x00b"}, false},
	}
	for _, tt := range tests {
		err := tt.key.Validate()
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrInvalidKey)) {
			t.Errorf("Key%q.Validate() = %v, want ok=%v", []string{tt.key.Provider, tt.key.Name}, err, tt.ok)
		}
	}
}
