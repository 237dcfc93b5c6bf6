package main

import (
	"context"
	"strings"
	"testing"

	"github.com/tetherdev/tether/ui/plain"
)

// TestPlainSetupAsksForTheLinksFirst: on a real tenant, the prompts ask
// for the tenant domain before the console steps are shown, so that the
// steps link into the tenant instead of the console's front page.
func TestPlainSetupAsksForTheLinksFirst(t *testing.T) {
	isolate(t)
	ios, in, _, errOut := plain.Test()
	ios.SetTTY(true, false, true) // a person types; the result is piped
	in.WriteString("acme.us.auth0.com\n")
	code := runApp(context.Background(), &app{ios: ios}, []string{"setup", "auth0"})
	stderr := errOut.String()
	if code == 0 {
		t.Fatalf("setup with no client id succeeded:\n%s", stderr)
	}
	domain, steps := strings.Index(stderr, "Tenant domain"), strings.Index(stderr, "Create a Machine to Machine application")
	if domain < 0 || steps < 0 || domain > steps {
		t.Errorf("the domain is not asked before the steps:\n%s", stderr)
	}
	if !strings.Contains(stderr, "https://manage.auth0.com/dashboard/us/acme/applications") {
		t.Errorf("the steps do not link into the tenant:\n%s", stderr)
	}
}
