package ui

import (
	"strings"
	"testing"
)

// TestReadOnlyCannotSetUpOrForget: a read-only session (an SSH viewer)
// is told to ask an admin when it asks to set up, add or forget, and the
// connection made by an admin survives its attempt to forget it.
func TestReadOnlyCannotSetUpOrForget(t *testing.T) {
	deps, _ := testDeps(t)
	admin := newDriver(t, deps, Options{Setup: "auth0"})
	admin.key("enter", "enter", "enter", "enter", "enter", "enter", "enter")
	admin.wantScreen("4 granted")

	ro := deps
	ro.ReadOnly = true
	for _, tc := range []struct {
		name string
		opts Options
		keys []string
	}{
		{"setup option", Options{Setup: "auth0", Name: "prod"}, nil},
		{"add", Options{}, []string{"down", "down", "down", "a"}},
		{"forget", Options{}, []string{"down", "down", "down", "d", "y"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDriver(t, ro, tc.opts)
			d.wantScreen("Auth0")
			d.key(tc.keys...)
			d.wantScreen(ReadOnlyNotice)
			if v := d.view(); strings.Contains(v, "step 1 of") || strings.Contains(v, "y/n") {
				t.Fatalf("a read-only session reached setup or a confirmation:\n%s", v)
			}
			f, err := deps.Manager.Records()
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Connections) != 1 {
				t.Fatalf("connections = %d, want 1 (the admin's)", len(f.Connections))
			}
		})
	}
}
