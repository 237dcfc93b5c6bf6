package flows

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// TestEchoedClientAssertionIsRedacted: a server that quotes the request
// shows neither the client assertion nor anything of the private key.
func TestEchoedClientAssertionIsRedacted(t *testing.T) {
	key := testKey(t)
	pemKey, _ := PrivateKeyPEM(key)
	for _, asJSON := range []bool{true, false} {
		e := newEchoServer(t, "invalid_client", asJSON)
		c := e.client()
		c.ClientSecret = ""
		c.Assertion = &Assertion{Key: key}
		_, err := c.ClientCredentialsToken(bounded(t))
		sent := e.received("client_assertion")
		if err == nil || len(sent) != 1 {
			t.Fatalf("ClientCredentialsToken() = %v after %d assertions", err, len(sent))
		}
		assertNoCanary(t, "ClientCredentialsToken's error", err.Error(), sent[0], pemKey)
		if holdsPiece(err.Error(), sent[0]) {
			t.Errorf("the error holds a piece of the assertion: %q", err)
		}
	}
}

// TestDeviceEndpointEchoIsRedacted: the device authorization endpoint
// gets the client secret now; its refusals keep it out, by Basic or post.
func TestDeviceEndpointEchoIsRedacted(t *testing.T) {
	for _, asJSON := range []bool{true, false} {
		for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
			e := newEchoServer(t, "invalid_client", asJSON)
			e.refuseDevice = true
			c := e.client()
			c.AuthStyle = style
			rec := &recorder{}
			_, err := c.DeviceSignIn(bounded(t), Interaction{Events: rec.Events()})
			if err == nil || !strings.Contains(err.Error(), "device authorization endpoint") {
				t.Fatalf("DeviceSignIn() = %v, want the device endpoint's refusal", err)
			}
			assertNoCanary(t, "DeviceSignIn's error", err.Error())
			assertNoCanary(t, "DeviceSignIn's events", rec.dump())
		}
	}
}

// TestSecretStraddlingTheCutIsRedacted: a secret echoed across the
// 200-byte cut of a plain-text error shows none of itself.
func TestSecretStraddlingTheCutIsRedacted(t *testing.T) {
	for _, pad := range []int{150, 180, 190, 199} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_ = r.ParseForm()
			w.WriteHeader(http.StatusBadGateway)
			_, _ = io.WriteString(w, strings.Repeat("x", pad)+r.PostForm.Get("client_secret")+strings.Repeat("y", 100))
		}))
		c := Client{Endpoints: Endpoints{TokenURL: srv.URL + "/token"}, ClientID: "client",
			ClientSecret: secret64, AuthStyle: oauth2.AuthStyleInParams}
		_, err := c.ClientCredentialsToken(bounded(t))
		srv.Close()
		if err == nil {
			t.Fatal("ClientCredentialsToken() succeeded")
		}
		if n := longestPiece(err.Error(), secret64); n >= gramSize {
			t.Errorf("pad %d: the error shows %d characters of the secret: %q", pad, n, err)
		}
	}
}
