package sandbox_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/flows/oauthtest"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/providers/sandbox"
)

// idpEmulator is a standards-following identity provider on the kit's
// strict server, answering for idp.acme.test.
type idpEmulator struct{ *oauthtest.Server }

func (idpEmulator) Hosts() []string                           { return []string{"idp.acme.test"} }
func (idpEmulator) Demo() (string, map[string]string)         { return "device", map[string]string{} }
func (idpEmulator) SetGranted(catalog.Permission, bool) error { return nil }
func (e idpEmulator) ApproveDevice(code string) error         { return e.Server.ApproveDevice(code) }
func (e idpEmulator) DenyDevice(code string) error            { return e.Server.DenyDevice(code) }
func (idpEmulator) Example(string) string                     { return "" }

// signInProvider signs in with the device flow or the browser, as the
// method says; its verification is beside the point here.
type signInProvider struct{ env providers.Env }

func (signInProvider) ID() string { return "okta" } // any catalog id
func (signInProvider) Methods() []providers.Method {
	return []providers.Method{
		{ID: "device", Name: "Device code", Kind: providers.KindDeviceFlow},
		{ID: "browser", Name: "Browser", Kind: providers.KindBrowserConsent},
	}
}
func (signInProvider) Steps(providers.Method, providers.Inputs) []providers.Step { return nil }
func (signInProvider) Describe(c providers.Connection) providers.Description {
	return providers.Description{Tenant: "idp.acme.test"}
}
func (p signInProvider) Connect(ctx context.Context, m providers.Method, _ providers.Inputs, io flows.Interaction) (providers.Connection, flows.Secret, error) {
	c := flows.Client{ClientID: "cli", Scopes: []string{"openid"}, HTTPClient: p.env.HTTP, Endpoints: flows.Endpoints{
		AuthorizationURL: "https://idp.acme.test/authorize", TokenURL: "https://idp.acme.test/token",
		DeviceAuthorizationURL: "https://idp.acme.test/device_authorization"}}
	var tok interface{ Valid() bool }
	var err error
	if m.ID == "device" {
		tok, err = c.DeviceSignIn(ctx, io)
	} else {
		tok, err = c.BrowserSignIn(ctx, io)
	}
	if err != nil {
		return providers.Connection{}, flows.Secret{}, err
	}
	if !tok.Valid() {
		return providers.Connection{}, flows.Secret{}, errors.New("no valid token")
	}
	return providers.Connection{Tenant: "idp.acme.test"}, flows.NewSecret(map[string]string{"token": "x"}), nil
}
func (signInProvider) Verify(context.Context, providers.Connection, providers.Credential, providers.Reporter) error {
	return nil
}

// TestDemoAdminAnswersSignIns: in the sandbox nobody needs to open a
// browser: the demo admin approves a device code and a browser consent,
// and refuses both under --sandbox-deny PROVIDER:consent.
func TestDemoAdminAnswersSignIns(t *testing.T) {
	cat, _ := catalog.Default()
	for _, tt := range []struct {
		method string
		deny   bool
	}{{"device", false}, {"browser", false}, {"device", true}, {"browser", true}} {
		t.Run(tt.method, func(t *testing.T) {
			idp := idpEmulator{oauthtest.New(oauthtest.Options{Interval: time.Second,
				Clients: []oauthtest.Client{{ID: "cli", RedirectURIs: []string{"http://127.0.0.1/"}}}})}
			opts := sandbox.Options{Emulators: []sandbox.Entry{{Provider: "okta", New: func(sandbox.Config) (sandbox.Emulator, error) { return idp, nil }}}}
			if tt.deny {
				opts.Deny = map[string][]string{"okta": {sandbox.Consent}}
			}
			sb, err := sandbox.Start(cat, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer sb.Close()
			m := &providers.Manager{Catalog: cat, Providers: []providers.Provider{signInProvider{env: providers.Env{HTTP: sb.HTTPClient()}}},
				Config: providers.Config{Dir: t.TempDir()}, StoreKind: flows.StoreFile,
				Store: func(flows.StoreKind) (flows.Store, error) { return &memStore{items: map[flows.Key]flows.Secret{}}, nil },
				Interact: func(ctx context.Context, p string, io flows.Interaction) flows.Interaction {
					return sb.Admin(p, 0).Interact(ctx, io)
				}}
			plan, err := m.Plan(providers.SetupRequest{Provider: "okta", Name: "default", Method: tt.method})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, err = m.Setup(ctx, plan, flows.Interaction{}, discard{})
			switch {
			case tt.deny && (err == nil || !strings.Contains(strings.ToLower(err.Error()), "denied")):
				t.Errorf("Setup with the admin refusing = %v, want a refusal", err)
			case !tt.deny && err != nil:
				t.Errorf("Setup with the demo admin = %v", err)
			}
		})
	}
}
