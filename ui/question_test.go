package ui

import (
	"strings"
	"testing"

	"github.com/tetherdev/tether/providers/okta"
)

// TestTUIAsksTheProvidersQuestions: a provider's questions (Okta's create
// asks before it writes to the org, then offers to revoke the temporary
// token) are shown in the wizard and answered with a key; the answer is
// the one the provider acts on.
func TestTUIAsksTheProvidersQuestions(t *testing.T) {
	toQuestion := func(t *testing.T) *driver {
		deps, sb := testDeps(t)
		deps.Manager.Providers = append(deps.Manager.Providers, registered(t, deps, sb, okta.ID))
		d := newDriver(t, deps, Options{Setup: "okta"})
		d.wantScreen("Okta", "what will be granted")
		d.key("enter")
		d.wantScreen("how to connect", "Create the service app for me")
		d.key("down", "down", "enter")
		d.wantScreen("in the console")
		d.key("enter")
		d.wantScreen("credentials")
		d.key("enter", "enter")
		// Asked whole, wrapped at the window's width, before any write.
		d.wantScreen("sign in", `Create the API Services app "tether" in tether-demo.okta.com (or bring an existing one up to date)?`,
			"nothing else is changed", "y yes • n no")
		return d
	}
	t.Run("no", func(t *testing.T) {
		d := toQuestion(t)
		d.key("n")
		// Nothing was created, and the token is still offered for revoking.
		d.wantScreen("(or bring an existing one up to date)? no", "Revoke the temporary Super Administrator token now?")
		d.key("y")
		d.wantScreen("declined")
		if strings.Contains(d.view(), "y yes • n no") {
			t.Errorf("the question is still shown after the answer:\n%s", d.view())
		}
	})
	t.Run("yes, then keep the token", func(t *testing.T) {
		d := toQuestion(t)
		d.key("x") // not an answer
		d.wantScreen("y yes • n no")
		d.key("y")
		d.wantScreen("Revoke the temporary Super Administrator token now?")
		d.key("n")
		// Okta proves READ on /api/v1/* area by area: a row for each.
		d.wantScreen("verified", "8 granted · 0 missing", "/api/v1/* · users", "/api/v1/* · authenticators")
		if strings.Contains(d.view(), "checking…") {
			t.Errorf("a row still says checking… once all is verified:\n%s", d.view())
		}
	})
}
