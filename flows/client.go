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
	"golang.org/x/oauth2/clientcredentials"
)

// Client is an OAuth 2.0 client registered with a standards-following
// authorization server, and the verbs that sign it in: DeviceSignIn (RFC
// 8628), BrowserSignIn (RFC 6749 §4.1 with PKCE, RFC 7636, on a loopback
// redirect, RFC 8252), ClientCredentialsToken, and TokenSource, which keeps a
// stored token fresh. Like oauth2.Config it is a plain value: fill in the
// fields and call a verb.
//
// The client is public when it has neither ClientSecret nor Assertion; it
// then identifies itself with client_id alone.
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
	// AuthStyle says how a client secret is sent to the token endpoint.
	// The zero value picks for you: HTTP Basic (client_secret_basic, which
	// every server must support, RFC 6749 §2.3.1) unless the server lists
	// only client_secret_post among Endpoints.TokenAuthMethods. x/oauth2's
	// own auto-detection is never used: it retries a refused request the
	// other way, which would spend a single-use code or trip slow_down.
	AuthStyle oauth2.AuthStyle
	// AuthParams are extra parameters of the authorization request, such
	// as access_type=offline or prompt=consent.
	AuthParams url.Values
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

// ctx carries the client's HTTP client to x/oauth2.
func (c Client) ctx(ctx context.Context) context.Context {
	if c.HTTPClient != nil {
		return context.WithValue(ctx, oauth2.HTTPClient, c.HTTPClient)
	}
	return ctx
}

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

// config is the x/oauth2 view of the client, redirecting to redirectURI.
func (c Client) config(redirectURI string) *oauth2.Config {
	secret := c.ClientSecret
	if c.Assertion != nil {
		secret = ""
	}
	return &oauth2.Config{
		ClientID:     c.ClientID,
		ClientSecret: secret,
		Endpoint: oauth2.Endpoint{
			AuthURL:       c.Endpoints.AuthorizationURL,
			DeviceAuthURL: c.Endpoints.DeviceAuthorizationURL,
			TokenURL:      c.Endpoints.TokenURL,
			AuthStyle:     c.authStyle(),
		},
		RedirectURL: redirectURI,
		Scopes:      c.Scopes,
	}
}

// assertionParams signs a fresh client assertion, when the client uses
// one, as the two token request parameters of RFC 7523 §2.2.
func (c Client) assertionParams() (url.Values, error) {
	if c.Assertion == nil {
		return nil, nil
	}
	a := *c.Assertion
	if a.Audience == "" {
		a.Audience = c.Endpoints.TokenURL
	}
	jwt, err := a.Sign(c.ClientID)
	if err != nil {
		return nil, err
	}
	return url.Values{"client_assertion_type": {AssertionType}, "client_assertion": {jwt}}, nil
}

// token sends one token request (RFC 6749 §3.2) for the grant described
// by params, authenticated as the client, and maps a refusal to a
// *TokenError in which no secret of the request appears.
//
// It rides on clientcredentials.Config, whose EndpointParams may replace
// grant_type ("to allow interoperability", clientcredentials.go): x/oauth2
// exports no other way to send a single token request for an arbitrary
// grant with its client authentication and response parsing.
// Config.Exchange always adds a code parameter, and
// Config.DeviceAccessToken runs its own polling loop (see DeviceSignIn).
func (c Client) token(ctx context.Context, params url.Values) (*oauth2.Token, error) {
	cfg := clientcredentials.Config{
		ClientID:       c.ClientID,
		ClientSecret:   c.ClientSecret,
		TokenURL:       c.Endpoints.TokenURL,
		EndpointParams: url.Values{},
		AuthStyle:      c.authStyle(),
	}
	for k, v := range params {
		cfg.EndpointParams[k] = v
	}
	ap, err := c.assertionParams()
	if err != nil {
		return nil, err
	}
	if ap != nil {
		cfg.ClientSecret = ""
		for k, v := range ap {
			cfg.EndpointParams[k] = v
		}
	}
	tok, err := cfg.Token(c.ctx(ctx))
	if err != nil {
		var secrets []string
		for _, k := range secretParams {
			secrets = append(secrets, params[k]...)
		}
		return nil, c.tokenError(c.Endpoints.TokenURL, err, secrets...)
	}
	return tok, nil
}

// secretParams are the token request parameters that carry a secret.
var secretParams = []string{"code", "code_verifier", "device_code", "refresh_token", "client_assertion"}

// tokenError maps an x/oauth2 error like tokenError does, and also keeps
// the other secrets of the request (a code, a verifier, a device code, a
// refresh token) out of the description, should a server echo them.
func (c Client) tokenError(endpoint string, err error, secrets ...string) error {
	err = tokenError(endpoint, err, c.ClientSecret)
	var te *TokenError
	if errors.As(err, &te) {
		te.Description = redact(te.Description, secrets...)
	}
	return err
}

// redact replaces every secret of at least 4 characters in s.
func redact(s string, secrets ...string) string {
	for _, v := range secrets {
		if len(v) >= 4 {
			s = strings.ReplaceAll(s, v, redacted)
		}
	}
	return s
}

// ClientCredentialsToken requests a token for the client itself (RFC 6749
// §4.4), authenticated with its secret or its assertion.
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
