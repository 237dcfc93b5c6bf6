package providers

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tetherdev/tether/flows"
)

const handoverCanary = "CANARY-handover-0123456789abcdef"

// tokenProvider is a fakeProvider that mints tokens and exports fields,
// rotating its secret on every token as a refresh-token provider would.
type tokenProvider struct {
	fakeProvider
	fields   []Field
	tokenErr error
	block    bool // wait for the context to end
	panics   bool
}

func (p *tokenProvider) Token(ctx context.Context, conn Connection, cred Credential) (*oauth2.Token, error) {
	switch {
	case p.panics:
		panic("bug")
	case p.block:
		<-ctx.Done()
		return nil, ctx.Err()
	case p.tokenErr != nil:
		return nil, p.tokenErr
	}
	if err := cred.Save(ctx, cred.Secret.With("refresh", "rotated")); err != nil {
		return nil, err
	}
	tok := &oauth2.Token{AccessToken: "at-" + cred.Secret.Get("secret"), Expiry: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	return tok.WithExtra(map[string]any{"scope": "read:users read:logs"}), nil
}

func (p *tokenProvider) Export(conn Connection, s flows.Secret) ([]Field, error) {
	if p.fields != nil {
		return p.fields, nil
	}
	return []Field{
		{Key: "domain", Label: "Domain", Value: conn.Settings["domain"], Env: "DOMAIN"},
		{Key: "secret", Label: "Secret", Value: s.Get("secret"), Secret: true, Env: "SECRET"},
	}, nil
}

func setUpConnection(t *testing.T, p Provider) (*Manager, *memStore, Connection) {
	t.Helper()
	m, store := newManager(t, &fakeProvider{})
	m.Providers = []Provider{p}
	plan, err := m.Plan(request("acme.us.auth0.com"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Setup(context.Background(), plan, flows.Interaction{}, nopReporter{})
	if err != nil {
		t.Fatal(err)
	}
	return m, store, res.Connection
}

func TestManagerToken(t *testing.T) {
	p := &tokenProvider{}
	m, store, conn := setUpConnection(t, p)
	at, err := m.Token(context.Background(), conn)
	if err != nil {
		t.Fatal(err)
	}
	if at.Token.AccessToken != "at-s3cret" || strings.Join(at.Scopes, " ") != "read:users read:logs" || at.Connection.Key() != conn.Key() {
		t.Errorf("Token = %+v, scopes %v", at.Token, at.Scopes)
	}
	if got := store.items[conn.Key()].Get("refresh"); got != "rotated" {
		t.Errorf("the rotated secret was not stored: refresh = %q", got)
	}
	if !m.HasTokens(conn) {
		t.Error("HasTokens = false for a Tokener")
	}
}

func TestManagerTokenFailures(t *testing.T) {
	signIn := &SignInError{Reason: "refused"}
	tests := []struct {
		name   string
		p      Provider
		prep   func(*memStore, Connection)
		is     error
		as     any
		inText string
	}{
		{name: "no tokens", p: &fakeProvider{}, is: ErrNoToken, inText: "tether export or tether exec"},
		{name: "sign-in refused", p: &tokenProvider{tokenErr: signIn}, as: new(*SignInError)},
		{name: "no access token", p: &emptyTokenProvider{}, inText: "answered without an access token"},
		{name: "panic", p: &tokenProvider{panics: true}, inText: "internal error"},
		{name: "deadline", p: &tokenProvider{block: true}, as: new(*DeadlineError)},
		{name: "credential gone", p: &tokenProvider{}, prep: func(s *memStore, c Connection) { delete(s.items, c.Key()) },
			as: new(*UsageError), inText: "no credential for auth0/default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, store, conn := setUpConnection(t, tt.p)
			m.Timeout = time.Millisecond
			if tt.prep != nil {
				tt.prep(store, conn)
			}
			_, err := m.Token(context.Background(), conn)
			switch {
			case err == nil:
				t.Fatal("Token succeeded")
			case tt.is != nil && !errors.Is(err, tt.is):
				t.Errorf("Token error %v, want %v", err, tt.is)
			case tt.inText != "" && !strings.Contains(err.Error(), tt.inText):
				t.Errorf("Token error %q, want it to say %q", err, tt.inText)
			}
			if tt.as != nil {
				if !errors.As(err, tt.as) {
					t.Errorf("Token error %v (%T), want %T", err, err, tt.as)
				}
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("the error reveals the secret: %v", err)
			}
		})
	}
}

type emptyTokenProvider struct{ fakeProvider }

func (emptyTokenProvider) Token(context.Context, Connection, Credential) (*oauth2.Token, error) {
	return &oauth2.Token{}, nil
}

func TestManagerExport(t *testing.T) {
	m, _, conn := setUpConnection(t, &tokenProvider{})
	h, err := m.Export(context.Background(), conn)
	if err != nil {
		t.Fatal(err)
	}
	if !h.Secret() || len(h.Fields) != 2 || h.Description.Tenant != "acme.us.auth0.com" {
		t.Errorf("Export = %+v", h)
	}
	want := []string{"TETHER_AUTH0_DOMAIN=acme.us.auth0.com", "TETHER_AUTH0_SECRET=s3cret"}
	if got := h.Environ(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Environ() = %q, want %q", got, want)
	}
	if _, err := m.Export(context.Background(), Connection{Provider: "okta", Name: "x"}); !errors.Is(err, ErrNotImplemented) {
		t.Errorf("Export of an unimplemented provider: %v", err)
	}
	m2, _, conn2 := setUpConnection(t, &fakeProvider{})
	if _, err := m2.Export(context.Background(), conn2); !errors.Is(err, ErrNoExport) {
		t.Errorf("Export without an Exporter = %v, want ErrNoExport", err)
	}
}

// TestCheckFields: what a provider exports must fit every format, and a
// bad field is named, never quoted.
func TestCheckFields(t *testing.T) {
	ok := Field{Key: "client_id", Label: "Client ID", Value: "abc", Env: "CLIENT_ID"}
	with := func(f func(*Field)) []Field { c := ok; f(&c); return []Field{c} }
	tests := []struct {
		name   string
		fields []Field
		want   string // "" means valid
	}{
		{"valid", []Field{ok}, ""},
		{"none", nil, "no field"},
		{"key with a dash", with(func(f *Field) { f.Key = "client-id" }), "field key"},
		{"key upper case", with(func(f *Field) { f.Key = "ClientID" }), "field key"},
		{"env lower case", with(func(f *Field) { f.Env = "client_id" }), "variable suffix"},
		{"env with a space", with(func(f *Field) { f.Env = "CLIENT ID" }), "variable suffix"},
		{"empty value", with(func(f *Field) { f.Value = "" }), "is empty"},
		{"NUL in the value", with(func(f *Field) { f.Value = handoverCanary + "\x00" }), "NUL"},
		{"key twice", []Field{ok, {Key: "client_id", Value: "x", Env: "OTHER"}}, "twice"},
		{"env twice", []Field{ok, {Key: "other", Value: "x", Env: "CLIENT_ID"}}, "twice"},
	}
	for _, tt := range tests {
		err := checkFields(tt.fields)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("checkFields(%s) = %v, want nil", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("checkFields(%s) = %v, want an error saying %q", tt.name, err, tt.want)
		case err != nil && strings.Contains(err.Error(), "CANARY"):
			t.Errorf("checkFields(%s) quotes the value: %v", tt.name, err)
		}
	}
}

func TestResolveOne(t *testing.T) {
	m, _, _ := setUpConnection(t, &tokenProvider{})
	req := request("acme.us.auth0.com")
	req.Name = "second"
	plan, _ := m.Plan(req)
	if _, err := m.Setup(context.Background(), plan, flows.Interaction{}, nopReporter{}); err != nil {
		t.Fatal(err)
	}
	var ue *UsageError
	if _, err := m.ResolveOne("auth0"); !errors.As(err, &ue) || !strings.Contains(err.Error(), "auth0/default, auth0/second") {
		t.Errorf("ResolveOne(auth0) with two connections = %v, want a usage error naming both", err)
	}
	if c, err := m.ResolveOne("auth0/second"); err != nil || c.Name != "second" {
		t.Errorf("ResolveOne(auth0/second) = %v, %v", c.Key(), err)
	}
}

func TestFieldEnvVar(t *testing.T) {
	if got := (Field{Env: "CLIENT_SECRET"}).EnvVar("auth0"); got != "TETHER_AUTH0_CLIENT_SECRET" {
		t.Errorf("EnvVar = %q, want TETHER_AUTH0_CLIENT_SECRET", got)
	}
}
