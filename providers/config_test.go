package providers

import (
	"errors"
	"fmt"
	"os"
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
	tests := []struct {
		name, content, want string
	}{
		{"syntax", "{\n  \"version\": 1,\n  oops\n}", "line 3"},
		{"no version", `{"connections":[]}`, "no format version"},
		{"newer", `{"version": 99}`, "newer tether"},
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
		})
	}
}
