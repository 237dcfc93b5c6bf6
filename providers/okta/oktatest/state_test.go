package oktatest_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/providers/okta/oktatest"
	"github.com/tetherdev/tether/providers/sandbox"
)

func emulator(t *testing.T) *oktatest.Emulator {
	t.Helper()
	cat, _ := catalog.Default()
	cp, _ := cat.Provider("okta")
	e, err := oktatest.NewEmulator(sandbox.Config{Provider: cp})
	if err != nil {
		t.Fatal(err)
	}
	return e.(*oktatest.Emulator)
}

func TestStateRoundTrip(t *testing.T) {
	e := emulator(t)
	_ = e.Update(oktatest.DemoDomain, func(o *oktatest.Org) {
		o.Tokens = o.Tokens[:1] // the bootstrap token revoked
		o.ServiceApps[0].Scopes = append(o.ServiceApps[0].Scopes, "okta.apps.manage")
	})
	data, err := e.State()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), oktatest.DemoToken) || strings.Contains(string(data), oktatest.DemoSuperToken) {
		t.Fatal("the state holds a token value")
	}
	next := emulator(t)
	if err := next.Restore(data); err != nil {
		t.Fatal(err)
	}
	o, _ := next.Org(oktatest.DemoDomain)
	if len(o.Tokens) != 1 || len(o.ServiceApps) != 1 || len(o.ServiceApps[0].PublicKeys) != 1 || !strings.Contains(strings.Join(o.ServiceApps[0].Scopes, " "), "okta.apps.manage") {
		t.Errorf("restored %+v", o.ServiceApps)
	}
	for _, bad := range []string{``, `{}`, `{"version":2}`, `{"version":1,"service_apps":[{"client_id":"x"}]}`,
		`{"version":1,"custom_roles":[{"ID":"cr0abcdef","Permissions":["rm -rf"]}]}`, `{"version":1} {}`, `{"version":1,"extra":1}`} {
		if err := next.Restore([]byte(bad)); !errors.Is(err, oktatest.ErrBadState) {
			t.Errorf("Restore(%s) = %v, want ErrBadState", bad, err)
		}
	}
}
