package okta_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/providers/okta"
	"github.com/tetherdev/tether/providers/okta/oktatest"
)

// superCanary is the bootstrap token: a Super Administrator's.
const superCanary = "00CANARYoktaSuperBootstrapDoNotLeak000001"

func superOrg(mutate ...func(*oktatest.Org)) oktatest.Org {
	return demoOrg(append([]func(*oktatest.Org){func(o *oktatest.Org) {
		o.Tokens = append(o.Tokens, oktatest.APIToken{ID: "00T1bootstrap000001", Value: superCanary, UserID: oktatest.DemoSuperID})
	}}, mutate...)...)
}

func createInputs(token string) providers.Inputs {
	return providers.Inputs{Values: map[string]string{okta.InputOrg: oktatest.DemoDomain},
		Secret: flows.NewSecret(map[string]string{okta.InputBootstrap: token})}
}

// answers answers the questions in turn: true is yes.
func answers(a ...bool) (flows.Asker, *[]string) {
	var asked []string
	return func(_ context.Context, q flows.Question) (int, error) {
		asked = append(asked, q.Prompt)
		if len(a) == 0 || !a[0] {
			a = a[min(1, len(a)):]
			return 1, nil
		}
		a = a[1:]
		return 0, nil
	}, &asked
}

func create(t *testing.T, f fixture, ask flows.Asker, caps []string, events flows.Events) (providers.Connection, flows.Secret, error) {
	t.Helper()
	ctx := providers.WithCapabilities(context.Background(), caps)
	return f.p.Connect(ctx, method(t, f.p, okta.MethodCreate), createInputs(superCanary), flows.Interaction{Ask: ask, Events: events})
}

// TestCreateTwiceConverges: a re-run finds its app and roles, adds
// nothing twice and removes nothing it did not add; the bootstrap token
// is revoked when the admin agrees, and never stored.
func TestCreateTwiceConverges(t *testing.T) {
	f := start(t, &oktatest.Options{Orgs: []oktatest.Org{superOrg()}}, providers.Env{})
	ask, asked := answers(true, false) // create; keep the token
	var events []string
	conn, secret, err := create(t, f, ask, allCaps, func(e flows.Event) { events = append(events, fmtEvent(e)) })
	if err != nil {
		t.Fatalf("Connect() = %v", err)
	}
	if len(*asked) != 2 || !strings.Contains((*asked)[1], "Revoke") {
		t.Errorf("asked %q", *asked)
	}
	if secret.Get(okta.InputBootstrap) != "" || secret.Get(okta.InputPrivateKey) == "" || len(secret.Keys()) != 1 {
		t.Errorf("stored secret has %v: want the private key alone", secret.Keys())
	}
	r, err := verify(t, f, conn, secret, allCaps)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range r.checks {
		if c.Status != providers.Granted {
			t.Errorf("after create: %s %+v", c.Label(), c)
		}
	}
	// The admin adds a grant of their own; a re-run leaves it.
	id := conn.Settings[okta.InputClientID]
	_ = f.emu().Update(oktatest.DemoDomain, func(o *oktatest.Org) {
		for i := range o.ServiceApps {
			if o.ServiceApps[i].ClientID == id {
				o.ServiceApps[i].Scopes = append(o.ServiceApps[i].Scopes, "okta.apps.manage")
			}
		}
	})
	ask, _ = answers(true, true)
	conn2, secret2, err := create(t, f, ask, allCaps, nil)
	if err != nil {
		t.Fatalf("second Connect() = %v", err)
	}
	if conn2.Settings[okta.InputClientID] != id {
		t.Errorf("second run made app %s, want %s again", conn2.Settings[okta.InputClientID], id)
	}
	o, _ := f.emu().Org(oktatest.DemoDomain)
	var apps []oktatest.ServiceApp
	for _, a := range o.ServiceApps {
		if a.Label == "tether" {
			apps = append(apps, a)
		}
	}
	if len(apps) != 1 || len(apps[0].PublicKeys) != 2 {
		t.Fatalf("apps labelled tether: %+v", apps)
	}
	want := []string{"okta.apps.manage", "okta.apps.read", "okta.authenticators.read", "okta.groups.read", "okta.logs.read", "okta.networkZones.read",
		"okta.policies.read", "okta.roles.read", "okta.users.manage", "okta.users.read"}
	if got := slices.Sorted(slices.Values(apps[0].Scopes)); !slices.Equal(got, want) {
		t.Errorf("grants %q, want %q", got, want)
	}
	seen := map[string]int{}
	for _, a := range o.Assignments[id] {
		seen[a.Type+a.Role]++
	}
	if len(seen) != 4 {
		t.Errorf("assignments %+v: want Read-Only Administrator and three custom roles", o.Assignments[id])
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("assignment %s made %d times", k, n)
		}
	}
	roles := 0
	for _, cr := range o.CustomRoles {
		if strings.HasPrefix(cr.Label, "tether: ") {
			roles++
		}
	}
	if roles != 3 || len(o.ResourceSets) != 2 {
		t.Errorf("%d custom roles of tether's, %d resource sets", roles, len(o.ResourceSets))
	}
	if slices.ContainsFunc(o.Tokens, func(tk oktatest.APIToken) bool { return tk.Value == superCanary }) {
		t.Error("the bootstrap token was not revoked")
	}
	r, err = verify(t, f, conn2, secret2, allCaps)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range r.checks {
		if c.Status != providers.Granted {
			t.Errorf("after the re-run: %s %+v", c.Label(), c)
		}
	}
	// The old key still signs in too: nothing was removed.
	if _, err := verify(t, f, conn, secret, []string{"collect"}); err != nil {
		t.Errorf("the first run's key no longer works: %v", err)
	}
	all := strings.Join(events, "\n")
	for _, s := range append(events, all) {
		if strings.Contains(s, superCanary) {
			t.Errorf("the bootstrap token leaked: %s", s)
		}
	}
	if !strings.Contains(all, "created the API Services app") || !strings.Contains(all, "left as it is") {
		t.Errorf("events:\n%s", all)
	}
}

func TestCreateCollectOnlyMakesNoCustomRole(t *testing.T) {
	f := start(t, &oktatest.Options{Orgs: []oktatest.Org{superOrg()}}, providers.Env{})
	ask, _ := answers(true, true)
	conn, _, err := create(t, f, ask, []string{"collect"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	o, _ := f.emu().Org(oktatest.DemoDomain)
	as := o.Assignments[conn.Settings[okta.InputClientID]]
	if len(as) != 1 || as[0].Type != "READ_ONLY_ADMIN" || len(o.CustomRoles) != 1 {
		t.Errorf("collect only: assignments %+v, %d custom roles", as, len(o.CustomRoles))
	}
}

func TestCreateRefusals(t *testing.T) {
	t.Run("not a Super Administrator", func(t *testing.T) {
		f := start(t, &oktatest.Options{Orgs: []oktatest.Org{superOrg(func(o *oktatest.Org) {
			o.Assignments[oktatest.DemoSuperID] = []oktatest.Assignment{{ID: "ra1x", Type: "ORG_ADMIN"}}
		})}}, providers.Env{})
		ask, asked := answers(true, true)
		_, _, err := create(t, f, ask, allCaps, nil)
		var si *providers.SignInError
		if !errors.As(err, &si) || !strings.Contains(si.Reason, "not a Super Administrator") || len(*asked) != 0 {
			t.Errorf("Connect() = %v, asked %q", err, *asked)
		}
	})
	t.Run("declined", func(t *testing.T) {
		f := start(t, &oktatest.Options{Orgs: []oktatest.Org{superOrg()}}, providers.Env{})
		ask, _ := answers(false)
		_, _, err := create(t, f, ask, allCaps, nil)
		o, _ := f.emu().Org(oktatest.DemoDomain)
		if !errors.Is(err, flows.ErrDeclined) || len(o.ServiceApps) != 1 {
			t.Errorf("Connect() = %v with %d apps, want declined and nothing made", err, len(o.ServiceApps))
		}
	})
	t.Run("nobody to ask", func(t *testing.T) {
		f := start(t, &oktatest.Options{Orgs: []oktatest.Org{superOrg()}}, providers.Env{})
		_, _, err := create(t, f, nil, allCaps, nil)
		var na *flows.NoAnswerError
		if !errors.As(err, &na) || strings.Contains(err.Error(), superCanary) {
			t.Errorf("Connect() = %v, want a question nobody could answer", err)
		}
	})
}

// TestCreateFailingHalfwayCleansUp: a re-run that fails after it added
// its new key to the app takes the key off again, and still offers to
// revoke the bootstrap token, which a failure must not leave standing
// unasked.
func TestCreateFailingHalfwayCleansUp(t *testing.T) {
	f := start(t, &oktatest.Options{Orgs: []oktatest.Org{superOrg()}}, providers.Env{})
	ask, _ := answers(true, false) // create; keep the token for the re-run
	conn, _, err := create(t, f, ask, allCaps, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := conn.Settings[okta.InputClientID]
	// A resource set of tether's name that tether cannot use: creating
	// one of the same name is refused, so the roles step fails.
	_ = f.emu().Update(oktatest.DemoDomain, func(o *oktatest.Org) {
		for i := range o.ResourceSets {
			if o.ResourceSets[i].Label == "tether: all users" {
				o.ResourceSets[i].ID = "x"
			}
		}
		for i := range o.CustomRoles {
			if strings.HasPrefix(o.CustomRoles[i].Label, "tether: ") {
				o.CustomRoles[i].Label += " (old)"
			}
		}
		o.Assignments[id] = slices.DeleteFunc(o.Assignments[id], func(a oktatest.Assignment) bool { return a.Type == "CUSTOM" })
	})
	ask, asked := answers(true, true) // create; revoke
	var events []string
	_, _, err = create(t, f, ask, allCaps, func(e flows.Event) { events = append(events, fmtEvent(e)) })
	if err == nil || !strings.Contains(err.Error(), "resource-sets") {
		t.Fatalf("Connect() = %v, want the refused resource set", err)
	}
	all := strings.Join(events, "\n")
	if len(*asked) != 2 || !strings.Contains((*asked)[1], "Revoke") {
		t.Errorf("asked %q: want the revoke offered after the failure", *asked)
	}
	o, _ := f.emu().Org(oktatest.DemoDomain)
	if slices.ContainsFunc(o.Tokens, func(tk oktatest.APIToken) bool { return tk.Value == superCanary }) {
		t.Error("the bootstrap token was not revoked after the failure")
	}
	i := slices.IndexFunc(o.ServiceApps, func(a oktatest.ServiceApp) bool { return a.ClientID == id })
	if i < 0 || len(o.ServiceApps[i].PublicKeys) != 1 || len(o.ServiceApps[i].Inactive) != 0 {
		t.Errorf("app keys after the failure: %+v; want the first run's key alone", o.ServiceApps[i])
	}
	if !strings.Contains(all, "took the new key off the app") || strings.Contains(all, superCanary) {
		t.Errorf("events:\n%s", all)
	}
}

// TestCreateTopsUpItsCustomRoles: a custom role of tether's that lacks a
// permission (an earlier version's, or narrowed by hand) gets it back on
// a re-run; a permission added by hand stays.
func TestCreateTopsUpItsCustomRoles(t *testing.T) {
	f := start(t, &oktatest.Options{Orgs: []oktatest.Org{superOrg()}}, providers.Env{})
	ask, _ := answers(true, false)
	conn, _, err := create(t, f, ask, allCaps, nil)
	if err != nil {
		t.Fatal(err)
	}
	var label, removed string
	_ = f.emu().Update(oktatest.DemoDomain, func(o *oktatest.Org) {
		for i := range o.CustomRoles {
			if cr := &o.CustomRoles[i]; strings.HasPrefix(cr.Label, "tether: ") && label == "" {
				label, removed = cr.Label, cr.Permissions[0]
				cr.Permissions = append(cr.Permissions[1:], "okta.groups.manage")
			}
		}
	})
	if label == "" {
		t.Fatal("the first run made no custom role")
	}
	ask, _ = answers(true, true)
	var events []string
	conn2, secret2, err := create(t, f, ask, allCaps, func(e flows.Event) { events = append(events, fmtEvent(e)) })
	if err != nil {
		t.Fatalf("re-run: %v", err)
	}
	o, _ := f.emu().Org(oktatest.DemoDomain)
	i := slices.IndexFunc(o.CustomRoles, func(c oktatest.CustomRole) bool { return c.Label == label })
	if i < 0 || !slices.Contains(o.CustomRoles[i].Permissions, removed) || !slices.Contains(o.CustomRoles[i].Permissions, "okta.groups.manage") {
		t.Errorf("role %q after the re-run: %+v; want %s back and the hand-added one kept", label, o.CustomRoles, removed)
	}
	if all := strings.Join(events, "\n"); !strings.Contains(all, "added "+removed) {
		t.Errorf("events:\n%s", all)
	}
	r, err := verify(t, f, conn2, secret2, allCaps)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range r.checks {
		if c.Status != providers.Granted {
			t.Errorf("after the top-up: %s %+v", c.Label(), c)
		}
	}
	_ = conn
}
