// Package providers defines the contract every identity provider meets
// (methods and their inputs, console steps, Connect, Verify) and the
// Manager that runs setups and verifications the same way for the plain
// CLI, the TUI and the SSH server, and the connection records it keeps in
// connections.json (Connection, Verification, Draft, Config).
//
// A provider reports progress as plain values (flows events and checks);
// providers must never import Bubble Tea, lipgloss or huh, and nothing here
// renders anything.
package providers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/tetherdev/tether/flows"
)

// Provider is one identity provider.
type Provider interface {
	// ID is the provider's catalog id ("auth0").
	ID() string
	// Methods lists the ways to connect, the recommended one first.
	Methods() []Method
	// Steps says what the admin does in the provider's console for m, with
	// deep links built from the inputs known so far (which may be few).
	Steps(m Method, in Inputs) []Step
	// Connect signs in with m and inputs that Method.Validate accepted,
	// talking to the admin through io (events, a browser, a pasted
	// redirect), and returns the connection's metadata (Provider, Method,
	// Tenant and Settings filled in) and its secret. It stores nothing.
	Connect(ctx context.Context, m Method, in Inputs, io flows.Interaction) (Connection, flows.Secret, error)
	// Verify checks every permission that conn's capabilities need and
	// reports each check as soon as it is known, plus any excess grant.
	// It returns an error only when it could not reach a verdict at all.
	// ctx carries the verification's deadline.
	Verify(ctx context.Context, conn Connection, cred Credential, r Reporter) error
	// Describe says what a connection is, for display: the front ends
	// never read a provider's settings themselves.
	Describe(conn Connection) Description
}

// Credential is a connection's secret as Verify receives it.
type Credential struct {
	Secret flows.Secret
	// Save replaces the stored secret with a refreshed or rotated one (a
	// rotated refresh token), so the next command uses it. It is never nil
	// when the Manager calls Verify.
	Save func(ctx context.Context, s flows.Secret) error
}

// Description is how a connection presents itself.
type Description struct {
	// Tenant is the tenant, org or domain ("acme.us.auth0.com").
	Tenant string
	// Principal is who tether acts as ("application 2iZo…").
	Principal string
	// APIHost is the host the credential is sent to: shown, so that the
	// admin sees where the secret goes.
	APIHost string
}

// Rechecker is implemented by a Reporter that shows the consent-lag
// re-checks (Manager.Settle): before each wait it hears which round comes
// next, how long the wait is and what is still missing; the checks of the
// next round follow.
type Rechecker interface {
	Recheck(round, rounds int, wait time.Duration, missing []string)
}

// CriticalPather is implemented by providers that can say how many
// dependent round trips a verification of conn needs at the least: its
// sign-in and its longest chain of probes (BenchmarkVerifyAll's floor).
type CriticalPather interface {
	CriticalPath(conn Connection) int
}

// Reporter receives what a verification finds, as it finds it. It must be
// safe for concurrent use: providers probe concurrently.
type Reporter interface {
	Check(Check)
	// Warn reports something the admin should know that is not a check
	// (a secret about to expire, a rate limit that slowed verification).
	Warn(message string)
}

// Env is what a provider needs from its surroundings, injected so that the
// sandbox and tests can swap each part.
type Env struct {
	// HTTP makes every request; in sandbox mode it reaches the emulators.
	HTTP *http.Client
	// Clock tells the time and waits (retries, rate limits, consent lag);
	// the zero Clock is the real one.
	Clock flows.Clock
	// Sequential makes a provider run its probes one after another, to
	// measure what concurrency saves (BenchmarkVerifyAll).
	Sequential bool
}

// WithDefaults fills unset fields with a default client.
func (e Env) WithDefaults() Env {
	if e.HTTP == nil {
		e.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	return e
}

// MethodKind says how a method obtains its credential.
type MethodKind string

// The kinds of sign-in.
const (
	KindKeyEntry          MethodKind = "key-entry"          // the admin pastes keys
	KindClientCredentials MethodKind = "client-credentials" // an app's id and secret or key
	KindDeviceFlow        MethodKind = "device-flow"        // RFC 8628
	KindBrowserConsent    MethodKind = "browser-consent"    // authorization code + PKCE
	KindAdminConsent      MethodKind = "admin-consent"      // Microsoft admin consent
)

// Method is one way to connect to a provider.
type Method struct {
	ID      string     // "client-secret"
	Name    string     // "Client secret"
	Summary string     // one line on when to choose it
	Kind    MethodKind //
	Inputs  []Input
	// ConsentLag says how long grants made in the console take to reach
	// new tokens (Entra's roles claim lags admin consent by minutes): while
	// something is still missing, the Manager verifies again after each of
	// these waits before it settles on missing. Nil means grants show at
	// once.
	ConsentLag []time.Duration
}

// Input is one value the admin provides.
type Input struct {
	Key         string // "domain"; the --set key
	Label       string // "Tenant domain"
	Help        string // where to find it
	Placeholder string // an example of a good value
	Secret      bool   // masked, never in metadata; passed with --secret-stdin
	Optional    bool
	Multiline   bool // a PEM key, say
	// Validate checks a non-empty value, before any network call, and says
	// what a good value looks like. Nil accepts anything.
	Validate func(string) error
	// Generate, when set, lets tether make the value itself (a key pair,
	// whose private half is the value and whose public half the admin
	// registers in the console).
	Generate func() (Generated, error)
}

// Generated is a value tether made for an input: the value itself (kept
// secret when the input is) and what the admin needs to see of it.
type Generated struct {
	Value string
	// Show lists what to hand to the provider's console, in the forms it
	// may ask for (a public key as PEM and as a JWK, say).
	Show []Artifact
}

// Artifact is one thing to show the admin, such as a public key.
type Artifact struct {
	Label string
	Text  string
	// Copy marks the artifact the copy key copies: the one the console
	// asks for (Okta's JWK rather than the PEM, say).
	Copy bool
	// Noun names what it is in a few words, for sentences such as "copy
	// the certificate"; empty means "public key".
	Noun string
}

// Noun names what the admin registers in the console, the artifact the
// copy key copies: "public key" unless that artifact says otherwise.
func (g Generated) Noun() string {
	if a, ok := g.CopyArtifact(); ok && a.Noun != "" {
		return a.Noun
	}
	return "public key"
}

// CopyArtifact returns the artifact the copy key copies: the one marked
// Copy, else the first.
func (g Generated) CopyArtifact() (Artifact, bool) {
	for _, a := range g.Show {
		if a.Copy {
			return a, true
		}
	}
	if len(g.Show) > 0 {
		return g.Show[0], true
	}
	return Artifact{}, false
}

// Input returns the method's input with the given key.
func (m Method) Input(key string) (Input, bool) {
	i := slices.IndexFunc(m.Inputs, func(in Input) bool { return in.Key == key })
	if i < 0 {
		return Input{}, false
	}
	return m.Inputs[i], true
}

// SecretInputs returns the method's secret inputs.
func (m Method) SecretInputs() []Input {
	var out []Input
	for _, in := range m.Inputs {
		if in.Secret {
			out = append(out, in)
		}
	}
	return out
}

// InputError says which input is wrong and why.
type InputError struct {
	Key   string
	Label string
	Err   error
}

func (e *InputError) Error() string { return fmt.Sprintf("%s (%s): %v", e.Label, e.Key, e.Err) }
func (e *InputError) Unwrap() error { return e.Err }

// ErrRequired means that a required input is empty.
var ErrRequired = errors.New("required")

// Validate checks every input of m in in: required ones are present and
// each passes its validator. Unknown keys are errors too, so a typo in
// --set is caught. The errors are *InputError values, joined.
func (m Method) Validate(in Inputs) error {
	var errs []error
	for _, input := range m.Inputs {
		v := in.Get(input.Key)
		switch {
		case v == "" && !input.Optional:
			errs = append(errs, &InputError{Key: input.Key, Label: input.Label, Err: ErrRequired})
		case v != "" && input.Validate != nil:
			if err := input.Validate(v); err != nil {
				errs = append(errs, &InputError{Key: input.Key, Label: input.Label, Err: err})
			}
		}
	}
	for _, k := range in.keys() {
		if _, ok := m.Input(k); !ok {
			valid := make([]string, len(m.Inputs))
			for i, input := range m.Inputs {
				valid[i] = input.Key
			}
			errs = append(errs, &InputError{Key: k, Label: "unknown input",
				Err: fmt.Errorf("method %s takes %s", m.ID, strings.Join(valid, ", "))})
		}
	}
	return errors.Join(errs...)
}

// Inputs are the values for a method's inputs: the non-secret ones in
// Values (they end up in the connection's metadata) and the secret ones in
// Secret (they end up in the credential store only).
type Inputs struct {
	Values map[string]string
	Secret flows.Secret
}

// Get returns the value for key, secret or not.
func (in Inputs) Get(key string) string {
	if v := in.Values[key]; v != "" {
		return strings.TrimSpace(v)
	}
	return in.Secret.Get(key)
}

func (in Inputs) keys() []string {
	var ks []string
	for k, v := range in.Values {
		if v != "" {
			ks = append(ks, k)
		}
	}
	ks = append(ks, in.Secret.Keys()...)
	slices.Sort(ks)
	return slices.Compact(ks)
}

// Step is one thing the admin does in the provider's console.
type Step struct {
	Title  string // "Create a Machine to Machine application"
	Detail string // how, in a sentence or two
	URL    string // a deep link to the console page, when one exists
}
