package providers

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tetherdev/tether/flows"
)

// linkProvider builds its console links from a domain, as Auth0 does.
type linkProvider struct{ fakeProvider }

func (linkProvider) Methods() []Method {
	domain := func(s string) error {
		if !strings.HasSuffix(s, ".example.com") {
			return errors.New("want acme.example.com")
		}
		return nil
	}
	return []Method{{ID: "key", Inputs: []Input{
		{Key: "domain", Label: "Domain", Placeholder: "acme.example.com", Validate: domain},
		{Key: "other", Label: "Other", Placeholder: "x"},                              // no effect on the links
		{Key: "bad_example", Label: "Bad", Placeholder: "nope", Validate: domain},     // its example is invalid
		{Key: "token", Label: "Token", Placeholder: "acme.example.com", Secret: true}, // never asked early
		{Key: "app", Label: "App", Placeholder: "app-1"},                              // links only with the domain
		{Key: "key", Label: "Key", Generate: func() (Generated, error) { return Generated{}, nil }},
	}}}
}

func (linkProvider) Steps(_ Method, in Inputs) []Step {
	base := "https://console.example.com/"
	if d := in.Get("domain"); strings.HasSuffix(d, ".example.com") {
		base = "https://" + d + "/admin/"
		if a := in.Get("app"); a != "" {
			base += "apps/" + a
		}
	}
	return []Step{{Title: "Create an app", URL: base}, {Title: "Copy its id"}}
}

func TestLinkInputs(t *testing.T) {
	p := &linkProvider{}
	got := LinkInputs(p.Methods()[0], StepsOf(p, p.Methods()[0]))
	var keys []string
	for _, in := range got {
		keys = append(keys, in.Key)
	}
	if strings.Join(keys, ",") != "domain" {
		t.Errorf("LinkInputs = %v, want [domain]", keys)
	}
	if got := LinkInputs((&fakeProvider{}).Methods()[0], StepsOf(&fakeProvider{}, (&fakeProvider{}).Methods()[0])); len(got) != 0 {
		t.Errorf("LinkInputs of a provider without links = %v, want none", got)
	}
}

func TestKeptGeneratedSurvivesAndIsDropped(t *testing.T) {
	m, store := newManager(t, &fakeProvider{})
	ctx := context.Background()
	k := flows.Key{Provider: "auth0", Name: "default"}
	const canary = "-----BEGIN PRIVATE KEY-----canary-9f3a-----END PRIVATE KEY-----"
	gen := map[string]Generated{"private_key": {Value: canary, Show: []Artifact{{Label: "Public key", Text: "PUB", Copy: true}}}}

	got, err := m.KeptGenerated(ctx, k)
	if err != nil || len(got) != 0 {
		t.Fatalf("KeptGenerated before anything was kept = %v, %v; want none", got, err)
	}
	where, err := m.KeepGenerated(ctx, k, gen)
	if err != nil || where == "" {
		t.Fatalf("KeepGenerated = %q, %v", where, err)
	}
	if _, ok := store.items[k]; ok {
		t.Error("the generated key was kept under the connection's own key, where a setup replacing it would clash")
	}
	got, err = m.KeptGenerated(ctx, k)
	if err != nil || got["private_key"].Value != canary || len(got["private_key"].Show) != 1 || !got["private_key"].Show[0].Copy {
		t.Fatalf("KeptGenerated = %+v, %v; want what was kept", got, err)
	}
	if other, _ := m.KeptGenerated(ctx, flows.Key{Provider: "auth0", Name: "prod"}); len(other) != 0 {
		t.Error("another connection's setup sees this one's key pair")
	}
	if err := m.DropGenerated(ctx, k); err != nil {
		t.Fatal(err)
	}
	if got, err := m.KeptGenerated(ctx, k); err != nil || len(got) != 0 {
		t.Errorf("after DropGenerated: %v, %v; want none", got, err)
	}
	if err := m.DropGenerated(ctx, k); err != nil {
		t.Errorf("dropping twice: %v", err)
	}
}

func TestKeptGeneratedNamesNoSecret(t *testing.T) {
	m, store := newManager(t, &fakeProvider{})
	ctx := context.Background()
	k := flows.Key{Provider: "auth0", Name: "default"}
	store.items[generatedKey(k)] = flows.NewSecret(map[string]string{"private_key": "canary-not-json-5d1e"})
	_, err := m.KeptGenerated(ctx, k)
	if !errors.Is(err, flows.ErrCorrupt) || strings.Contains(err.Error(), "canary") {
		t.Errorf("KeptGenerated of a damaged entry = %v; want ErrCorrupt without the value", err)
	}
	store.probeErr = errors.New("no keyring")
	if _, err := m.KeepGenerated(ctx, k, nil); err == nil {
		t.Error("KeepGenerated succeeded on a store that cannot be used")
	}
}

// TestForgetDropsTheKeptKeyPair: forgetting a connection while a setup
// over it is in progress removes that setup's draft and the key pair
// kept for it, so no private key outlives what tether knows about.
func TestForgetDropsTheKeptKeyPair(t *testing.T) {
	m, store := newManager(t, &fakeProvider{})
	ctx := context.Background()
	plan, _ := m.Plan(request("acme.us.auth0.com"))
	if _, err := m.Setup(ctx, plan, flows.Interaction{}, nopReporter{}); err != nil {
		t.Fatal(err)
	}
	k := flows.Key{Provider: "auth0", Name: "default"}
	if _, err := m.KeepGenerated(ctx, k, map[string]Generated{"private_key": {Value: "kept-key-canary"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Forget(ctx, k); err != nil {
		t.Fatal(err)
	}
	if _, ok := store.items[generatedKey(k)]; ok {
		t.Error("forget left the key pair kept for a setup of the connection")
	}
	if got, err := m.KeptGenerated(ctx, k); err != nil || len(got) != 0 {
		t.Errorf("KeptGenerated after forget = %v, %v; want none", got, err)
	}
}
