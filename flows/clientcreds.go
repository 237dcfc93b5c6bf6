package flows

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// AssertionType is the client_assertion_type of a JWT client assertion
// (RFC 7523 §2.2).
const AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// ClientCredentials is the OAuth 2.0 client credentials grant (RFC 6749
// §4.4). The client authenticates with a secret in the request body
// (client_secret_post) or, when Assertion is set, with a signed JWT
// (private_key_jwt, RFC 7523 §2.2).
type ClientCredentials struct {
	TokenURL     string
	ClientID     string
	ClientSecret string
	Assertion    *Assertion
	Scopes       []string
	// Params are extra form fields, such as Auth0's audience.
	Params url.Values
}

// Token requests an access token with hc (nil means http.DefaultClient).
// A refusal from the token endpoint is a *TokenError; a failure to reach it
// is a *NetworkError.
func (c ClientCredentials) Token(ctx context.Context, hc *http.Client) (*oauth2.Token, error) {
	cfg := clientcredentials.Config{
		ClientID:       c.ClientID,
		ClientSecret:   c.ClientSecret,
		TokenURL:       c.TokenURL,
		Scopes:         c.Scopes,
		EndpointParams: url.Values{},
		AuthStyle:      oauth2.AuthStyleInParams,
	}
	for k, v := range c.Params {
		cfg.EndpointParams[k] = v
	}
	if c.Assertion != nil {
		cfg.ClientSecret = ""
		jwt, err := c.Assertion.Sign(c.ClientID)
		if err != nil {
			return nil, err
		}
		cfg.EndpointParams.Set("client_assertion_type", AssertionType)
		cfg.EndpointParams.Set("client_assertion", jwt)
	}
	if hc != nil {
		ctx = context.WithValue(ctx, oauth2.HTTPClient, hc)
	}
	tok, err := cfg.Token(ctx)
	if err != nil {
		return nil, tokenError(c.TokenURL, err, c.ClientSecret)
	}
	return tok, nil
}

// TokenError is a refusal from a token endpoint (RFC 6749 §5.2).
type TokenError struct {
	Status      int
	Code        string // error
	Description string // error_description
	Header      http.Header
}

func (e *TokenError) Error() string {
	s := fmt.Sprintf("the token endpoint answered %d", e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

// NetworkError means that a host could not be reached, or did not answer
// over HTTPS as expected.
type NetworkError struct {
	Host   string
	Reason string
	Err    error
}

func (e *NetworkError) Error() string { return fmt.Sprintf("cannot reach %s: %s", e.Host, e.Reason) }
func (e *NetworkError) Unwrap() error { return e.Err }

// tokenError maps an x/oauth2 error to TokenError or NetworkError, never
// letting the client secret through even if a server echoes it.
func tokenError(tokenURL string, err error, secret string) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		te := &TokenError{Code: re.ErrorCode, Description: re.ErrorDescription}
		if re.Response != nil {
			te.Status = re.Response.StatusCode
			te.Header = re.Response.Header
		}
		if te.Code == "" && te.Description == "" {
			te.Description = bodySnippet(re.Body)
		}
		if secret != "" {
			te.Description = strings.ReplaceAll(te.Description, secret, redacted)
		}
		return te
	}
	return NetError(tokenURL, err)
}

// NetError describes a failed HTTP request to rawURL as a NetworkError,
// or returns err unchanged when it is a cancellation.
func NetError(rawURL string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) && !isTimeout(err) {
		return err
	}
	host := rawURL
	if u, perr := url.Parse(rawURL); perr == nil && u.Host != "" {
		host = u.Host
	}
	return &NetworkError{Host: host, Reason: describeNetErr(err), Err: err}
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

func bodySnippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// Assertion signs JWT client assertions (RFC 7523 §3): iss and sub are the
// client id, aud the authorization server's expected audience, with a
// unique jti and a short lifetime.
type Assertion struct {
	Key       crypto.Signer
	Algorithm string // RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512; empty picks one for the key
	KeyID     string
	Audience  string
	Lifetime  time.Duration // 0 means 2 minutes
	Now       func() time.Time
}

// Sign returns a signed assertion for clientID.
func (a Assertion) Sign(clientID string) (string, error) {
	alg := a.Algorithm
	if alg == "" {
		alg = DefaultAlgorithm(a.Key)
	}
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if a.KeyID != "" {
		opts = opts.WithHeader(jose.HeaderKey("kid"), a.KeyID)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: a.Key}, opts)
	if err != nil {
		return "", fmt.Errorf("cannot sign a client assertion with %s using this key (an RSA key signs RS*/PS*, an EC key ES*): %w", alg, err)
	}
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	t := now()
	life := a.Lifetime
	if life <= 0 {
		life = 2 * time.Minute
	}
	claims := jwt.Claims{
		Issuer:    clientID,
		Subject:   clientID,
		Audience:  jwt.Audience{a.Audience},
		IssuedAt:  jwt.NewNumericDate(t),
		NotBefore: jwt.NewNumericDate(t),
		Expiry:    jwt.NewNumericDate(t.Add(life)),
		ID:        rand.Text(),
	}
	s, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		return "", fmt.Errorf("signing a client assertion: %w", err)
	}
	return s, nil
}

// unflattenPEM restores a PEM block whose line breaks became spaces (a
// key pasted into a single-line field), leaving anything else as it is.
func unflattenPEM(s string) string {
	if strings.Contains(s, "\n") || !strings.HasPrefix(s, "-----BEGIN ") {
		return s
	}
	head, rest, ok := strings.Cut(s[len("-----BEGIN "):], "-----")
	if !ok {
		return s
	}
	end := "-----END " + head + "-----"
	body, _, ok := strings.Cut(rest, end)
	if !ok {
		return s
	}
	body = strings.Join(strings.Fields(body), "")
	var b strings.Builder
	b.WriteString("-----BEGIN " + head + "-----\n")
	for len(body) > 64 {
		b.WriteString(body[:64] + "\n")
		body = body[64:]
	}
	b.WriteString(body + "\n" + end + "\n")
	return b.String()
}

// DefaultAlgorithm picks the JWS algorithm for a key: RS256 for RSA, and
// ES256/ES384/ES512 for ECDSA by curve.
func DefaultAlgorithm(k crypto.Signer) string {
	if ec, ok := k.Public().(*ecdsa.PublicKey); ok {
		switch ec.Curve {
		case elliptic.P384():
			return "ES384"
		case elliptic.P521():
			return "ES512"
		}
		return "ES256"
	}
	return "RS256"
}

// ParsePrivateKeyPEM parses an RSA or ECDSA private key in PEM (PKCS #8,
// PKCS #1 or SEC 1). Errors never quote the input.
func ParsePrivateKeyPEM(data string) (crypto.Signer, error) {
	block, _ := pem.Decode([]byte(unflattenPEM(strings.TrimSpace(data))))
	if block == nil {
		return nil, pemProblem(unflattenPEM(strings.TrimSpace(data)), "the private key", "-----BEGIN PRIVATE KEY-----")
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		if s, ok := k.(crypto.Signer); ok {
			switch s.(type) {
			case *rsa.PrivateKey, *ecdsa.PrivateKey:
				return s, nil
			}
		}
		return nil, errors.New("the private key is neither RSA nor ECDSA")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	return nil, fmt.Errorf("the %q PEM block is not a PKCS #8, PKCS #1 or SEC 1 private key", block.Type)
}
