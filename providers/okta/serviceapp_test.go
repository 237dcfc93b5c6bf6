package okta_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/providers/okta"
	"github.com/tetherdev/tether/providers/okta/oktatest"
)

// appKey is the service app's key, made once (RSA generation is slow):
// its PEM is the canary of this file.
var appKey = sync.OnceValues(func() (string, error) {
	k, err := flows.GenerateKey()
	if err != nil {
		return "", err
	}
	return flows.PrivateKeyPEM(k)
})

func appOrg(t *testing.T, mutate ...func(*oktatest.Org)) oktatest.Org {
	t.Helper()
	pemKey, err := appKey()
	if err != nil {
		t.Fatal(err)
	}
	k, _ := flows.ParsePrivateKeyPEM(pemKey)
	return demoOrg(append([]func(*oktatest.Org){func(o *oktatest.Org) { o.ServiceApps[0].PublicKeys = append(o.ServiceApps[0].PublicKeys, k.Public()) }}, mutate...)...)
}

func appInputs(t *testing.T) providers.Inputs {
	pemKey, _ := appKey()
	return providers.Inputs{Values: map[string]string{okta.InputOrg: oktatest.DemoDomain, okta.InputClientID: oktatest.DemoClientID},
		Secret: flows.NewSecret(map[string]string{okta.InputPrivateKey: pemKey})}
}

func TestServiceApp(t *testing.T) {
	withoutScope := func(scope string) func(*oktatest.Org) {
		return func(o *oktatest.Org) {
			o.ServiceApps[0].Scopes = slices.DeleteFunc(o.ServiceApps[0].Scopes, func(s string) bool { return s == scope })
		}
	}
	tests := []struct {
		name    string
		opts    oktatest.Options
		caps    []string
		want    map[string]providers.Status
		wantFix map[string]string
	}{
		{"everything granted", oktatest.Options{Orgs: []oktatest.Org{appOrg(t)}}, allCaps,
			map[string]providers.Status{"/api/v1/* · users": providers.Granted, "/api/v1/* · user factors": providers.Granted,
				"okta.users.lifecycle.suspend": providers.Granted}, nil},
		{"scopes listed but no admin role", oktatest.Options{Orgs: []oktatest.Org{appOrg(t, func(o *oktatest.Org) {
			delete(o.Assignments, oktatest.DemoClientID)
		})}}, allCaps,
			map[string]providers.Status{"/api/v1/* · users": providers.Missing, "/api/v1/* · system log": providers.Missing,
				"okta.users.lifecycle.clearSessions": providers.Unknown},
			map[string]string{"/api/v1/* · users": "Read-Only Administrator role"}},
		{"a scope not granted is found and named", oktatest.Options{Orgs: []oktatest.Org{appOrg(t, withoutScope("okta.logs.read"))}}, allCaps,
			map[string]providers.Status{"/api/v1/* · system log": providers.Missing, "/api/v1/* · users": providers.Granted,
				"okta.users.lifecycle.suspend": providers.Granted},
			map[string]string{"/api/v1/* · system log": "grant okta.logs.read"}},
		{"no okta.users.manage: remediation missing", oktatest.Options{Orgs: []oktatest.Org{appOrg(t, withoutScope("okta.users.manage"))}}, allCaps,
			map[string]providers.Status{"okta.users.lifecycle.suspend": providers.Missing, "/api/v1/* · apps": providers.Granted},
			map[string]string{"okta.users.lifecycle.suspend": "grant okta.users.manage"}},
		{"no okta.roles.read: roles unreadable", oktatest.Options{Orgs: []oktatest.Org{appOrg(t, withoutScope("okta.roles.read"))}}, allCaps,
			map[string]providers.Status{"okta.users.lifecycle.suspend": providers.Unknown, "/api/v1/* · apps": providers.Granted},
			map[string]string{"okta.users.lifecycle.suspend": "grant okta.roles.read"}},
		{"no scope at all", oktatest.Options{Orgs: []oktatest.Org{appOrg(t, func(o *oktatest.Org) { o.ServiceApps[0].Scopes = nil })}}, []string{"collect"},
			map[string]providers.Status{"/api/v1/* · users": providers.Missing, "/api/v1/* · authenticators": providers.Missing},
			map[string]string{"/api/v1/* · users": "grant okta.users.read"}},
		{"DPoP required", oktatest.Options{Orgs: []oktatest.Org{appOrg(t, func(o *oktatest.Org) { o.ServiceApps[0].DPoP = true })}}, allCaps,
			map[string]providers.Status{"/api/v1/* · users": providers.Granted, "/api/v1/* · user factors": providers.Granted,
				"okta.users.lifecycle.suspend": providers.Granted}, nil},
		{"DPoP with the nonce handshake", oktatest.Options{DPoPNonce: true, Orgs: []oktatest.Org{appOrg(t, func(o *oktatest.Org) { o.ServiceApps[0].DPoP = true })}}, allCaps,
			map[string]providers.Status{"/api/v1/* · users": providers.Granted, "okta.users.lifecycle.unsuspend": providers.Granted}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := start(t, &tt.opts, providers.Env{})
			conn, secret, err := connect(t, f, method(t, f.p, okta.MethodServiceApp), appInputs(t), nil)
			if err != nil {
				t.Fatalf("Connect() = %v", err)
			}
			r, err := verify(t, f, conn, secret, tt.caps)
			if err != nil {
				t.Fatalf("Verify() = %v", err)
			}
			if want := len(labels(f, tt.caps)); len(r.checks) != want {
				t.Errorf("%d checks, want %d", len(r.checks), want)
			}
			for l, want := range tt.want {
				c := r.find(l)
				if c.Status != want || (want != providers.Granted && (c.Fix == "" || c.FixURL == "")) || !strings.Contains(c.Fix, tt.wantFix[l]) {
					t.Errorf("%s: %+v, want %s with a fix %q", l, c, want, tt.wantFix[l])
				}
			}
		})
	}
}

func TestServiceAppRefusals(t *testing.T) {
	other, _ := flows.GenerateKey()
	otherPEM, _ := flows.PrivateKeyPEM(other)
	tests := []struct {
		name    string
		mutate  func(*oktatest.Org)
		in      func(providers.Inputs) providers.Inputs
		wantErr string
	}{
		{"key not registered", nil, func(in providers.Inputs) providers.Inputs {
			in.Secret = flows.NewSecret(map[string]string{okta.InputPrivateKey: otherPEM})
			return in
		}, "The client_assertion signature is invalid."},
		{"unknown client", nil, func(in providers.Inputs) providers.Inputs {
			in.Values[okta.InputClientID] = "0oa1someoneelse0001"
			return in
		}, "Client authentication failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var muts []func(*oktatest.Org)
			if tt.mutate != nil {
				muts = append(muts, tt.mutate)
			}
			f := start(t, &oktatest.Options{Orgs: []oktatest.Org{appOrg(t, muts...)}}, providers.Env{})
			_, _, err := connect(t, f, method(t, f.p, okta.MethodServiceApp), tt.in(appInputs(t)), nil)
			var si *providers.SignInError
			if !errors.As(err, &si) || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(si.Fix, "Public Keys") {
				t.Fatalf("Connect() = %v, want a sign-in error with %q", err, tt.wantErr)
			}
		})
	}
}

// TestGeneratedKeyShowsTheJWK: the generated pair shows the public JWK
// (the one the copy key copies) and the PEM, and its private half is a
// valid input whose kid tether signs with.
func TestGeneratedKeyShowsTheJWK(t *testing.T) {
	f := start(t, &oktatest.Options{Orgs: []oktatest.Org{demoOrg()}}, providers.Env{})
	m := method(t, f.p, okta.MethodServiceApp)
	in, _ := m.Input(okta.InputPrivateKey)
	g, err := in.Generate()
	if err != nil {
		t.Fatal(err)
	}
	a, ok := g.CopyArtifact()
	var jwk struct{ Kty, Kid, Use, Alg, N, E, D string }
	if !ok || json.Unmarshal([]byte(a.Text), &jwk) != nil || jwk.Kty != "RSA" || jwk.Kid == "" || jwk.Use != "sig" || jwk.N == "" || jwk.D != "" {
		t.Fatalf("copied artifact %+v: want the public JWK", a)
	}
	if in.Validate(g.Value) != nil || len(g.Show) != 2 || !strings.Contains(g.Show[1].Text, "PUBLIC KEY") {
		t.Errorf("generated %+v", g.Show)
	}
	// Registered as that JWK, the key signs in.
	key, _ := flows.ParsePrivateKeyPEM(g.Value)
	if err := f.emu().Update(oktatest.DemoDomain, func(o *oktatest.Org) { o.ServiceApps[0].PublicKeys = append(o.ServiceApps[0].PublicKeys, key.Public()) }); err != nil {
		t.Fatal(err)
	}
	in2 := appInputs(t)
	in2.Secret = flows.NewSecret(map[string]string{okta.InputPrivateKey: g.Value})
	if _, _, err := connect(t, f, m, in2, nil); err != nil {
		t.Fatalf("Connect() with the generated key = %v", err)
	}
}

// TestServiceAppCanary: the private key is in no output, error or
// setting.
func TestServiceAppCanary(t *testing.T) {
	pemKey, _ := appKey()
	body := strings.Split(pemKey, "\n")[3] // a line of the key's base64
	f := start(t, &oktatest.Options{Orgs: []oktatest.Org{appOrg(t, func(o *oktatest.Org) { o.ServiceApps[0].DPoP = true })}}, providers.Env{})
	var seen []string
	conn, secret, err := connect(t, f, method(t, f.p, okta.MethodServiceApp), appInputs(t), func(e flows.Event) { seen = append(seen, fmtEvent(e)) })
	if err != nil {
		t.Fatal(err)
	}
	r, err := verify(t, f, conn, secret, allCaps)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range r.checks {
		seen = append(seen, c.Evidence, c.Fix)
	}
	for k, v := range conn.Settings {
		seen = append(seen, k+"="+v)
	}
	seen = append(seen, r.warnings...)
	for _, s := range seen {
		if strings.Contains(s, body) || strings.Contains(s, "PRIVATE KEY") {
			t.Errorf("the private key leaked: %s", s)
		}
	}
	if conn.Settings["dpop"] != "required" {
		t.Errorf("settings %v: want the DPoP requirement kept", conn.Settings)
	}
}

func TestServiceAppSuperAdminWarned(t *testing.T) {
	f := start(t, &oktatest.Options{Orgs: []oktatest.Org{appOrg(t, func(o *oktatest.Org) {
		o.Assignments[oktatest.DemoClientID] = []oktatest.Assignment{{ID: "ra1x", Type: "SUPER_ADMIN"}}
	})}}, providers.Env{})
	conn, secret, err := connect(t, f, method(t, f.p, okta.MethodServiceApp), appInputs(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := verify(t, f, conn, secret, allCaps)
	if err != nil || !strings.Contains(strings.Join(r.warnings, "\n"), "holds the Super Administrator role") {
		t.Errorf("Verify() = %v, warnings %q", err, r.warnings)
	}
}
