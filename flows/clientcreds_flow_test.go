package flows

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/tetherdev/tether/flows/oauthtest"
	"golang.org/x/oauth2"
)

// TestTokenEndpointErrors: the errors of RFC 6749 §5.2 a client can meet,
// from the emulator, as *TokenError with the right status.
func TestTokenEndpointErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Client)
		status int
		code   string
	}{
		{"invalid_client: wrong secret, Basic", func(c *Client) { c.ClientSecret = "wrong-secret" }, 401, "invalid_client"},
		{"invalid_client: wrong secret, post", func(c *Client) { c.ClientSecret, c.AuthStyle = "wrong-secret", oauth2.AuthStyleInParams }, 401, "invalid_client"},
		{"invalid_client: unknown client", func(c *Client) { c.ClientID = "nobody" }, 401, "invalid_client"},
		{"invalid_scope", func(c *Client) { c.Scopes = []string{"admin"} }, 400, "invalid_scope"},
		{"unauthorized_client: public client", func(c *Client) { c.ClientID, c.ClientSecret = publicID, "" }, 400, "unauthorized_client"},
		{"invalid_request: no client_id", func(c *Client) { c.ClientID, c.ClientSecret = "", "" }, 400, "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, clk := startServer(t, oauthtest.Options{})
			c := clientOf(srv, clk)
			c.ClientID, c.ClientSecret, c.Scopes = confidential, secretValue, []string{"read"}
			tc.change(&c)
			_, err := c.ClientCredentialsToken(bounded(t))
			var te *TokenError
			if !errors.As(err, &te) || te.Status != tc.status || te.Code != tc.code {
				t.Fatalf("ClientCredentialsToken() = %v, want %d %s", err, tc.status, tc.code)
			}
		})
	}
}

func TestClientCredentialsToken(t *testing.T) {
	key := testKey(t)
	clk := oauthtest.NewClock(epoch)
	srv := oauthtest.Start(oauthtest.Options{Now: clk.Now, Clients: testClients(key.Public())})
	defer srv.Close()
	for _, c := range []Client{
		{ClientID: confidential, ClientSecret: secretValue, Scopes: []string{"read"}},
		{ClientID: confidential, ClientSecret: secretValue, AuthStyle: oauth2.AuthStyleInParams},
		{ClientID: keyClientID, Assertion: &Assertion{Key: key, Now: clk.Now}},
	} {
		c.Endpoints = endpointsOf(srv)
		tok, err := c.ClientCredentialsToken(bounded(t))
		if err != nil {
			t.Fatalf("%s: %v", c.ClientID, err)
		}
		if tok.RefreshToken != "" {
			t.Error("client credentials gave a refresh token")
		}
		if _, ok := srv.Lookup(tok.AccessToken); !ok {
			t.Errorf("%s: token unknown", c.ClientID)
		}
	}
}

func TestAuthStyle(t *testing.T) {
	for _, tc := range []struct {
		c    Client
		want oauth2.AuthStyle
	}{
		{Client{}, oauth2.AuthStyleInParams},
		{Client{ClientSecret: "s"}, oauth2.AuthStyleInHeader},
		{Client{ClientSecret: "s", Endpoints: Endpoints{TokenAuthMethods: []string{"client_secret_post"}}}, oauth2.AuthStyleInParams},
		{Client{ClientSecret: "s", Endpoints: Endpoints{TokenAuthMethods: []string{"client_secret_post", "client_secret_basic"}}}, oauth2.AuthStyleInHeader},
		{Client{ClientSecret: "s", Assertion: &Assertion{}}, oauth2.AuthStyleInParams},
		{Client{ClientSecret: "s", AuthStyle: oauth2.AuthStyleInParams}, oauth2.AuthStyleInParams},
	} {
		if got := tc.c.authStyle(); got != tc.want {
			t.Errorf("authStyle(%+v) = %v, want %v", tc.c, got, tc.want)
		}
	}
}

// TestTokenParams: extra token request parameters are sent, and may not
// replace what the grant or the client authentication sets.
func TestTokenParams(t *testing.T) {
	var got url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		got = r.PostForm
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"access_token":"at","token_type":"Bearer","expires_in":60}`)
	}))
	t.Cleanup(srv.Close)
	c := Client{Endpoints: Endpoints{TokenURL: srv.URL + "/oauth/token"}, ClientID: "client", ClientSecret: secretValue,
		AuthStyle: oauth2.AuthStyleInParams, TokenParams: url.Values{"audience": {"https://acme.us.auth0.com/api/v2/"}}}
	if _, err := c.ClientCredentialsToken(bounded(t)); err != nil {
		t.Fatal(err)
	}
	want := url.Values{"grant_type": {"client_credentials"}, "client_id": {"client"}, "client_secret": {secretValue},
		"audience": {"https://acme.us.auth0.com/api/v2/"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the token request sent %v, want %v", got, want)
	}
	for _, k := range []string{"grant_type", "client_secret", "client_id"} {
		c.TokenParams = url.Values{k: {"x"}}
		if _, err := c.ClientCredentialsToken(bounded(t)); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("TokenParams setting %s: %v, want a refusal", k, err)
		}
	}
}

// TestDeviceAuthorizationParams: AuthParams go to the device
// authorization request (Auth0's audience), and may not replace the
// client's own.
func TestDeviceAuthorizationParams(t *testing.T) {
	got := make(chan url.Values, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		got <- r.PostForm
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":"invalid_scope"}`)
	}))
	t.Cleanup(srv.Close)
	c := Client{Endpoints: Endpoints{TokenURL: srv.URL + "/token", DeviceAuthorizationURL: srv.URL + "/device"}, ClientID: "client",
		Scopes: []string{"openid", "offline_access"}, AuthParams: url.Values{"audience": {"https://api.example.com"}}}
	_, _ = c.DeviceSignIn(bounded(t), Interaction{})
	want := url.Values{"client_id": {"client"}, "scope": {"openid offline_access"}, "audience": {"https://api.example.com"}}
	if sent := <-got; !reflect.DeepEqual(sent, want) {
		t.Errorf("the device authorization request sent %v, want %v", sent, want)
	}
	c.AuthParams = url.Values{"client_id": {"other"}}
	if _, err := c.DeviceSignIn(bounded(t), Interaction{}); err == nil || !strings.Contains(err.Error(), "client_id") {
		t.Errorf("AuthParams setting client_id: %v, want a refusal", err)
	}
}
