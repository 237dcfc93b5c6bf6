package flows

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tetherdev/tether/flows/oauthtest"
	"golang.org/x/oauth2"
)

// TestDeviceSignInConfidentialClient: a confidential client signs in with
// the device flow authenticating at both endpoints the same way: its
// secret by HTTP Basic or in the body, or a private_key_jwt assertion
// whose audience is the endpoint called.
func TestDeviceSignInConfidentialClient(t *testing.T) {
	key := testKey(t)
	for _, tc := range []struct {
		name   string
		change func(*Client)
	}{
		{"client_secret_basic", func(c *Client) { c.ClientID, c.ClientSecret = confidential, secretValue }},
		{"client_secret_post", func(c *Client) {
			c.ClientID, c.ClientSecret, c.AuthStyle = confidential, secretValue, oauth2.AuthStyleInParams
		}},
		{"client_secret_post, as the server's metadata says", func(c *Client) {
			c.ClientID, c.ClientSecret = confidential, secretValue
			c.Endpoints.TokenAuthMethods = []string{"client_secret_post"}
		}},
		{"private_key_jwt", func(c *Client) { c.ClientID, c.Assertion = keyClientID, &Assertion{Key: key, Now: c.Clock.Now} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, clk := startServer(t, oauthtest.Options{Clients: testClients(key.Public())})
			c := clientOf(srv, clk)
			c.Scopes = []string{"openid"}
			tc.change(&c)
			rec := &recorder{on: func(e Event) {
				if d, ok := e.(DeviceCode); ok {
					_ = srv.ApproveDevice(d.UserCode)
				}
			}}
			tok, err := c.DeviceSignIn(bounded(t), Interaction{Events: rec.Events()})
			if err != nil {
				t.Fatalf("DeviceSignIn() = %v", err)
			}
			if g, ok := srv.Lookup(tok.AccessToken); !ok || g.ClientID != c.ClientID {
				t.Errorf("the token is %+v, %v; want one for %s", g, ok, c.ClientID)
			}
		})
	}
}

// TestDeviceSignInPollErrorNamesTheTokenEndpoint: a refusal on a poll is
// the token endpoint's, and says so.
func TestDeviceSignInPollErrorNamesTheTokenEndpoint(t *testing.T) {
	srv, clk := startServer(t, oauthtest.Options{})
	// The client was deleted between the device code and the first poll.
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":"invalid_client","error_description":"the client is unknown"}`)
			return
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	c := clientOf(srv, clk)
	c.Endpoints.TokenURL = front.URL + "/token"
	c.Endpoints.DeviceAuthorizationURL = front.URL + "/device_authorization"
	_, err := c.DeviceSignIn(bounded(t), Interaction{})
	var te *TokenError
	if !errors.As(err, &te) || te.Endpoint != EndpointToken || te.Code != "invalid_client" ||
		err.Error() != "the token endpoint answered 401 invalid_client: the client is unknown" {
		t.Fatalf("DeviceSignIn() = %v, want the token endpoint's refusal", err)
	}
}

// TestDeviceAuthorizationNumbersAsStrings: expires_in and interval are
// read whether a server sends them as numbers or as strings, on the
// client's clock.
func TestDeviceAuthorizationNumbersAsStrings(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/device" {
			_, _ = io.WriteString(w, `{"device_code":"dc","user_code":"ABCD-EFGH","verification_uri":"https://login.example.com/device","expires_in":"900","interval":"7"}`)
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":"access_denied"}`)
	}))
	t.Cleanup(srv.Close)
	clk := oauthtest.NewClock(epoch)
	c := Client{Endpoints: Endpoints{TokenURL: srv.URL + "/token", DeviceAuthorizationURL: srv.URL + "/device"}, ClientID: "c",
		Clock: Clock{Now: clk.Now, Sleep: clk.Sleep}}
	rec := &recorder{}
	if _, err := c.DeviceSignIn(bounded(t), Interaction{Events: rec.Events()}); !errors.Is(err, ErrDenied) {
		t.Fatalf("DeviceSignIn() = %v, want ErrDenied", err)
	}
	d := rec.find("DeviceCode")[0].(DeviceCode)
	if !d.ExpiresAt.Equal(epoch.Add(900*time.Second)) || d.Interval != 7*time.Second {
		t.Errorf("DeviceCode = %+v, want it to expire at %v and poll every 7s", d, epoch.Add(900*time.Second))
	}
}
