package flows

import (
	"context"
	"crypto"
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
)

// JWTBearerGrantType is the grant_type of a JWT used as an authorization
// grant (RFC 7523 §2.1).
const JWTBearerGrantType = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// MaxBearerLifetime is the longest lifetime of a JWT bearer assertion:
// Google refuses longer ones ("Token must be a short-lived token (60
// minutes)").
const MaxBearerLifetime = time.Hour

// bearerBackdate is how far iat is set in the past, so that a server
// whose clock is a little behind does not see an assertion from the
// future (x/oauth2's jws package backdates by the same 10 seconds).
const bearerBackdate = 10 * time.Second

// BearerAssertion is a JWT authorization grant (RFC 7523 §2.1, §3): a
// party that holds a private key (a Google service account, a Salesforce
// connected app) asserts that it acts as a user, and the authorization
// server issues a token for that user without any interaction.
type BearerAssertion struct {
	Key crypto.Signer
	// Algorithm is the JWS algorithm; empty picks DefaultAlgorithm, RS256
	// for an RSA key, which Google and Salesforce require.
	Algorithm string
	// KeyID is the kid header, when the server wants one: Google's
	// private_key_id.
	KeyID string
	// Issuer is the iss claim: the service account (Google's
	// client_email) or the client (Salesforce's consumer key). Empty means
	// Client.ClientID.
	Issuer string
	// Subject is the sub claim, the user to act as (Google's domain-wide
	// delegation: an admin's address; Salesforce: a username). Empty
	// leaves it out: a Google service account then acts as itself.
	Subject string
	// Audience is the aud claim; empty means the token endpoint URL
	// (Google's https://oauth2.googleapis.com/token). Salesforce wants the
	// login host: https://login.salesforce.com, https://test.salesforce.com
	// or the My Domain URL.
	Audience string
	// Scopes go in the assertion's scope claim, space-separated, as
	// Google reads them; Salesforce takes none. Client.Scopes, if any,
	// go in the request's scope parameter instead.
	Scopes []string
	// Lifetime is exp minus iat: 0 means 5 minutes; at most
	// MaxBearerLifetime.
	Lifetime time.Duration
	Now      func() time.Time
}

// bearerClaims are the claims of a JWT bearer assertion.
type bearerClaims struct {
	jwt.Claims
	Scope string `json:"scope,omitempty"`
}

// Sign returns the signed assertion, with aud set to audience when the
// assertion names none.
func (a BearerAssertion) Sign(audience string) (string, error) {
	switch {
	case a.Issuer == "":
		return "", errors.New("a JWT bearer assertion needs an issuer: the service account or the client id")
	case a.Lifetime > MaxBearerLifetime:
		return "", fmt.Errorf("a JWT bearer assertion may live %s at most, not %s", MaxBearerLifetime, a.Lifetime)
	}
	if a.Audience != "" {
		audience = a.Audience
	}
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if a.KeyID != "" {
		opts = opts.WithHeader(jose.HeaderKey("kid"), a.KeyID)
	}
	signer, err := newSigner(a.Key, a.Algorithm, opts)
	if err != nil {
		return "", fmt.Errorf("cannot sign a JWT bearer assertion: %w", err)
	}
	life := a.Lifetime
	if life <= 0 {
		life = 5 * time.Minute
	}
	iat := nowOf(a.Now).Add(-bearerBackdate)
	c := bearerClaims{
		Claims: jwt.Claims{
			Issuer:   a.Issuer,
			Subject:  a.Subject,
			Audience: jwt.Audience{audience},
			IssuedAt: jwt.NewNumericDate(iat),
			Expiry:   jwt.NewNumericDate(iat.Add(life)),
			ID:       rand.Text(),
		},
		Scope: strings.Join(a.Scopes, " "),
	}
	s, err := jwt.Signed(signer).Claims(c).Serialize()
	if err != nil {
		return "", fmt.Errorf("signing a JWT bearer assertion: %w", err)
	}
	return s, nil
}

// JWTBearerToken requests a token with a JWT as the authorization grant
// (RFC 7523 §2.1): grant_type urn:ietf:params:oauth:grant-type:jwt-bearer
// and the signed assertion, plus Scopes as the scope parameter when set,
// and TokenParams. Client authentication is optional for this grant (RFC
// 7523 §3.1): a confidential client (ClientSecret or Assertion)
// authenticates as it does for every grant, and a public one sends
// nothing, not even its client_id, since the assertion's iss names the
// party (Google's service accounts, Salesforce's connected apps).
//
// The assertion's Issuer defaults to ClientID. A refusal is a
// *TokenError: Google answers invalid_grant for a bad assertion or user
// and 401 unauthorized_client for a scope that domain-wide delegation
// does not grant; Salesforce answers invalid_grant ("user hasn't approved
// this consumer", "audience is invalid").
func (c Client) JWTBearerToken(ctx context.Context, a BearerAssertion) (*oauth2.Token, error) {
	if err := c.Endpoints.Validate(); err != nil {
		return nil, err
	}
	if a.Issuer == "" {
		a.Issuer = c.ClientID
	}
	jwt, err := a.Sign(c.Endpoints.TokenURL)
	if err != nil {
		return nil, err
	}
	p := url.Values{"grant_type": {JWTBearerGrantType}, "assertion": {jwt}}
	if len(c.Scopes) > 0 {
		p.Set("scope", strings.Join(c.Scopes, " "))
	}
	if c.ClientSecret == "" && c.Assertion == nil {
		c.ClientID = "" // a public client sends no client_id here (c is a copy)
	}
	return c.token(ctx, p)
}
