package providers

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/oauth2"

	"github.com/tetherdev/tether/flows"
)

// Tokener is implemented by providers whose connections mint access
// tokens (the OAuth clients). A provider whose API takes the key itself
// on every request (Duo's Admin API signs each request with its secret
// key) has no token to hand over and does not implement it.
type Tokener interface {
	// Token mints a fresh access token for conn with cred, listing the
	// granted scopes in the token's "scope" extra (RFC 6749 §5.1) when the
	// provider says them. A refreshed or rotated secret goes back through
	// cred.Save.
	Token(ctx context.Context, conn Connection, cred Credential) (*oauth2.Token, error)
}

// Exporter is implemented by providers whose connections can be handed to
// the platform: it says what the platform's integration form asks for.
type Exporter interface {
	// Export lists what conn hands over with its secret, in the order the
	// platform's form asks for it. It makes no network call.
	Export(conn Connection, secret flows.Secret) ([]Field, error)
}

// Field is one value a connection hands over.
type Field struct {
	// Key names the field in an export document ("client_id"): stable,
	// lowercase letters, digits and underscores.
	Key string
	// Label is what the platform's form calls it ("Client ID").
	Label string
	Value string
	// Secret marks a value that must not be shown on a terminal unasked.
	Secret bool
	// Env is the environment variable's suffix ("CLIENT_ID"): the
	// variable is TETHER_<PROVIDER>_<Env> (EnvVar).
	Env string
}

// EnvVar returns the field's environment variable for provider:
// TETHER_AUTH0_CLIENT_ID.
func (f Field) EnvVar(provider string) string {
	return "TETHER_" + strings.ToUpper(provider) + "_" + f.Env
}

// EnvAccessToken is the variable tether exec puts a fresh access token in,
// for providers that have tokens.
const EnvAccessToken = "TETHER_ACCESS_TOKEN"

// ErrNoToken means that a provider's connections have no access token to
// hand over: its API takes the key itself on every request.
var ErrNoToken = errors.New("no access token")

// ErrNoExport means that tether cannot hand a provider's connections over
// yet.
var ErrNoExport = errors.New("cannot be exported yet")

// Handover is what one connection hands the platform.
type Handover struct {
	Connection  Connection
	Description Description
	Fields      []Field
}

// Secret reports whether any field is secret.
func (h Handover) Secret() bool {
	return slices.ContainsFunc(h.Fields, func(f Field) bool { return f.Secret })
}

// Environ returns the fields as NAME=VALUE environment entries.
func (h Handover) Environ() []string {
	out := make([]string, len(h.Fields))
	for i, f := range h.Fields {
		out[i] = f.EnvVar(h.Connection.Provider) + "=" + f.Value
	}
	return out
}

// AccessToken is a token minted for a connection.
type AccessToken struct {
	Connection Connection
	Token      *oauth2.Token
	// Scopes are the granted scopes as the provider listed them; nil when
	// it did not say.
	Scopes []string
}

// ResolveOne turns one PROVIDER[/NAME] reference into the one stored
// connection it names; a provider with several connections needs its name.
func (m *Manager) ResolveOne(ref string) (Connection, error) {
	conns, err := m.Resolve([]string{ref})
	if err != nil {
		return Connection{}, err
	}
	if len(conns) > 1 {
		names := make([]string, len(conns))
		for i, c := range conns {
			names[i] = c.Key().String()
		}
		return Connection{}, Usagef("%s has %d connections (%s): name one", ref, len(conns), strings.Join(names, ", "))
	}
	return conns[0], nil
}

// Token mints a fresh access token for conn with its stored credential,
// within the Manager's timeout. A provider without tokens is ErrNoToken.
func (m *Manager) Token(ctx context.Context, conn Connection) (AccessToken, error) {
	p, ok := m.Provider(conn.Provider)
	if !ok {
		return AccessToken{}, fmt.Errorf("%s: %w", conn.Provider, ErrNotImplemented)
	}
	tp, ok := p.(Tokener)
	if !ok {
		return AccessToken{}, fmt.Errorf("%s connections have %w: their API takes the key itself on every request; tether export or tether exec hands the credential over", m.providerName(conn.Provider), ErrNoToken)
	}
	cred, err := m.credential(ctx, conn)
	if err != nil {
		return AccessToken{}, err
	}
	tctx, cancel := WithDeadline(ctx, m.timeout())
	defer cancel()
	var tok *oauth2.Token
	err = safely(func() (err error) { tok, err = tp.Token(tctx, conn, cred); return err })
	if dl := deadlineErr(tctx); dl != nil && ctx.Err() == nil {
		err = dl
	}
	switch {
	case err != nil:
		return AccessToken{}, fmt.Errorf("minting a token for %s: %w", conn.Key(), err)
	case tok == nil || tok.AccessToken == "":
		return AccessToken{}, fmt.Errorf("minting a token for %s: %s answered without an access token", conn.Key(), m.providerName(conn.Provider))
	}
	at := AccessToken{Connection: conn, Token: tok}
	if s, ok := tok.Extra("scope").(string); ok {
		at.Scopes = strings.Fields(s)
	}
	return at, nil
}

// HasTokens reports whether conn's provider mints access tokens.
func (m *Manager) HasTokens(conn Connection) bool {
	p, ok := m.Provider(conn.Provider)
	if !ok {
		return false
	}
	_, ok = p.(Tokener)
	return ok
}

var (
	fieldKeyPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	fieldEnvPattern = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
)

// Export loads conn's credential and returns what it hands the platform,
// as its provider describes it. It makes no network call.
func (m *Manager) Export(ctx context.Context, conn Connection) (Handover, error) {
	p, ok := m.Provider(conn.Provider)
	if !ok {
		return Handover{}, fmt.Errorf("%s: %w", conn.Provider, ErrNotImplemented)
	}
	ep, ok := p.(Exporter)
	if !ok {
		return Handover{}, fmt.Errorf("%s connections %w", m.providerName(conn.Provider), ErrNoExport)
	}
	cred, err := m.credential(ctx, conn)
	if err != nil {
		return Handover{}, err
	}
	var fields []Field
	if err := safely(func() (err error) { fields, err = ep.Export(conn, cred.Secret); return err }); err != nil {
		return Handover{}, fmt.Errorf("exporting %s: %w", conn.Key(), err)
	}
	if err := checkFields(fields); err != nil {
		return Handover{}, fmt.Errorf("exporting %s: %w (please report it)", conn.Key(), err)
	}
	return Handover{Connection: conn, Description: m.Describe(conn), Fields: fields}, nil
}

// checkFields holds a provider's fields to what the export formats can
// carry: well-formed, unique keys and variable names, and values an
// environment can hold. Its errors name the field, never its value.
func checkFields(fields []Field) error {
	if len(fields) == 0 {
		return errors.New("the provider exported no field")
	}
	keys, envs := map[string]bool{}, map[string]bool{}
	for _, f := range fields {
		switch {
		case !fieldKeyPattern.MatchString(f.Key):
			return fmt.Errorf("field key %q is not lowercase letters, digits and underscores", f.Key)
		case !fieldEnvPattern.MatchString(f.Env):
			return fmt.Errorf("field %s: variable suffix %q is not uppercase letters, digits and underscores", f.Key, f.Env)
		case keys[f.Key] || envs[f.Env]:
			return fmt.Errorf("field %s is exported twice", f.Key)
		case f.Value == "":
			return fmt.Errorf("field %s is empty", f.Key)
		case strings.ContainsRune(f.Value, 0):
			return fmt.Errorf("field %s holds a NUL byte, which no environment can carry", f.Key)
		}
		keys[f.Key], envs[f.Env] = true, true
	}
	return nil
}

// credential loads conn's secret, with the Save that writes a refreshed or
// rotated one back, as Verify does: not from a config directory others can
// change, and a missing or damaged credential says how to replace it.
func (m *Manager) credential(ctx context.Context, conn Connection) (Credential, error) {
	if err := m.Config.CheckPrivate(); err != nil {
		return Credential{}, err
	}
	store, err := m.Store(conn.Store)
	if err != nil {
		return Credential{}, err
	}
	secret, err := store.Load(ctx, conn.Key())
	switch {
	case errors.Is(err, flows.ErrNotFound):
		return Credential{}, Usagef("no credential for %s in the %s; run tether setup %s --name %s again", conn.Key(), store.Kind(), conn.Provider, conn.Name)
	case errors.Is(err, flows.ErrCorrupt):
		return Credential{}, Usagef("the stored credential for %s is damaged; run tether setup %s --name %s again", conn.Key(), conn.Provider, conn.Name)
	case err != nil:
		return Credential{}, err
	}
	return Credential{Secret: secret, Save: func(ctx context.Context, s flows.Secret) error {
		return m.saveRotated(ctx, store, conn, s)
	}}, nil
}

// providerName is the catalog's name of a provider ("Auth0").
func (m *Manager) providerName(id string) string {
	if cp, ok := m.Catalog.Provider(id); ok && cp.Name != "" {
		return cp.Name
	}
	return id
}
