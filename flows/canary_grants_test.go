package flows

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

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

// TestJWTBearerAndDPoPSecretsStayOutOfErrors: an echoing server shows
// neither the JWT bearer assertion, nor a DPoP proof, nor a refresh token
// refreshed with DPoP, nor anything of the keys.
func TestJWTBearerAndDPoPSecretsStayOutOfErrors(t *testing.T) {
	key := testKey(t)
	pemKey, _ := PrivateKeyPEM(key)
	for _, asJSON := range []bool{true, false} {
		e := newEchoServer(t, "invalid_grant", asJSON)
		c := e.client()
		d, err := GenerateDPoP(nil)
		if err != nil {
			t.Fatal(err)
		}
		dpopPEM, _ := PrivateKeyPEM(d.key)
		c.DPoP = d

		_, err = c.JWTBearerToken(bounded(t), BearerAssertion{Key: key, Issuer: serviceAccount, Subject: "admin@example.com"})
		sent := e.received("assertion")
		if err == nil || len(sent) != 1 {
			t.Fatalf("JWTBearerToken() = %v after %d assertions", err, len(sent))
		}
		assertNoCanary(t, "JWTBearerToken's error", err.Error(), append(e.receivedProofs(), sent[0], pemKey, dpopPEM)...)

		_, err = c.ClientCredentialsToken(bounded(t))
		assertNoCanary(t, "ClientCredentialsToken's error with DPoP", err.Error(), append(e.receivedProofs(), dpopPEM)...)

		_, err = c.TokenSource(bounded(t), fileStore(t), Key{Provider: "p", Name: "n"},
			&oauth2.Token{AccessToken: "ACCESS-" + canary, RefreshToken: "REFRESH-" + canary, Expiry: time.Now().Add(-time.Hour)}).Token()
		assertNoCanary(t, "TokenSource's error with DPoP", err.Error(), e.receivedProofs()...)
		for _, p := range e.receivedProofs() {
			if holdsPiece(err.Error(), p) {
				t.Errorf("an error holds a piece of a DPoP proof: %q", err)
			}
		}
	}
}

// TestKeysDoNotPrint: a Client, an Assertion, a BearerAssertion or a DPoP
// printed with any verb shows no secret and no key.
func TestKeysDoNotPrint(t *testing.T) {
	key := testKey(t)
	pemKey, _ := PrivateKeyPEM(key)
	d, _ := NewDPoP(key, nil)
	c := Client{ClientID: "c", ClientSecret: "SECRET-" + canary, Assertion: &Assertion{Key: key}, DPoP: d}
	for _, v := range []any{c, &c, *c.Assertion, BearerAssertion{Key: key, Issuer: "i"}, d} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			out := fmt.Sprintf(verb, v)
			assertNoCanary(t, "printing "+verb, out, key.D.String(), key.Primes[0].String(), pemKey)
			if !strings.Contains(out, redacted) {
				t.Errorf("Sprintf(%s) = %q, want it to say what it left out", verb, out)
			}
		}
	}
}
