package providers

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetherdev/tether/flows"
)

func TestConfigUpdateIsAtomicAndPrivate(t *testing.T) {
	c := Config{Dir: filepath.Join(t.TempDir(), "tether")}
	f, err := c.Load()
	if err != nil || len(f.Connections) != 0 {
		t.Fatalf("Load() of a missing file = %v, %v; want empty", f, err)
	}
	conn := Connection{Provider: "auth0", Name: "default", Method: "client-secret", Tenant: "acme.us.auth0.com",
		Capabilities: []string{"collect"}, Store: flows.StoreKeyring, CreatedAt: time.Unix(1, 0).UTC()}
	if err := c.Update(func(f *ConfigFile) error { f.Put(conn); return nil }); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(c.Path()); runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Errorf("mode = %o, want 600", st.Mode().Perm())
	}
	// A failing update writes nothing.
	boom := errors.New("boom")
	if err := c.Update(func(f *ConfigFile) error { f.Connections = nil; return boom }); !errors.Is(err, boom) {
		t.Fatalf("Update() = %v, want boom", err)
	}
	f, err = c.Load()
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := f.Find(conn.Key()); !ok || got.Tenant != conn.Tenant || f.Version != ConfigVersion {
		t.Errorf("Find() = %+v, %v (version %d)", got, ok, f.Version)
	}
	entries, _ := os.ReadDir(c.Dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

func TestConfigConcurrentUpdatesLoseNothing(t *testing.T) {
	c := Config{Dir: t.TempDir()}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.Update(func(f *ConfigFile) error {
				f.Put(Connection{Provider: "okta", Name: fmt.Sprintf("n%02d", i)})
				return nil
			})
		}()
	}
	wg.Wait()
	f, err := c.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Connections) != 20 {
		t.Errorf("got %d connections, want 20", len(f.Connections))
	}
}

func TestConfigRejectsBadFiles(t *testing.T) {
	padded := `{"version": 1, "connections": []` + strings.Repeat(" ", MaxConfigSize) + `}`
	tests := []struct {
		name, content, want string
		is                  error
	}{
		{"syntax", "{\n  \"version\": 1,\n  oops\n}", "line 3", nil},
		{"no version", `{"connections":[]}`, "no format version", nil},
		{"negative version", `{"version": -1}`, "no format version", nil},
		{"newer", `{"version": 99}`, "newer tether", ErrNewerConfig},
		{"not an object", `[]`, "a JSON array where tether expects an object", nil},
		{"trailing garbage", "{\"version\": 1, \"connections\": []}\n\nrm -rf", "line 3", ErrTrailingData},
		{"second document", `{"version": 1}{"version": 1}`, "line 1", ErrTrailingData},
		{"trailing brace", `{"version": 1}}`, "after the JSON", ErrTrailingData},
		{"too large", padded, "larger than 4 MiB", ErrConfigTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Config{Dir: t.TempDir()}
			if err := os.WriteFile(c.Path(), []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := c.Load()
			var ce *ConfigError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), c.Path()) {
				t.Errorf("Load() = %v, want a ConfigError naming the file and %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("Load() = %v, want errors.Is %v", err, tt.is)
			}
		})
	}
}

// TestConfigReadsUpToItsCap: a file of exactly MaxConfigSize bytes, and
// one followed by blank lines, are read.
func TestConfigReadsUpToItsCap(t *testing.T) {
	head := `{"version": 1, "connections": []`
	for name, content := range map[string]string{
		"at the cap":     head + strings.Repeat(" ", MaxConfigSize-len(head)-1) + "}",
		"trailing space": head + "}\n\n  \t\n",
	} {
		c := Config{Dir: t.TempDir()}
		if err := os.WriteFile(c.Path(), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Load(); err != nil {
			t.Errorf("%s: Load() = %v", name, err)
		}
	}
}

// TestConfigRefusesAFIFO: a FIFO in the file's place is refused at once,
// not read forever.
func TestConfigRefusesAFIFO(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no FIFOs")
	}
	c := Config{Dir: t.TempDir()}
	if err := mkfifo(c.Path()); err != nil {
		t.Skip(err)
	}
	if _, err := c.Load(); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("Load() of a FIFO = %v", err)
	}
}

// TestConfigUpdateCleansStaleTemps: the temporary copies that writers
// killed mid-write left are gone after the next write.
func TestConfigUpdateCleansStaleTemps(t *testing.T) {
	c := Config{Dir: t.TempDir()}
	dead := exec.Command(os.Args[0], "-test.run=^$")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	left := []string{
		filepath.Join(c.Dir, fmt.Sprintf(".connections.json.tmp-%d-123", dead.Process.Pid)),
		filepath.Join(c.Dir, ".connections.json.tmp-4242424242"), // an older tether's
	}
	for _, p := range left {
		if err := os.WriteFile(p, []byte(`{"version": 1, "conn`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	long := time.Now().Add(-2 * time.Minute)
	if err := os.Chtimes(left[1], long, long); err != nil {
		t.Fatal(err)
	}
	if err := c.Update(func(*ConfigFile) error { return nil }); err != nil {
		t.Fatal(err)
	}
	for _, p := range left {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("after Update, %s is still there", filepath.Base(p))
		}
	}
}
