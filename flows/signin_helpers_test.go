package flows

import (
	"context"
	"crypto"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetherdev/tether/flows/oauthtest"
)

// epoch is the fake clocks' start.
var epoch = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// The emulator's clients.
const (
	publicID     = "tether-cli"
	confidential = "tether-confidential"
	keyClientID  = "tether-jwt"
	deviceOnly   = "tether-device-only"
	secretValue  = "s3cret-Value-1234567890"
)

func testClients(keys ...crypto.PublicKey) []oauthtest.Client {
	return []oauthtest.Client{
		{ID: publicID, Name: "tether", RedirectURIs: []string{"http://127.0.0.1/", "http://127.0.0.1/callback"}},
		{ID: confidential, Secret: secretValue, RedirectURIs: []string{"http://127.0.0.1/"}, Scopes: []string{"openid", "read", "write"}},
		{ID: keyClientID, PublicKeys: keys, RedirectURIs: []string{"http://127.0.0.1/"}},
		{ID: deviceOnly, GrantTypes: []string{oauthtest.DeviceGrantType}},
	}
}

// startServer starts an emulator on a fake clock.
func startServer(t *testing.T, opts oauthtest.Options) (*oauthtest.Server, *oauthtest.Clock) {
	t.Helper()
	clk := oauthtest.NewClock(epoch)
	opts.Now = clk.Now
	if opts.Clients == nil {
		opts.Clients = testClients()
	}
	srv := oauthtest.Start(opts)
	t.Cleanup(srv.Close)
	return srv, clk
}

func endpointsOf(srv *oauthtest.Server) Endpoints {
	return Endpoints{
		Issuer:                 srv.URL,
		AuthorizationURL:       srv.URL + "/authorize",
		TokenURL:               srv.URL + "/token",
		DeviceAuthorizationURL: srv.URL + "/device_authorization",
		JWKSURL:                srv.URL + "/jwks",
	}
}

// clientOf is a public client of srv on clk.
func clientOf(srv *oauthtest.Server, clk *oauthtest.Clock) Client {
	return Client{
		Endpoints: endpointsOf(srv),
		ClientID:  publicID,
		Scopes:    []string{"openid", "read"},
		Clock:     Clock{Now: clk.Now, Sleep: clk.Sleep},
	}
}

// recorder keeps the events of a sign-in; on, when set, sees each first.
type recorder struct {
	mu     sync.Mutex
	events []Event
	on     func(Event)
}

func (r *recorder) emit(e Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	on := r.on
	r.mu.Unlock()
	if on != nil {
		on(e)
	}
}

func (r *recorder) Events() Events { return r.emit }

func (r *recorder) all() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

// kinds names the events' types, in order, without repeats in a row.
func (r *recorder) kinds() []string {
	var out []string
	for _, e := range r.all() {
		k := reflect.TypeOf(e).Name()
		if len(out) == 0 || out[len(out)-1] != k {
			out = append(out, k)
		}
	}
	return out
}

func (r *recorder) find(kind string) []Event {
	var out []Event
	for _, e := range r.all() {
		if reflect.TypeOf(e).Name() == kind {
			out = append(out, e)
		}
	}
	return out
}

// dump formats every event, for the canary tests.
func (r *recorder) dump() string {
	var b strings.Builder
	for _, e := range r.all() {
		fmt.Fprintf(&b, "%#v\n", e)
	}
	return b.String()
}

func bounded(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}
