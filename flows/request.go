package flows

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// maxBody bounds what is read of an authorization server's answer, as
// x/oauth2 bounds it.
const maxBody = 1 << 20

// secretParams are the request parameters that carry a secret.
var secretParams = []string{"code", "code_verifier", "device_code", "refresh_token", "assertion", "client_assertion", "client_secret"}

// clientAuth is how one request authenticates the client (RFC 6749 §2.3).
type clientAuth struct {
	params  url.Values // client_id, client_secret, or the assertion
	basic   bool       // send user and pass with HTTP Basic
	user    string
	pass    string
	secrets []string
}

// authenticate returns the client authentication of one request to
// endpoint, the same for every endpoint: the secret by AuthStyle (HTTP
// Basic with both parts form-encoded first, RFC 6749 §2.3.1, or in the
// body), or a fresh assertion whose audience defaults to endpoint (RFC
// 7523 §2.2). A public client sends its client_id (RFC 6749 §3.2.1).
func (c Client) authenticate(endpoint string) (clientAuth, error) {
	a := clientAuth{params: url.Values{}}
	if c.ClientSecret != "" {
		a.secrets = append(a.secrets, c.ClientSecret)
	}
	switch {
	case c.Assertion != nil:
		as := *c.Assertion
		if as.Audience == "" {
			as.Audience = endpoint
		}
		jwt, err := as.Sign(c.ClientID)
		if err != nil {
			return a, err
		}
		if c.ClientID != "" {
			a.params.Set("client_id", c.ClientID)
		}
		a.params.Set("client_assertion_type", AssertionType)
		a.params.Set("client_assertion", jwt)
		a.secrets = append(a.secrets, jwt)
	case c.ClientSecret != "" && c.authStyle() == oauth2.AuthStyleInHeader:
		a.basic, a.user, a.pass = true, url.QueryEscape(c.ClientID), url.QueryEscape(c.ClientSecret)
		a.secrets = append(a.secrets, a.pass, base64.StdEncoding.EncodeToString([]byte(a.user+":"+a.pass)))
	case c.ClientSecret != "":
		a.params.Set("client_id", c.ClientID)
		a.params.Set("client_secret", c.ClientSecret)
	case c.ClientID != "":
		a.params.Set("client_id", c.ClientID)
	}
	return a, nil
}

// call is one request to one endpoint, and what of it must never show.
type call struct {
	endpoint  *url.URL
	auth      clientAuth
	dpop      *DPoP
	transport http.RoundTripper // set by httpClient

	mu      sync.Mutex
	secrets []string
}

func newCall(endpoint string, auth clientAuth, dpop *DPoP, params url.Values) (*call, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("the endpoint %q is not a URL", endpoint)
	}
	cl := &call{endpoint: u, auth: auth, dpop: dpop, secrets: append([]string(nil), auth.secrets...)}
	for _, k := range secretParams {
		cl.secrets = append(cl.secrets, params[k]...)
	}
	return cl, nil
}

func (cl *call) keep(secret string) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	cl.secrets = append(cl.secrets, secret)
}

func (cl *call) redactor() *redactor {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return newRedactor(cl.secrets...)
}

// RoundTrip adds the HTTP Basic credentials and the DPoP proof to the
// request for the call's endpoint, and to nothing else.
func (cl *call) RoundTrip(req *http.Request) (*http.Response, error) {
	if !sameEndpoint(req.URL, cl.endpoint) {
		return nil, fmt.Errorf("refusing to send the client's credentials to %s, which is not the endpoint called", req.URL.Redacted())
	}
	r := req.Clone(req.Context())
	if cl.auth.basic {
		r.SetBasicAuth(cl.auth.user, cl.auth.pass)
	}
	if cl.dpop != nil {
		proof, err := cl.dpop.Proof(r.Method, r.URL.String(), "")
		if err != nil {
			return nil, err
		}
		cl.keep(proof)
		r.Header.Set("DPoP", proof)
	}
	resp, err := cl.transport.RoundTrip(r)
	if err == nil && cl.dpop != nil {
		cl.dpop.noteNonce(r.URL, resp.Header)
	}
	return resp, err
}

func sameEndpoint(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Host, b.Host) && a.EscapedPath() == b.EscapedPath()
}

// httpClient returns the client's HTTP client for cl: its transport
// decorated by cl, and following no redirect, since an endpoint that
// redirects would take the credentials elsewhere.
func (c Client) httpClient(cl *call) *http.Client {
	hc := http.DefaultClient
	if c.HTTPClient != nil {
		hc = c.HTTPClient
	}
	cp := *hc
	cl.transport = hc.Transport
	if cl.transport == nil {
		cl.transport = http.DefaultTransport
	}
	cp.Transport = cl
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cp
}

// token sends a token request (RFC 6749 §3.2) for the grant described by
// params, authenticated as the client, with TokenParams and a DPoP proof
// when the client has one. A demand for a DPoP nonce (RFC 9449 §8) is met
// by one retry, with a fresh assertion and proof.
func (c Client) token(ctx context.Context, params url.Values) (*oauth2.Token, error) {
	tok, err := c.tokenOnce(ctx, params)
	var te *TokenError
	if c.DPoP != nil && errors.As(err, &te) && te.Code == "use_dpop_nonce" && te.Header.Get("DPoP-Nonce") != "" {
		return c.tokenOnce(ctx, params)
	}
	return tok, err
}

// tokenOnce sends one token request. It rides on clientcredentials.Config,
// whose EndpointParams may replace grant_type ("to allow interoperability",
// clientcredentials.go): x/oauth2 exports no other way to send a single
// token request for an arbitrary grant and parse its answer.
// Config.Exchange always adds its own client authentication, and
// Config.DeviceAccessToken runs its own polling loop (see DeviceSignIn).
// The client authentication is authenticate's, the same as at the device
// authorization endpoint; x/oauth2 adds none.
func (c Client) tokenOnce(ctx context.Context, params url.Values) (*oauth2.Token, error) {
	auth, err := c.authenticate(c.Endpoints.TokenURL)
	if err != nil {
		return nil, err
	}
	form := url.Values{}
	for _, vs := range []url.Values{params, auth.params} {
		for k, v := range vs {
			form[k] = v
		}
	}
	for k, v := range c.TokenParams {
		if _, set := form[k]; set {
			return nil, fmt.Errorf("the token request parameter %q is the grant's own: TokenParams may not set it", k)
		}
		form[k] = v
	}
	cl, err := newCall(c.Endpoints.TokenURL, auth, c.DPoP, form)
	if err != nil {
		return nil, err
	}
	cfg := clientcredentials.Config{TokenURL: c.Endpoints.TokenURL, EndpointParams: form, AuthStyle: oauth2.AuthStyleInParams}
	tok, err := cfg.Token(context.WithValue(ctx, oauth2.HTTPClient, c.httpClient(cl)))
	if err != nil {
		return nil, tokenError(c.Endpoints.TokenURL, err, cl.redactor())
	}
	return tok, nil
}

// deviceAuth is a device authorization response (RFC 8628 §3.2).
type deviceAuth struct {
	DeviceCode              string      `json:"device_code"`
	UserCode                string      `json:"user_code"`
	VerificationURI         string      `json:"verification_uri"`
	VerificationURL         string      `json:"verification_url"` // Google's spelling
	VerificationURIComplete string      `json:"verification_uri_complete"`
	ExpiresIn               json.Number `json:"expires_in"`
	Interval                json.Number `json:"interval"`
}

// seconds reads a number of seconds; 0 when absent, invalid or out of
// range.
func seconds(n json.Number) time.Duration {
	f, err := n.Float64()
	if err != nil || f <= 0 || f > 365*24*3600 {
		return 0
	}
	return time.Duration(f * float64(time.Second))
}

// deviceAuthorization sends the device authorization request (RFC 8628
// §3.1), authenticated as the token requests are: "the client MUST
// authenticate with the authorization server as described in Section
// 3.2.1 of [RFC6749]" when it is confidential. x/oauth2's
// Config.DeviceAuth cannot: it sends client_id and scope alone.
func (c Client) deviceAuthorization(ctx context.Context) (*deviceAuth, error) {
	ep := c.Endpoints.DeviceAuthorizationURL
	auth, err := c.authenticate(ep)
	if err != nil {
		return nil, err
	}
	form := auth.params
	if len(c.Scopes) > 0 {
		form.Set("scope", strings.Join(c.Scopes, " "))
	}
	for k, v := range c.AuthParams {
		if _, set := form[k]; set {
			return nil, fmt.Errorf("the device authorization parameter %q is the client's own: AuthParams may not set it", k)
		}
		form[k] = v
	}
	cl, err := newCall(ep, auth, nil, form)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("the device authorization endpoint %q is not a URL", ep)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.httpClient(cl).Do(req)
	if err != nil {
		return nil, NetError(ep, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, NetError(ep, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		code, desc := errorBody(resp.Header.Get("Content-Type"), body)
		return nil, newTokenError(EndpointDeviceAuthorization, resp, body, code, desc, cl.redactor())
	}
	var da deviceAuth
	if err := json.Unmarshal(body, &da); err != nil {
		return nil, fmt.Errorf("the device authorization response from %s is not the JSON object RFC 8628 §3.2 describes", hostOf(ep))
	}
	if da.VerificationURI == "" {
		da.VerificationURI = da.VerificationURL
	}
	return &da, nil
}
