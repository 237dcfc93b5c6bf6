package providers

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// FuzzParseConfig: a connections file that loads is its own normal form
// once written back (what Config.Update writes loads to the same bytes),
// and a refusal is one ConfigError line naming the file.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(`{"version":1,"connections":[]}`))
	f.Add([]byte(`{"version":1,"connections":[{"provider":"auth0","name":"default","method":"client-secret","tenant":"acme.us.auth0.com","settings":{"domain":"acme.us.auth0.com"},"capabilities":["collect"],"store":"file","created_at":"2025-01-02T03:04:05Z","updated_at":"2025-01-02T03:04:05Z","last_verification":{"at":"2025-01-02T03:04:05Z","verdict":"ok","counts":{"granted":4}}}],"drafts":[{"provider":"auth0","name":"x","step":"inputs","updated_at":"2025-01-02T03:04:05Z"}]}`))
	f.Add([]byte(`{"version":2,"connections":[]}`))
	f.Add([]byte(`{"connections":[]}`))
	f.Add([]byte("{\"version\":1,\n\"connections\":[}"))
	f.Add([]byte(`{"version":1} trailing`))
	f.Fuzz(func(t *testing.T, data []byte) {
		const path = "/cfg/connections.json"
		cf, err := parseConfig(path, data, nil)
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Path != path || strings.Contains(err.Error(), "\n") {
				t.Fatalf("parseConfig error %q: want one ConfigError line naming the file", err)
			}
			return
		}
		if cf.Version < 1 || cf.Version > ConfigVersion {
			t.Fatalf("parseConfig accepted version %d", cf.Version)
		}
		once, err := json.MarshalIndent(cf, "", "  ")
		if err != nil {
			t.Fatalf("an accepted file does not marshal: %v", err)
		}
		cf2, err := parseConfig(path, once, nil)
		if err != nil {
			t.Fatalf("what tether writes back does not load: %v\n%s", err, once)
		}
		twice, _ := json.MarshalIndent(cf2, "", "  ")
		if !bytes.Equal(once, twice) {
			t.Fatalf("written back, the file changes again:\n%s\n---\n%s", once, twice)
		}
	})
}
