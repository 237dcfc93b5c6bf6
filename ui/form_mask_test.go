package ui

import (
	"strings"
	"testing"

	"github.com/tetherdev/tether/providers"
)

// TestSecretMaskHidesTheLength: a typed secret is drawn as the same mask
// whatever its length, and none of it appears.
func TestSecretMaskHidesTheLength(t *testing.T) {
	render := func(secret string) string {
		c := &Common{Width: 80, Height: 24, Styles: NewStyles(true), Keys: DefaultKeyMap()}
		v := secret
		f := newForm(c, []providers.Input{{Key: "client_secret", Label: "Client secret", Secret: true}},
			map[string]*string{"client_secret": &v}, false)
		out, _ := f.view()
		return out
	}
	short, long := render("CANARY-0123"), render("CANARY-"+strings.Repeat("x", 57))
	if short != long {
		t.Errorf("the mask differs with the secret's length:\n%s\n---\n%s", short, long)
	}
	if strings.Contains(short, "CANARY") || !strings.Contains(short, secretMask) {
		t.Errorf("secret field view = %q", short)
	}
}
