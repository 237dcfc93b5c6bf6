package flows

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// AssertionType is the client_assertion_type of a JWT client assertion
// (RFC 7523 §2.2).
const AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// Assertion signs JWT client assertions (private_key_jwt, RFC 7523 §2.2
// and §3): iss and sub are the client id, aud the authorization server's
// expected audience, with a unique jti and a short lifetime.
type Assertion struct {
	Key       crypto.Signer
	Algorithm string // RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512; empty picks one for the key
	KeyID     string
	// Audience is the aud claim. Left empty, a Client sets it to the URL
	// of the endpoint the assertion is sent to (the token endpoint, OpenID
	// Connect Core §9; the device authorization endpoint for a device
	// code), which is what Okta requires.
	Audience string
	// Certificate, when set, is the X.509 certificate registered for Key,
	// as Microsoft Entra registers certificate credentials: its SHA-256
	// thumbprint goes in the JWS header as x5t#S256 (RFC 7515 §4.1.8),
	// which is how Entra finds the key. It must hold Key's public key.
	Certificate *x509.Certificate
	Lifetime    time.Duration // 0 means 2 minutes
	Now         func() time.Time
}

// Sign returns a signed assertion for clientID.
func (a Assertion) Sign(clientID string) (string, error) {
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if a.KeyID != "" {
		opts = opts.WithHeader(jose.HeaderKey("kid"), a.KeyID)
	}
	if a.Certificate != nil {
		if a.Key == nil || !samePublicKey(a.Certificate.PublicKey, a.Key.Public()) {
			return "", errors.New("the certificate of the client assertion is not the private key's: register the certificate made from this key")
		}
		opts = opts.WithHeader(jose.HeaderKey("x5t#S256"), CertificateThumbprintS256(a.Certificate))
	}
	signer, err := newSigner(a.Key, a.Algorithm, opts)
	if err != nil {
		return "", fmt.Errorf("cannot sign a client assertion: %w", err)
	}
	t := nowOf(a.Now)
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

// CertificateThumbprintS256 returns the x5t#S256 of a certificate: the
// base64url SHA-256 digest of its DER encoding (RFC 7515 §4.1.8).
func CertificateThumbprintS256(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// newSigner returns a JWS signer for key with alg, or the key's default
// algorithm when alg is empty. Errors never quote the key.
func newSigner(key crypto.Signer, alg string, opts *jose.SignerOptions) (jose.Signer, error) {
	if key == nil {
		return nil, errors.New("no private key")
	}
	if alg == "" {
		alg = DefaultAlgorithm(key)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: key}, opts)
	if err != nil {
		return nil, fmt.Errorf("%s does not work with this key (an RSA key signs RS*/PS*, an EC key ES*): %w", alg, err)
	}
	return s, nil
}

// samePublicKey reports whether two public keys are the same key.
func samePublicKey(a, b crypto.PublicKey) bool {
	k, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && k.Equal(b)
}

func nowOf(now func() time.Time) time.Time {
	if now != nil {
		return now()
	}
	return time.Now()
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
