package ui

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/charmbracelet/x/ansi"
	"testing"
	"time"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/providers/auth0/auth0test"
	"github.com/tetherdev/tether/providers/entra"
	"github.com/tetherdev/tether/providers/okta"
)

// TestSetupAuth0 walks the whole wizard against the sandbox, with
// read:logs withheld, fixes it in the sandbox tenant and re-checks,
// keeping a golden of every screen.
func TestSetupAuth0(t *testing.T) {
	deps, _ := testDeps(t, "auth0:read:logs")
	d := newDriver(t, deps, Options{})
	d.wantScreen("Auth0", "not connected", "Microsoft Entra ID", "not supported yet", "sandbox ◆")
	t.Run("home", func(t *testing.T) { d.t = t; d.golden() })
	d.t = t

	d.key("enter")
	d.wantScreen("Auth0 · step 1 of 5 · what will be granted", "read:user_logs", "⚑ read:user_logs is not an Auth0 scope",
		"tether will request exactly: read:users, read:logs, read:logs_users,")
	t.Run("grant", func(t *testing.T) { d.t = t; d.golden() })
	d.t = t

	d.key("enter")
	d.wantScreen("step 2 of 5 · how to connect", "Client secret", "Private key JWT")
	t.Run("method", func(t *testing.T) { d.t = t; d.golden() })
	d.t = t

	d.key("enter")
	d.wantScreen("step 3 of 5 · in the console", "1. Create a Machine to Machine application",
		"https://manage.auth0.com/dashboard/us/")
	t.Run("console", func(t *testing.T) { d.t = t; d.golden() })
	d.t = t

	d.key("enter")
	d.wantScreen("step 4 of 5 · credentials", "tether-demo.us.auth0.com", "TthrDemoM2MClient0000000000000001")
	if strings.Contains(d.view(), "sandbox-only-demo-secret") {
		t.Fatal("the secret is shown in the clear")
	}
	t.Run("inputs", func(t *testing.T) { d.t = t; d.golden() })
	d.t = t

	// Back keeps what was typed; forward again.
	d.key("esc")
	d.wantScreen("step 3 of 5")
	d.key("enter")
	d.wantScreen("step 4 of 5", "tether-demo.us.auth0.com")

	d.key("enter", "enter", "enter", "enter")
	d.wantScreen("step 5 of 5 · verified", "✓ read:users", "✗ read:logs", "missing", "fix: tick read:logs",
		"3 granted · 1 missing", "checked at 12:00:00")
	t.Run("checklist", func(t *testing.T) { d.t = t; d.golden() })
	d.t = t

	d.key("e")
	d.wantScreen("token response scope grants read:users; GET")
	d.key("e")

	d.key("f")
	d.wantScreen("granted in the sandbox tenant; press r to re-check")
	d.key("r")
	d.wantScreen("✓ read:logs", "4 granted · 0 missing")

	d.key("enter")
	d.wantScreen("Auth0 · saved", "credential", "re-verify   tether --sandbox verify auth0/default")
	t.Run("saved", func(t *testing.T) { d.t = t; d.golden() })
	d.t = t

	d.key("enter")
	d.wantScreen("Auth0", "default", "✓ 4/4 verified just now", "tether-demo.us.auth0.com · client-secret")
	t.Run("home-connected", func(t *testing.T) { d.t = t; d.golden() })
	d.t = t

	f, _ := deps.Manager.Config.Load()
	if len(f.Drafts) != 0 {
		t.Errorf("a finished setup left its draft: %+v", f.Drafts)
	}
}

// TestInvalidInputIsShownInline: a bad domain is refused in the form, with
// what a good one looks like, before any network call.
func TestInvalidInputIsShownInline(t *testing.T) {
	deps, sb := testDeps(t)
	d := newDriver(t, deps, Options{Setup: "auth0"})
	d.key("enter", "enter", "enter")
	d.wantScreen("step 4 of 5")
	d.key("ctrl+u")
	d.paste("acme.example.com")
	d.key("enter")
	d.wantScreen("step 4 of 5", "is not an Auth0 tenant domain", "like acme.us.auth0.com")
	e, _ := sb.Emulator("auth0")
	if e.Emulator.(*auth0test.Emulator).Hits("/oauth/token") != 0 {
		t.Error("a request went out for invalid input")
	}
}

// TestResumeAfterInterruption: quitting mid-setup keeps the step and the
// non-secret inputs; starting again resumes there.
func TestResumeAfterInterruption(t *testing.T) {
	deps, _ := testDeps(t)
	d := newDriver(t, deps, Options{})
	d.key("enter", "enter", "down", "enter", "enter")
	d.wantScreen("step 4 of 5")
	d.send(keyMsg("ctrl+c"))
	d.eventually("the draft reaches the inputs step", func() bool {
		dr, ok := draftOf(t, deps, "auth0", "default")
		return ok && dr.Step == "inputs"
	})
	dr, _ := draftOf(t, deps, "auth0", "default")
	if dr.Step != "inputs" || dr.Method != "private-key-jwt" || dr.Inputs["domain"] != "tether-demo.us.auth0.com" {
		t.Errorf("draft = %+v", dr)
	}
	if _, ok := dr.Inputs["private_key"]; ok {
		t.Error("the draft holds a secret")
	}

	d = newDriver(t, deps, Options{})
	d.wantScreen("… setup in progress (step 4 of 5: credentials)")
	d.key("enter")
	d.wantScreen("step 4 of 5 · credentials", "Private key (PEM)", "tether-demo.us.auth0.com")
}

func TestForgetAsksFirst(t *testing.T) {
	deps, _ := testDeps(t)
	d := connected(t, deps)
	d.key("d")
	d.wantScreen("Forget auth0/default (tether-demo.us.auth0.com) and delete its credential? y/n")
	d.key("n")
	d.wantScreen("kept auth0/default")
	d.key("d", "y")
	d.wantScreen("forgot auth0/default", "not connected")
}

func TestVerifyAllIsLive(t *testing.T) {
	deps, _ := testDeps(t)
	d := connected(t, deps)
	d.key("r")
	d.wantScreen("verified", "auth0/default  tether-demo.us.auth0.com", "✓ read:guardian_factors",
		"4 granted · 0 missing · 0 excess · 0 unknown · 0 errors · checked at 12:00:00")
	t.Run("verify-all", func(t *testing.T) { d.t = t; d.golden() })
}

// The sign-in panels are driven by flows events, whatever the provider.
func TestSignInPanels(t *testing.T) {
	deps, _ := testDeps(t)
	c := &Common{Width: 80, Height: 24, Styles: NewStyles(true), Keys: DefaultKeyMap(), Deps: deps}
	tests := []struct {
		name   string
		events []flows.Event
		keys   []string
		want   []string
	}{
		{"device code", []flows.Event{
			flows.DeviceCode{UserCode: "F7K2-QX9P", VerificationURI: "https://microsoft.com/devicelogin",
				VerificationURIComplete: "https://microsoft.com/devicelogin?code=F7K2-QX9P", ExpiresAt: fixedNow.Add(14*time.Minute + 32*time.Second), Interval: 5 * time.Second},
			flows.Waiting{Remaining: 14 * time.Minute, Interval: 10 * time.Second},
		}, []string{"c", "g"}, []string{"On any device, open  https://microsoft.com/devicelogin", "F7K2-QX9P", "expires in 14:32",
			"checking every 10s", "▀"}},
		{"browser opened", []flows.Event{flows.BrowserOpened{URL: "https://login.example/authorize?x=1"},
			flows.AwaitingRedirect{URL: "https://login.example/authorize?x=1", RedirectURI: "http://127.0.0.1:4711/callback"}},
			nil, []string{"Opened your browser on the consent page", "https://login.example/authorize?x=1"}},
		{"paste back", []flows.Event{flows.BrowserUnavailable{URL: "https://login.example/authorize?x=1", Reason: "no browser over SSH"},
			flows.AwaitingRedirect{URL: "https://login.example/authorize?x=1", RedirectURI: "http://127.0.0.1:4711/callback", Paste: true}},
			nil, []string{"Open this link in a browser (no browser over SSH)", "paste it here", "redirect URL ›"}},
		{"denied", []flows.Event{flows.Denied{Reason: "the admin declined"}}, nil, []string{"sign-in denied: the admin declined"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSignin(c)
			for _, e := range tt.events {
				s.handle(e)
			}
			for _, k := range tt.keys {
				s.update(keyMsg(k))
			}
			v := stripView(s.view())
			for _, w := range tt.want {
				if !strings.Contains(v, w) {
					t.Errorf("panel lacks %q:\n%s", w, v)
				}
			}
		})
	}
	// A pasted URL reaches the flow.
	s := newSignin(c)
	s.handle(flows.AwaitingRedirect{Paste: true, RedirectURI: "http://127.0.0.1:1/callback"})
	for _, r := range "http://127.0.0.1:1/callback?code=abc&state=xyz" {
		s.update(keyMsg(string(r)))
	}
	s.update(keyMsg("enter"))
	select {
	case got := <-s.pasteCh:
		if got != "http://127.0.0.1:1/callback?code=abc&state=xyz" {
			t.Errorf("pasted %q", got)
		}
	default:
		t.Error("the pasted URL did not reach the flow")
	}
}

func TestChecklistStatusesHaveSymbolsAndWords(t *testing.T) {
	deps, _ := testDeps(t)
	c := &Common{Width: 80, Height: 24, Styles: NewStyles(false), Keys: DefaultKeyMap(), Deps: deps}
	cp, _ := deps.Manager.Catalog.Provider("auth0")
	l := newChecklist(c, cp, nil, "")
	l.add(providers.Check{Capability: "collect", Permission: "read:users", Status: providers.Granted, Evidence: "ok"})
	l.add(providers.Check{Capability: "collect", Permission: "read:logs", Status: providers.Missing, Evidence: "403", Fix: "tick it", FixURL: "https://fix.example"})
	l.add(providers.Check{Capability: "collect", Permission: "read:user_logs", Status: providers.Unknown, Evidence: "cannot tell without side effects"})
	l.add(providers.Check{Permission: "read:clients", Status: providers.Excess, Evidence: "not needed"})
	v := stripView(l.view(false))
	for _, w := range []string{"✓ read:users", "granted", "✗ read:logs", "missing", "fix: tick it", "https://fix.example",
		"? read:user_logs", "unknown", "cannot tell without side effects", "read:guardian_factors  checking…", "⚠ read:clients", "excess", "beyond the enabled capabilities"} {
		if !strings.Contains(v, w) {
			t.Errorf("checklist lacks %q:\n%s", w, v)
		}
	}
}

func stripView(s string) string { return ansi.Strip(s) }

// TestGeneratedKeyPair: for private_key_jwt, tether makes the key pair,
// shows only its public half for registration, copies it on request, and
// never shows or asks for the private key.
func TestGeneratedKeyPair(t *testing.T) {
	deps, _ := testDeps(t)
	deps.Defaults = nil // a real tenant: nothing prefilled
	d := newDriver(t, deps, Options{Setup: "auth0"})
	d.key("enter", "down", "enter")
	// The links need the tenant domain: it is asked first, and the links
	// follow it as it is typed.
	d.wantScreen("step 3 of 5 · in the console", "Tenant domain (optional)", "https://manage.auth0.com/\n")
	d.paste("acme.us.auth0.com")
	d.wantScreen("https://manage.auth0.com/dashboard/us/acme/applications")
	d.key("enter")
	d.wantScreen("Register your public key")
	d.key("pgdown", "pgdown")
	d.wantScreen("-----END PUBLIC KEY-----", "c: copy the public key", "its private key is kept in an age-encrypted file")
	d.key("c")
	d.wantScreen("sent the public key to your clipboard (OSC 52)")
	d.key("enter")
	d.wantScreen("step 4 of 5 · credentials", "Tenant domain", "Client ID", "Private key (PEM): generated by tether, kept in an age-encrypted file, never shown", "acme.us.auth0.com")
	v := d.view()
	if strings.Contains(v, "PRIVATE KEY") || strings.Contains(v, "Private key (PEM)\n") {
		t.Errorf("the private key is asked for or shown:\n%s", v)
	}
	if g := d.m.setup.generated["private_key"]; !strings.Contains(*d.m.setup.values["private_key"], "PRIVATE KEY") || len(g.Show) == 0 {
		t.Error("the generated private key is not kept for the sign-in")
	}
}

// TestSetupAuth0PrivateKeyJWT is the second full setup: the private key
// JWT method against the sandbox, whose demo key is registered there.
func TestSetupAuth0PrivateKeyJWT(t *testing.T) {
	deps, _ := testDeps(t)
	d := newDriver(t, deps, Options{Setup: "auth0", Name: "pk"})
	d.key("enter", "down", "enter", "enter")
	d.wantScreen("Auth0 (pk) · step 4 of 5 · credentials", "Private key (PEM): given, never shown", "Signing algorithm")
	t.Run("inputs", func(t *testing.T) { d.t = t; d.golden() })
	d.t = t
	d.key("enter", "enter", "enter", "enter")
	d.wantScreen("4 granted · 0 missing")
	d.key("enter")
	d.wantScreen("Auth0 (pk) · saved", "tether --sandbox verify auth0/pk")
	t.Run("saved", func(t *testing.T) { d.t = t; d.golden() })
	d.t = t
	conns, _ := deps.Manager.Connections()
	if len(conns) != 1 || conns[0].Method != "private-key-jwt" {
		t.Errorf("connections = %+v", conns)
	}
}

// TestStorageSentencesNameTheStoreInUse: with the encrypted file store,
// nothing says the secret goes to the keyring.
func TestStorageSentencesNameTheStoreInUse(t *testing.T) {
	deps, _ := testDeps(t) // StoreKind file
	deps.Defaults = nil
	d := newDriver(t, deps, Options{Setup: "auth0"})
	d.key("enter", "down", "enter", "enter") // no domain yet: the links stay generic
	d.wantScreen("Register your public key")
	d.key("pgdown")
	d.wantScreen("its private key is kept in an age-encrypted file")
	deps2, _ := testDeps(t) // a config dir of its own: no draft to resume
	deps2.Defaults = nil
	d2 := newDriver(t, deps2, Options{Setup: "auth0"})
	d2.key("enter", "enter", "enter")
	d2.wantScreen("Copy the Domain, Client ID and Client Secret")
	for _, v := range []string{d.view(), d2.view()} {
		if strings.Contains(strings.ToLower(v), "keyring") {
			t.Errorf("with the file store, a screen mentions the keyring:\n%s", v)
		}
	}
}

// TestCopyKeyCopiesTheMarkedArtifact: where the console is shown a key
// in two forms (Okta's JWK and its PEM), the copy key copies the one
// the method marks, the JWK, wherever it is in the list: here the PEM is
// shown first.
func TestCopyKeyCopiesTheMarkedArtifact(t *testing.T) {
	deps, sb := testDeps(t)
	deps.Defaults = nil
	deps.Manager.Providers = append(deps.Manager.Providers, pemFirst{registered(t, deps, sb, okta.ID).(*okta.Provider)})
	d := newDriver(t, deps, Options{Setup: "okta"})
	d.wantScreen("Okta · step 1 of")
	d.key("enter")
	d.wantScreen("how to connect")
	d.key("down", "enter")
	d.wantScreen("Okta · step 3 of 5 · in the console", "Okta org URL (optional)")
	d.paste("acme.okta.com")
	d.key("enter")
	d.wantScreen("c copy the public key")
	d.key("c")
	if len(d.copied) != 1 {
		t.Fatalf("copied %q, want one copy", d.copied)
	}
	var jwk struct{ Kty, Kid, N, E, D string }
	if err := json.Unmarshal([]byte(d.copied[0]), &jwk); err != nil || jwk.Kty != "RSA" || jwk.Kid == "" || jwk.N == "" || jwk.D != "" {
		t.Errorf("copied %q (%v), want the public JWK, not the PEM shown before it", d.copied[0], err)
	}
}

// pemFirst is Okta with its generated artifacts in reverse order, so that
// the one marked for copying is not the first.
type pemFirst struct{ *okta.Provider }

func (p pemFirst) Methods() []providers.Method {
	ms := p.Provider.Methods()
	for i := range ms {
		for j, in := range ms[i].Inputs {
			if gen := in.Generate; gen != nil {
				ms[i].Inputs[j].Generate = func() (providers.Generated, error) {
					g, err := gen()
					slices.Reverse(g.Show)
					return g, err
				}
			}
		}
	}
	return ms
}

// TestCopyNamesWhatItCopies: where the console wants a certificate
// (Entra's certificate method), the copy key, its help and its note say
// certificate, and the certificate is what is copied.
func TestCopyNamesWhatItCopies(t *testing.T) {
	deps, sb := testDeps(t)
	deps.Manager.Providers = append(deps.Manager.Providers, registered(t, deps, sb, entra.ID))
	deps.Defaults = nil // nothing given: tether makes the certificate
	d := newDriver(t, deps, Options{Setup: "entra"})
	d.wantScreen("Microsoft Entra ID · step 1 of")
	d.key("enter")
	d.wantScreen("how to connect", "Certificate")
	d.key("down", "enter")
	d.wantScreen("in the console", "Application (client) ID (optional)")
	d.key("enter") // not known yet
	d.wantScreen("in the console", "c copy the certificate")
	d.key("c")
	d.wantScreen("sent the certificate to your clipboard")
	if len(d.copied) != 1 || !strings.HasPrefix(d.copied[0], "-----BEGIN CERTIFICATE-----") {
		t.Errorf("copied %q, want the certificate", d.copied)
	}
	if v := d.view(); strings.Contains(v, "public key") {
		t.Errorf("the certificate is called a public key:\n%s", v)
	}
}
