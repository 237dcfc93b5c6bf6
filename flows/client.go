package flows

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Client is an OAuth 2.0 client registered with a standards-following
// authorization server, and the verbs that sign it in, one per grant:
// DeviceSignIn (RFC 8628), BrowserSignIn (RFC 6749 §4.1 with PKCE, RFC
// 7636, on a loopback redirect, RFC 8252), ClientCredentialsToken (RFC
// 6749 §4.4), JWTBearerToken (RFC 7523 §2.1), and TokenSource, which
// keeps a stored token fresh (RFC 6749 §6). With DPoP set, each binds its
// tokens to a key (RFC 9449). Like oauth2.Config it is a plain value:
// fill in the fields and call a verb.
//
// The client is public when it has neither ClientSecret nor Assertion; it
// then identifies itself with client_id alone. A confidential client
// authenticates the same way at every endpoint it calls: the token
// endpoint and the device authorization endpoint (RFC 8628 §3.1).
type Client struct {
	Endpoints Endpoints
	ClientID  string
	// ClientSecret authenticates a confidential client (RFC 6749 §2.3.1).
	// Google's installed apps have one too, which Google says is not
	// treated as a secret but still requires.
	ClientSecret string
	// Assertion, when set, authenticates the client with a signed JWT
	// (private_key_jwt, RFC 7523 §2.2) instead of a secret. Its Audience
	// defaults to the token endpoint URL (OpenID Connect Core §9).
	Assertion *Assertion
	Scopes    []string
	// AuthStyle says how a client secret is sent to the token endpoint
	// and the device authorization endpoint.
	// The zero value picks for you: HTTP Basic (client_secret_basic, which
	// every server must support, RFC 6749 §2.3.1) unless the server lists
	// only client_secret_post among Endpoints.TokenAuthMethods. x/oauth2's
	// own auto-detection is never used: it retries a refused request the
	// other way, which would spend a single-use code or trip slow_down.
	AuthStyle oauth2.AuthStyle
	// AuthParams are extra parameters of the authorization request, such
	// as access_type=offline or prompt=consent, and of the device
	// authorization request (RFC 8628 §3.1), such as Auth0's audience.
	AuthParams url.Values
	// TokenParams are extra parameters of every token request, such as
	// Auth0's audience. They may not set a parameter the grant or the
	// client authentication sets.
	TokenParams url.Values
	// DPoP, when set, binds the tokens to its key (RFC 9449): every token
	// request carries a fresh proof, and a server's demand for a nonce
	// (use_dpop_nonce) is met by retrying once with it. A server that
	// binds the token answers token_type "DPoP"; present it with
	// DPoP.Authorizer.
	DPoP *DPoP
	// Loopback is where BrowserSignIn receives the redirect.
	Loopback Loopback
	// HTTPClient makes the requests; nil means http.DefaultClient.
	HTTPClient *http.Client
	// Clock times the device flow's polling and the browser flow's
	// deadline; the zero Clock is the real one.
	Clock Clock
}

// Clock tells the time and waits. The zero Clock is the real clock; tests
// substitute one that advances on Sleep, so that they never sleep.
type Clock struct {
	Now func() time.Time
	// Sleep waits for d, or until ctx is done and then returns ctx.Err().
	Sleep func(ctx context.Context, d time.Duration) error
}

func (c Clock) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c Clock) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// ErrUnsupported means that the authorization server does not offer what
// a flow needs (no device authorization endpoint, no authorization
// endpoint).
var ErrUnsupported = errors.New("the authorization server does not support this sign-in")

func (c Client) authStyle() oauth2.AuthStyle {
	switch {
	case c.AuthStyle != oauth2.AuthStyleAutoDetect:
		return c.AuthStyle
	case c.ClientSecret == "" || c.Assertion != nil:
		// A public client, or one that authenticates with an assertion,
		// sends client_id in the body (RFC 6749 §4.1.3, RFC 7523 §3).
		return oauth2.AuthStyleInParams
	case len(c.Endpoints.TokenAuthMethods) > 0 &&
		!slices.Contains(c.Endpoints.TokenAuthMethods, "client_secret_basic") &&
		slices.Contains(c.Endpoints.TokenAuthMethods, "client_secret_post"):
		return oauth2.AuthStyleInParams
	}
	return oauth2.AuthStyleInHeader
}

// config is the x/oauth2 view of the client for its authorization
// requests, redirecting to redirectURI. Token requests go through token.
func (c Client) config(redirectURI string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:    c.ClientID,
		Endpoint:    oauth2.Endpoint{AuthURL: c.Endpoints.AuthorizationURL, TokenURL: c.Endpoints.TokenURL},
		RedirectURL: redirectURI,
		Scopes:      c.Scopes,
	}
}

// ClientCredentialsToken requests a token for the client itself (RFC 6749
// §4.4), authenticated with its secret (RFC 6749 §2.3.1) or its assertion
// (RFC 7523 §2.2), with Scopes as the scope and TokenParams added. A
// refusal is a *TokenError; a failure to reach the server a
// *NetworkError.
func (c Client) ClientCredentialsToken(ctx context.Context) (*oauth2.Token, error) {
	if err := c.Endpoints.Validate(); err != nil {
		return nil, err
	}
	p := url.Values{"grant_type": {"client_credentials"}}
	if len(c.Scopes) > 0 {
		p.Set("scope", strings.Join(c.Scopes, " "))
	}
	return c.token(ctx, p)
}
