package oauthtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// The ways a bearer token presented to an emulator fails its signer's
// checks (errors.Is), so that each emulator answers with its provider's
// body: Auth0 tells "Invalid token" from "Invalid signature received".
var (
	// ErrTokenMalformed: the token is not a compact JWS signed with the
	// signer's algorithm, or its claims do not decode.
	ErrTokenMalformed = errors.New("the token is not a signed JWT")
	// ErrTokenSignature: the token names another key id, or its signature
	// does not verify with the signer's key.
	ErrTokenSignature = errors.New("the token's signature does not verify")
)

// TokenSigner mints an emulator's JWT access and ID tokens (RFC 7519,
// signed per RFC 7515 with a "kid" header naming the key), verifies the
// ones presented back to it, and publishes its public key as a JSON Web
// Key Set (RFC 7517 §5) that verifies them, as a provider's jwks_uri
// does. It is safe for concurrent use.
type TokenSigner struct {
	key crypto.Signer
	alg jose.SignatureAlgorithm
	kid string
	jws jose.Signer
}

// NewTokenSigner returns a signer for key: RS256 for an RSA key, ES256,
// ES384 or ES512 for an ECDSA key on P-256, P-384 or P-521, EdDSA for
// Ed25519. kid "" means the key's RFC 7638 thumbprint.
func NewTokenSigner(key crypto.Signer, kid string) (*TokenSigner, error) {
	var alg jose.SignatureAlgorithm
	switch k := key.(type) {
	case *rsa.PrivateKey:
		alg = jose.RS256
	case *ecdsa.PrivateKey:
		switch k.Curve {
		case elliptic.P256():
			alg = jose.ES256
		case elliptic.P384():
			alg = jose.ES384
		case elliptic.P521():
			alg = jose.ES512
		default:
			return nil, fmt.Errorf("oauthtest: ECDSA curve %s is not one JWS signs with (P-256, P-384, P-521)", k.Curve.Params().Name)
		}
	case ed25519.PrivateKey:
		alg = jose.EdDSA
	default:
		return nil, fmt.Errorf("oauthtest: a %T key cannot sign tokens: use RSA, ECDSA or Ed25519", key)
	}
	if kid == "" {
		tp, err := (&jose.JSONWebKey{Key: key.Public()}).Thumbprint(crypto.SHA256)
		if err != nil {
			return nil, fmt.Errorf("oauthtest: thumbprint of the signing key: %w", err)
		}
		kid = base64.RawURLEncoding.EncodeToString(tp)
	}
	jws, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		return nil, fmt.Errorf("oauthtest: token signer: %w", err)
	}
	return &TokenSigner{key: key, alg: alg, kid: kid, jws: jws}, nil
}

// KeyID is the kid of the signer's key.
func (s *TokenSigner) KeyID() string { return s.kid }

// Algorithm is the JWS algorithm the signer signs with ("RS256").
func (s *TokenSigner) Algorithm() string { return string(s.alg) }

// Mint signs claims (a struct embedding jwt.Claims, or a map) into a
// compact JWT with typ JWT and the signer's kid.
func (s *TokenSigner) Mint(claims any) (string, error) {
	tok, err := jwt.Signed(s.jws).Claims(claims).Serialize()
	if err != nil {
		return "", fmt.Errorf("oauthtest: minting a token: %w", err)
	}
	return tok, nil
}

// Parse verifies that raw was signed by this signer (its algorithm, its
// kid and its key) and decodes its claims into dest. It checks no claim:
// expiry, audience and issuer are the provider's to check, with its own
// error bodies. It returns errors wrapping ErrTokenMalformed or
// ErrTokenSignature.
func (s *TokenSigner) Parse(raw string, dest any) error {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{s.alg})
	if err != nil {
		return fmt.Errorf("%w: %v", ErrTokenMalformed, err)
	}
	if kid := tok.Headers[0].KeyID; kid != s.kid {
		return fmt.Errorf("%w: unknown kid %q", ErrTokenSignature, kid)
	}
	if err := tok.Claims(s.key.Public(), dest); err != nil {
		if errors.Is(err, jose.ErrCryptoFailure) {
			return ErrTokenSignature
		}
		return fmt.Errorf("%w: %v", ErrTokenMalformed, err)
	}
	return nil
}

// JWKS is the signer's public key as a JSON Web Key Set (RFC 7517 §5),
// with its kid, alg and use "sig".
func (s *TokenSigner) JWKS() jose.JSONWebKeySet {
	return jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: s.key.Public(), KeyID: s.kid, Algorithm: string(s.alg), Use: "sig"},
	}}
}

// JWKSHandler serves JWKS to GET and HEAD, the jwks_uri of OpenID
// Connect Discovery §3 and RFC 8414 §2; other methods get 405.
func (s *TokenSigner) JWKSHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		WriteJSON(w, http.StatusOK, s.JWKS())
	})
}
