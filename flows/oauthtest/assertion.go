package oauthtest

import (
	"crypto"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// The ways a client assertion fails, one sentinel each, so that an
// emulator answers each with its provider's own error body (errors.Is).
// VerifyAssertion wraps them with the detail.
var (
	// ErrAssertionMalformed: the assertion is not a compact JWS of a JWT
	// signed with an accepted algorithm, or has no claims.
	ErrAssertionMalformed = errors.New("the client assertion is not a signed JWT")
	// ErrAssertionSignature: no registered key verifies its signature.
	ErrAssertionSignature = errors.New("the client assertion's signature does not verify with a registered key")
	// ErrAssertionSubject: iss or sub is not the client_id (RFC 7523 §3
	// items 1 and 2, for client authentication both are the client).
	ErrAssertionSubject = errors.New("the client assertion's iss and sub must be the client_id")
	// ErrAssertionAudience: aud names none of the accepted audiences
	// (RFC 7523 §3 item 3).
	ErrAssertionAudience = errors.New("the client assertion's aud does not name this server")
	// ErrAssertionExpired: exp is missing or past (RFC 7523 §3 item 4).
	ErrAssertionExpired = errors.New("the client assertion is expired or has no exp")
	// ErrAssertionNotYetValid: nbf or iat is in the future (RFC 7523 §3
	// items 5 and 6).
	ErrAssertionNotYetValid = errors.New("the client assertion is not valid yet")
	// ErrAssertionLifetime: exp is further away than the provider allows.
	ErrAssertionLifetime = errors.New("the client assertion's exp is too far in the future")
	// ErrAssertionNoJTI: the assertion has no jti, so its replay cannot
	// be detected.
	ErrAssertionNoJTI = errors.New("the client assertion has no jti")
	// ErrAssertionReplayed: its jti was used before, within its lifetime
	// (RFC 7523 §3 item 7).
	ErrAssertionReplayed = errors.New("the client assertion's jti was already used")
)

// assertionAlgs are the JWS algorithms accepted for assertions by
// default: the RSA, RSA-PSS and ECDSA ones of RFC 7518 §3.1.
var assertionAlgs = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512, jose.ES256, jose.ES384, jose.ES512,
}

// ReplayCache remembers the jti of each client assertion until the
// assertion expires, as RFC 7523 §3 item 7 describes ("maintaining the
// set of used jti values for the length of time for which the JWT would
// be considered valid"). The zero value is ready; it is safe for
// concurrent use.
type ReplayCache struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

// Use records the jti of issuer's assertion as used until until, and
// reports false when it was already used and has not expired at now.
// Expired entries are forgotten on the way.
func (c *ReplayCache) Use(issuer, jti string, until, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[string]time.Time{}
	}
	for k, exp := range c.seen {
		if now.After(exp) {
			delete(c.seen, k)
		}
	}
	key := issuer + "\x00" + jti // a jti is unique per issuer (RFC 7519 §4.1.7)
	if _, dup := c.seen[key]; dup {
		return false
	}
	c.seen[key] = until
	return true
}

// AssertionCheck is what one provider requires of a private_key_jwt
// client assertion (RFC 7523 §2.2 and §3, OpenID Connect Core §9).
type AssertionCheck struct {
	// Audiences are the aud values accepted; the assertion must name one
	// (Auth0: https://{host}/; Okta: the token endpoint URL; RFC 7523:
	// the issuer or the token endpoint).
	Audiences []string
	// Now is the time to check against.
	Now time.Time
	// Leeway is the clock skew allowed on exp, nbf and iat.
	Leeway time.Duration
	// MaxLifetime bounds exp - Now; 0 means one hour (Okta's bound).
	MaxLifetime time.Duration
	// OptionalJTI accepts an assertion without a jti (Okta: "jti and iat
	// optional"); by default one is required, so replays are detected.
	OptionalJTI bool
	// Algorithms are the accepted JWS algorithms; nil means RS, PS and
	// ES at 256, 384 and 512 bits.
	Algorithms []jose.SignatureAlgorithm
	// Replay remembers the jti values used; it must not be nil.
	Replay *ReplayCache
}

// AssertionSubject returns the unverified sub of an assertion, to find
// the client whose keys verify it when the request names none. It
// returns ErrAssertionMalformed when the assertion does not parse.
func AssertionSubject(assertion string) (string, error) {
	tok, err := jwt.ParseSigned(assertion, assertionAlgs)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrAssertionMalformed, err)
	}
	var c jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&c); err != nil {
		return "", fmt.Errorf("%w: %v", ErrAssertionMalformed, err)
	}
	return c.Subject, nil
}

// Verify checks the assertion of client clientID against its registered
// keys: the signature, iss = sub = clientID, an exp that has not passed
// and is within MaxLifetime, nbf and iat not in the future, an aud among
// Audiences, and a jti never used before. The checks run in that order,
// and the first failure is returned, wrapping one of the ErrAssertion
// sentinels. On success the jti is recorded in Replay.
func (c AssertionCheck) Verify(assertion, clientID string, keys []crypto.PublicKey) (*jwt.Claims, error) {
	if c.Replay == nil {
		return nil, errors.New("oauthtest: AssertionCheck.Replay is nil: replays would go unseen")
	}
	algs := c.Algorithms
	if algs == nil {
		algs = assertionAlgs
	}
	tok, err := jwt.ParseSigned(assertion, algs)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrAssertionMalformed, err)
	}
	var claims jwt.Claims
	verified := false
	for _, k := range keys {
		if tok.Claims(k, &claims) == nil {
			verified = true
			break
		}
	}
	if !verified {
		return nil, ErrAssertionSignature
	}
	if claims.Issuer != clientID || claims.Subject != clientID {
		return nil, fmt.Errorf("%w (iss %q, sub %q)", ErrAssertionSubject, claims.Issuer, claims.Subject)
	}
	if claims.Expiry == nil {
		return nil, fmt.Errorf("%w: exp is missing", ErrAssertionExpired)
	}
	switch err := claims.ValidateWithLeeway(jwt.Expected{Time: c.Now}, c.Leeway); {
	case errors.Is(err, jwt.ErrExpired):
		return nil, fmt.Errorf("%w: exp %s", ErrAssertionExpired, claims.Expiry.Time().UTC().Format(time.RFC3339))
	case err != nil:
		return nil, fmt.Errorf("%w: %v", ErrAssertionNotYetValid, err)
	}
	maxLife := c.MaxLifetime
	if maxLife <= 0 {
		maxLife = time.Hour
	}
	if claims.Expiry.Time().Sub(c.Now) > maxLife {
		return nil, fmt.Errorf("%w: at most %s from now", ErrAssertionLifetime, maxLife)
	}
	if !slices.ContainsFunc(c.Audiences, claims.Audience.Contains) {
		return nil, fmt.Errorf("%w: it must be one of %q", ErrAssertionAudience, c.Audiences)
	}
	if claims.ID == "" {
		if c.OptionalJTI {
			return &claims, nil
		}
		return nil, ErrAssertionNoJTI
	}
	if !c.Replay.Use(clientID, claims.ID, claims.Expiry.Time().Add(c.Leeway), c.Now) {
		return nil, ErrAssertionReplayed
	}
	return &claims, nil
}
