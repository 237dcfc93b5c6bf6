package google_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/providers/google"
	"github.com/tetherdev/tether/providers/google/googletest"
)

// canaries are recognisable pieces of the service account's private key:
// every line of its PEM body.
func canaries() []string {
	_, pemKey := testKey()
	var out []string
	for _, l := range strings.Split(pemKey, "\n") {
		if len(l) > 20 && !strings.HasPrefix(l, "-----") {
			out = append(out, l)
		}
	}
	return out
}

func assertClean(t *testing.T, what, s string) {
	t.Helper()
	for _, c := range canaries() {
		// The key file escapes its newlines; look for each line alone.
		if strings.Contains(s, c) {
			t.Fatalf("%s contains the private key: %.200s", what, s)
		}
	}
	if strings.Contains(s, "PRIVATE KEY") {
		t.Fatalf("%s mentions a PEM private key block: %.200s", what, s)
	}
}

// TestPrivateKeyNeverLeaks: the key reaches the store only, on success
// and on each failure: not the events, errors, settings, checks,
// warnings or the description.
func TestPrivateKeyNeverLeaks(t *testing.T) {
	for _, tc := range []struct {
		name    string
		breakIt func(*googletest.Emulator)
		admin   string
	}{
		{name: "healthy"},
		{name: "undelegated", breakIt: func(e *googletest.Emulator) { e.SetDelegation(googletest.DemoClientID, nil) }},
		{name: "non-admin", breakIt: func(e *googletest.Emulator) { e.SetAdmin(googletest.DemoAdmin, false) }},
		{name: "skew", breakIt: func(e *googletest.Emulator) { e.SetClockOffset(time.Hour) }},
		{name: "deleted key", breakIt: func(e *googletest.Emulator) { e.DeleteKey(googletest.KeyID(mustPublic())) }},
		{name: "unknown admin", admin: "ghost@" + googletest.DemoDomain},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := start(t, providers.Env{})
			if tc.breakIt != nil {
				tc.breakIt(f.emu())
			}
			admin := tc.admin
			if admin == "" {
				admin = googletest.DemoAdmin
			}
			conn, secret, ev, err := connect(t, f, inputs(keyFile(), admin))
			assertClean(t, "the events", strings.Join(ev.msgs, "\n"))
			if err != nil {
				assertClean(t, "the error", err.Error()+fmt.Sprintf("%+v %#v", err, err))
				return
			}
			settings, _ := json.Marshal(conn)
			assertClean(t, "the connection", string(settings))
			assertClean(t, "the description", fmt.Sprintf("%+v", f.p.Describe(conn)))
			assertClean(t, "the secret's formatting", fmt.Sprintf("%v %+v %#v %s", secret, secret, secret, secret))
			if !strings.Contains(secret.Get(google.InputKey), canaries()[0]) {
				t.Fatal("the key is not in the secret for the store")
			}
			r := &reporter{}
			verr := f.p.Verify(context.Background(), conn, providers.Credential{Secret: secret, Save: func(context.Context, flows.Secret) error { return nil }}, r)
			if verr != nil {
				assertClean(t, "verify's error", verr.Error())
			}
			checks, _ := json.Marshal(r.checks)
			assertClean(t, "the checks", string(checks))
			assertClean(t, "the warnings", strings.Join(r.warnings, "\n"))
		})
	}
}

// TestInputErrorsDoNotQuoteTheKey: a key pasted into the wrong input, or
// a broken key, is never repeated by validation.
func TestInputErrorsDoNotQuoteTheKey(t *testing.T) {
	f := start(t, providers.Env{})
	m := method(t, f.p, google.MethodServiceAccount)
	_, pemKey := testKey()
	broken := strings.Replace(keyFile(), `"service_account"`, `"service"`, 1)
	for _, in := range []providers.Inputs{
		inputs(pemKey, googletest.DemoAdmin),
		inputs(broken, googletest.DemoAdmin),
		inputs(strings.Replace(keyFile(), "-----BEGIN", "-----BEGINX", 1), googletest.DemoAdmin),
	} {
		err := m.Validate(in)
		if err == nil {
			t.Fatal("Validate() accepted a bad key")
		}
		assertClean(t, "Validate()", err.Error())
	}
}

func mustPublic() any {
	k, _ := testKey()
	return k.Public()
}
