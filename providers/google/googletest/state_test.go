package googletest_test

import (
	"bytes"
	"testing"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/providers/google/googletest"
	"github.com/tetherdev/tether/providers/sandbox"
)

func emulator(t testing.TB) *googletest.Emulator {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	cp, _ := cat.Provider("google")
	e, err := googletest.NewEmulator(sandbox.Config{Provider: cp})
	if err != nil {
		t.Fatal(err)
	}
	return e.(*googletest.Emulator)
}

func TestStateRefusesWhatIsNotOne(t *testing.T) {
	e := emulator(t)
	for _, bad := range []string{
		`{"version":1,"granted":["read:logs"]}`,
		`{"version":2,"granted":[]}`,
		`{"version":1,"granted":[],"extra":1}`,
		`{"version":1,"granted":[]} {}`,
		`{"version":1,"granted":[],"consents":{"refresh":{"short":{"client_id":"x","subject":"a@b","scopes":[]}}}}`,
		`{"version":1,"granted":[],"consents":{"consented":{"1-unknown.apps.googleusercontent.com":[]}}}`,
	} {
		if err := e.Restore([]byte(bad)); err == nil {
			t.Errorf("Restore(%s) accepted it", bad)
		}
	}
}

// FuzzRestore: a state is refused or taken whole, and what is taken
// comes back out of State unchanged.
func FuzzRestore(f *testing.F) {
	e := emulator(f)
	good, err := e.State()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"version":1,"granted":["https://www.googleapis.com/auth/admin.directory.user.readonly"],"consents":{"refresh":{},"consented":{}}}`))
	f.Add([]byte(`{"version":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if e.Restore(data) != nil {
			return
		}
		once, err := e.State()
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Restore(once); err != nil {
			t.Fatalf("Restore(State()) = %v", err)
		}
		twice, _ := e.State()
		if !bytes.Equal(once, twice) {
			t.Fatalf("State changed on a round trip:\n%s\n%s", once, twice)
		}
	})
}
