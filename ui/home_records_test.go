package ui

import (
	"os"
	"runtime"
	"testing"
)

// TestHomeNamesUnusableRecords: Home lists the usable connections and
// says which record is not used, and that others can write the config
// dir, instead of failing as a whole.
func TestHomeNamesUnusableRecords(t *testing.T) {
	deps, _ := testDeps(t)
	cfg := deps.Manager.Config
	records := `{"version": 1, "connections": [
	  {"provider": "auth0", "name": "../x", "method": "client-secret", "store": "file"}
	]}`
	if err := os.WriteFile(cfg.Path(), []byte(records), 0o600); err != nil {
		t.Fatal(err)
	}
	wants := []string{`("auth0/../x")`, "Auth0", "not connected"}
	if runtime.GOOS != "windows" {
		if err := os.Chmod(cfg.Dir, 0o777); err != nil {
			t.Fatal(err)
		}
		wants = append(wants, "0777")
	}
	d := newDriver(t, deps, Options{})
	d.wantScreen(wants...)
}
