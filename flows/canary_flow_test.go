package flows

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetherdev/tether/flows/oauthtest"
	"golang.org/x/oauth2"
)

// echoServer is a hostile authorization server: its errors quote the
// whole request, secrets included. It hands out canary codes.
type echoServer struct {
	*httptest.Server
	code string // "error" of the token endpoint's answer
	json bool   // answer JSON, or plain text
	// refuseDevice makes the device endpoint echo too, instead of
	// handing out a device code.
	refuseDevice bool
	mu           sync.Mutex
	bodies       []string
	proofs       []string // the DPoP headers received
}

func newEchoServer(t *testing.T, code string, asJSON bool) *echoServer {
	e := &echoServer{code: code, json: asJSON}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/device" && !e.refuseDevice:
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"device_code": "DEVICE-" + canary, "user_code": "ABCD-EFGH",
				"verification_uri": e.URL + "/verify", "expires_in": 60, "interval": 1})
			return
		case r.URL.Path == "/authorize":
			q := r.URL.Query()
			http.Redirect(w, r, q.Get("redirect_uri")+"?state="+q.Get("state")+"&code=CODE-"+canary, http.StatusFound)
			return
		}
		body, _ := io.ReadAll(r.Body)
		echo := string(body) + " " + r.Header.Get("Authorization") + " " + r.Header.Get("DPoP")
		if a, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Basic "); ok {
			dec, _ := base64.StdEncoding.DecodeString(a)
			echo += " " + string(dec)
		}
		e.mu.Lock()
		e.bodies = append(e.bodies, string(body))
		e.proofs = append(e.proofs, r.Header.Get("DPoP"))
		e.mu.Unlock()
		if e.json {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": e.code, "error_description": echo})
			return
		}
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, echo)
	}))
	t.Cleanup(e.Close)
	return e
}

func (e *echoServer) client() Client {
	clk := oauthtest.NewClock(epoch)
	return Client{
		Endpoints: Endpoints{AuthorizationURL: e.URL + "/authorize", TokenURL: e.URL + "/token", DeviceAuthorizationURL: e.URL + "/device"},
		ClientID:  "client", ClientSecret: "SECRET-" + canary,
		Clock: Clock{Now: clk.Now, Sleep: clk.Sleep},
	}
}

// verifiers returns the PKCE verifiers the server received.
func (e *echoServer) verifiers() []string { return e.received("code_verifier") }

// received returns the values of a form parameter the server received.
func (e *echoServer) received(param string) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, b := range e.bodies {
		if v, err := url.ParseQuery(b); err == nil {
			out = append(out, v[param]...)
		}
	}
	return out
}

// receivedProofs returns the DPoP proofs the server received.
func (e *echoServer) receivedProofs() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.DeleteFunc(slices.Clone(e.proofs), func(p string) bool { return p == "" })
}

func assertNoCanary(t *testing.T, what, s string, extra ...string) {
	t.Helper()
	for _, c := range append(extra, canary) {
		if strings.Contains(s, c) {
			t.Errorf("%s reveals a secret: %q", what, s)
		}
	}
}

// TestSecretsStayOutOfErrorsAndEvents: client secrets, device codes,
// authorization codes, PKCE verifiers and refresh tokens never show in an
// error or an event, even when the server quotes them.
func TestSecretsStayOutOfErrorsAndEvents(t *testing.T) {
	for _, asJSON := range []bool{true, false} {
		for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
			e := newEchoServer(t, "invalid_grant", asJSON)
			c := e.client()
			c.AuthStyle = style
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()

			_, err := c.ClientCredentialsToken(ctx)
			assertNoCanary(t, "ClientCredentialsToken's error", err.Error())

			rec := &recorder{}
			_, err = c.DeviceSignIn(ctx, Interaction{Events: rec.Events()})
			assertNoCanary(t, "DeviceSignIn's error", err.Error())
			assertNoCanary(t, "DeviceSignIn's events", rec.dump())

			rec = &recorder{}
			b := &oauthtest.Browser{}
			_, err = c.BrowserSignIn(ctx, Interaction{Events: rec.Events(), Browser: openerFunc(func(u string) error {
				go func() {
					if resp, err := http.Get(u); err == nil {
						resp.Body.Close()
					}
				}()
				return nil
			})})
			b.Wait()
			if err == nil {
				t.Fatal("BrowserSignIn succeeded against the echo server")
			}
			assertNoCanary(t, "BrowserSignIn's error", err.Error(), e.verifiers()...)
			assertNoCanary(t, "BrowserSignIn's events", rec.dump(), e.verifiers()...)

			_, err = c.TokenSource(ctx, fileStore(t), Key{Provider: "p", Name: "n"},
				&oauth2.Token{AccessToken: "ACCESS-" + canary, RefreshToken: "REFRESH-" + canary, Expiry: time.Now().Add(-time.Hour)}).Token()
			assertNoCanary(t, "TokenSource's error", err.Error())
		}
	}
}
