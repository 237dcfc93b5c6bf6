package entra_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/providers/entra"
	"github.com/tetherdev/tether/providers/entra/entratest"
	"github.com/tetherdev/tether/providers/sandbox"
)

func yes(context.Context, flows.Question) (int, error) { return 0, nil }

func tagged(apps []entratest.App) []entratest.App {
	return slices.DeleteFunc(apps, func(a entratest.App) bool { return !slices.Contains(a.Tags, "tether:connector") })
}

// TestCreateIsIdempotent: create, run twice, leaves one app registration
// with exactly the required permissions; a role added by hand between
// the runs is reported as excess and kept.
func TestCreateIsIdempotent(t *testing.T) {
	cat, _ := catalog.Default()
	sb, err := sandbox.Start(cat, sandbox.Options{Dir: t.TempDir(), Emulators: []sandbox.Entry{{Provider: entra.ID, New: entratest.NewEmulator}}})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	run, _ := sb.Emulator(entra.ID)
	emu := run.Emulator.(*entratest.Emulator)
	p, _ := entra.New(cat, providers.Env{HTTP: sb.HTTPClient()})
	m := method(t, p, entra.MethodCreate)
	in := providers.Inputs{Values: map[string]string{"tenant": entratest.DemoDomain}, Secret: flows.NewSecret(nil)}
	if err := m.Validate(in); err != nil {
		t.Fatal(err)
	}
	var asked []flows.Question
	setup := func() (*reporter, providers.Connection, flows.Secret) {
		t.Helper()
		io := sb.Admin(entra.ID, 0).Interact(context.Background(), flows.Interaction{Ask: func(ctx context.Context, q flows.Question) (int, error) {
			asked = append(asked, q)
			return 0, nil
		}})
		conn, secret, err := p.Connect(context.Background(), m, in, io)
		if err != nil {
			t.Fatal(err)
		}
		conn.Capabilities = []string{"collect"}
		r := &reporter{}
		if err := p.Verify(context.Background(), conn, providers.Credential{Secret: secret}, r); err != nil {
			t.Fatal(err)
		}
		return r, conn, secret
	}
	r, conn, secret := setup()
	for _, c := range r.checks {
		if c.Status != providers.Granted {
			t.Errorf("after create: %+v", c)
		}
	}
	if len(r.checks) != len(collect) || conn.SecretExpiresAt == nil || !slices.Equal(secret.Keys(), []string{"client_secret"}) {
		t.Errorf("checks %d, expiry %v, secret keys %v", len(r.checks), conn.SecretExpiresAt, secret.Keys())
	}
	apps := tagged(emu.Apps(entratest.DemoTenantID))
	if len(apps) != 1 || len(apps[0].Required) != len(collect) {
		t.Fatalf("after one run: %d tagged apps %+v", len(apps), apps)
	}
	if err := emu.SetRoles(entratest.DemoTenantID, conn.Settings["client_id"], append(slices.Clone(collect), "User.ReadWrite.All")); err != nil {
		t.Fatal(err)
	}
	r, conn2, _ := setup()
	if conn2.Settings["client_id"] != conn.Settings["client_id"] {
		t.Errorf("the second run made another app: %s then %s", conn.Settings["client_id"], conn2.Settings["client_id"])
	}
	apps = tagged(emu.Apps(entratest.DemoTenantID))
	if len(apps) != 1 || len(apps[0].Required) != len(collect) || len(apps[0].Secrets) != 2 {
		t.Errorf("after two runs: %d tagged apps %+v", len(apps), apps)
	}
	if c := r.status("User.ReadWrite.All"); c.Status != providers.Excess {
		t.Errorf("the stray role: %+v", c)
	}
	if !slices.Contains(emu.Roles(entratest.DemoTenantID, conn.Settings["client_id"]), "User.ReadWrite.All") {
		t.Error("the stray role was removed")
	}
	if len(asked) != 2 || !strings.HasPrefix(asked[0].Prompt, "Create the app registration") || !strings.HasPrefix(asked[1].Prompt, "Bring the app registration") {
		t.Errorf("questions %+v", asked)
	}
}

// TestCreateRefusals: a declined question creates nothing; Conditional
// Access blocking the device code is explained.
func TestCreateRefusals(t *testing.T) {
	f := start(t, entratest.Options{Tenants: []entratest.Tenant{tenant(collect)}, BlockDeviceCode: true}, providers.Env{})
	m := method(t, f.p, entra.MethodCreate)
	in := providers.Inputs{Values: map[string]string{"tenant": entratest.DemoDomain}, Secret: flows.NewSecret(nil)}
	no := func(context.Context, flows.Question) (int, error) { return 1, nil }
	io := f.sb.Admin(entra.ID, 0).Interact(context.Background(), flows.Interaction{Ask: no})
	_, _, err := f.p.Connect(context.Background(), m, in, io)
	var se *providers.SignInError
	if !errors.As(err, &se) || !strings.Contains(se.Reason, "Conditional Access") || !strings.Contains(se.Reason, "AADSTS53003") {
		t.Errorf("blocked device code, browser declined: %v", err)
	}
	// Accepting the browser sign-in goes through.
	io = f.sb.Admin(entra.ID, 0).Interact(context.Background(), flows.Interaction{Ask: yes})
	conn, _, err := f.p.Connect(context.Background(), m, in, io)
	if err != nil || conn.Settings["client_id"] == "" {
		t.Fatalf("blocked device code, browser accepted: %v", err)
	}
	if n := len(tagged(f.emu.Apps(entratest.DemoTenantID))); n != 1 {
		t.Errorf("%d apps after the browser sign-in", n)
	}

	f = start(t, entratest.Options{Tenants: []entratest.Tenant{tenant(collect)}}, providers.Env{})
	io = f.sb.Admin(entra.ID, 0).Interact(context.Background(), flows.Interaction{Ask: func(context.Context, flows.Question) (int, error) { return 1, nil }})
	_, _, err = f.p.Connect(context.Background(), m, in, io)
	if !errors.Is(err, flows.ErrDeclined) {
		t.Errorf("declined: %v", err)
	}
	if n := len(tagged(f.emu.Apps(entratest.DemoTenantID))); n != 0 {
		t.Errorf("a declined create made %d apps", n)
	}
}
