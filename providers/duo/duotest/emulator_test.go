package duotest

import (
	"slices"
	"strings"
	"testing"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/providers/sandbox"
)

func demoEmulator(t *testing.T, withheld ...string) *Emulator {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	cp, _ := cat.Provider("duo")
	e, err := NewEmulator(sandbox.Config{Provider: cp, Withheld: withheld})
	if err != nil {
		t.Fatal(err)
	}
	return e.(*Emulator)
}

// TestStateRoundTrip: a grant unticked in one run is restored in the
// next; this run's withheld grant stays withheld, but is not saved.
func TestStateRoundTrip(t *testing.T) {
	cat, _ := catalog.Default()
	cp, _ := cat.Provider("duo")
	readLog, _ := cp.Permission("Grant read log")
	e := demoEmulator(t, "Grant read resource")
	if err := e.SetGranted(readLog, false); err != nil {
		t.Fatal(err)
	}
	data, err := e.State()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), GrantReadLog) || !strings.Contains(string(data), GrantReadResource) || strings.Contains(string(data), DemoSKey) {
		t.Fatalf("state %s: want read log unticked, read resource kept (withheld only for the run), and no secret", data)
	}
	next := demoEmulator(t)
	if err := next.Restore(data); err != nil {
		t.Fatal(err)
	}
	got, _ := next.GrantsOf(DemoHost, DemoIKey)
	if slices.Contains(got, GrantReadLog) || !slices.Contains(got, GrantReadResource) {
		t.Errorf("restored grants %v", got)
	}
}

func TestRestoreRefuses(t *testing.T) {
	e := demoEmulator(t)
	before, _ := e.GrantsOf(DemoHost, DemoIKey)
	for name, data := range map[string]string{
		"not JSON":      "nope",
		"other version": `{"version":2,"granted":[]}`,
		"unknown field": `{"version":1,"granted":[],"skey":"x"}`,
		"unknown grant": `{"version":1,"granted":["adminapi_everything"]}`,
		"trailing data": `{"version":1,"granted":[]} {}`,
		"oversize":      `{"version":1,"granted":["` + strings.Repeat("a", 1<<17) + `"]}`,
	} {
		if err := e.Restore([]byte(data)); err == nil {
			t.Errorf("Restore(%s) accepted", name)
		}
	}
	if after, _ := e.GrantsOf(DemoHost, DemoIKey); !slices.Equal(before, after) {
		t.Errorf("a refused state changed the grants: %v → %v", before, after)
	}
}
