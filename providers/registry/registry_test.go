package registry

import (
	"strings"
	"testing"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/providers"
)

// TestValidationNeverEchoesASecret: a secret pasted into the wrong field
// (a private key, a JSON key file, a token) is refused without being
// quoted back, by every input of every method of every provider.
func TestValidationNeverEchoesASecret(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	canaries := []string{
		"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcCANARYAAAAAAAAAAAAAAAA\n-----END PRIVATE KEY-----\n",
		`{"type":"service_account","private_key":"-----BEGIN PRIVATE KEY-----\nCANARY\n-----END PRIVATE KEY-----\n"}`,
		"00CANARYa1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8",
		"CANARYaBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
		"  \"CANARY8Q~AbCdEfGhIjKlMnOpQrStUvWxYz0123456\"  ",
		"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJDQU5BUlkifQ.CANARYsignatureAAAAAAAAAAAAAAA",
	}
	for _, e := range Entries {
		p, err := e.New(cat, providers.Env{})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range p.Methods() {
			for _, in := range m.Inputs {
				if in.Validate == nil {
					continue
				}
				for _, c := range canaries {
					if err := in.Validate(c); err != nil && strings.Contains(err.Error(), "CANARY") {
						t.Errorf("%s %s %s: the error echoes the value: %v", e.ID, m.ID, in.Key, err)
					}
				}
			}
		}
	}
}
