package providers

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/tetherdev/tether/flows"
)

// TestRecordsOnDiskAreStable: a setup, its verification, an expiry and a
// draft write connections.json exactly as earlier versions of tether
// wrote it (testdata/connections.golden.json), and reading and rewriting
// that file changes no byte.
func TestRecordsOnDiskAreStable(t *testing.T) {
	want, err := os.ReadFile("testdata/connections.golden.json")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := newManager(t, &fakeProvider{missing: "read:logs"})
	plan, err := m.Plan(request("acme.us.auth0.com"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Setup(context.Background(), plan, flows.Interaction{}, nopReporter{}); err != nil {
		t.Fatal(err)
	}
	exp := time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := m.Config.Update(func(f *ConfigFile) error {
		c, _ := f.Find(flows.Key{Provider: "auth0", Name: "default"})
		c.SecretExpiresAt = &exp
		f.Put(c)
		f.PutDraft(Draft{Provider: "auth0", Name: "eu", Method: "key", Step: "inputs", Capabilities: []string{"collect"},
			Inputs: map[string]string{"domain": "eu.auth0.com"}, UpdatedAt: m.Now()})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(m.Config.Path())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("connections.json =\n%s\nwant\n%s", got, want)
	}

	c := Config{Dir: t.TempDir()}
	if err := os.WriteFile(c.Path(), want, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := c.Load()
	if err != nil {
		t.Fatal(err)
	}
	if v := f.Connections[0].LastVerification; v.Verdict != VerdictMissing || v.Counts[Granted] != 3 || v.Counts[Missing] != 1 {
		t.Errorf("Load() verification = %+v, want missing with 3 granted and 1 missing", v)
	}
	if err := c.Update(func(*ConfigFile) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(c.Path()); !bytes.Equal(got, want) {
		t.Errorf("rewriting connections.json changed it:\n%s\nwant\n%s", got, want)
	}
}
