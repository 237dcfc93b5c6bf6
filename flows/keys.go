package flows

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// GenerateKey returns a new RSA 2048 key for private_key_jwt: RSA because
// Auth0 and Entra verify client assertions signed RS256. Keep it with
// PrivateKeyPEM in a Secret; register PublicJWK or SelfSignedCertificate
// with the provider.
func GenerateKey() (*rsa.PrivateKey, error) {
	return rsa.GenerateKey(rand.Reader, 2048)
}

// PrivateKeyPEM encodes a private key as a PKCS #8 PEM block, which
// ParsePrivateKeyPEM reads back.
func PrivateKeyPEM(key crypto.Signer) (string, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", fmt.Errorf("encoding the private key: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}

// PublicJWK returns the public half of key as a JWK (RFC 7517) for
// signatures with the key's default algorithm, whose kid is its RFC 7638
// thumbprint: the same key always gets the same kid. Use the kid as the
// Assertion's KeyID.
func PublicJWK(key crypto.Signer) (jose.JSONWebKey, error) {
	jwk := jose.JSONWebKey{Key: key.Public(), Use: "sig", Algorithm: DefaultAlgorithm(key)}
	if !jwk.Valid() {
		return jose.JSONWebKey{}, errors.New("the key is neither RSA nor ECDSA")
	}
	kid, err := Thumbprint(key.Public())
	if err != nil {
		return jose.JSONWebKey{}, err
	}
	jwk.KeyID = kid
	return jwk, nil
}

// Thumbprint returns the RFC 7638 SHA-256 thumbprint of a public key,
// base64url without padding.
func Thumbprint(pub crypto.PublicKey) (string, error) {
	tp, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("computing the key thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}

// SelfSignedCertificate returns a self-signed X.509 certificate for key,
// in PEM, valid from now for validity, naming commonName: what Microsoft
// Entra takes as a certificate credential.
func SelfSignedCertificate(key crypto.Signer, commonName string, now time.Time, validity time.Duration) (string, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             now.Add(-5 * time.Minute), // forgive a little clock skew
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return "", fmt.Errorf("creating the certificate: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), nil
}

// CertificateThumbprints returns the x5t (SHA-1) and x5t#S256 (SHA-256)
// thumbprints of a PEM certificate (RFC 7515 §4.1.7, §4.1.8), base64url
// without padding, as JWS headers carry them.
func CertificateThumbprints(certPEM string) (x5t, x5tS256 string, err error) {
	block, _ := pem.Decode([]byte(certPEM))
	if block == nil || block.Type != "CERTIFICATE" {
		return "", "", errors.New("not a PEM certificate: expect a block starting with -----BEGIN CERTIFICATE-----")
	}
	if _, err := x509.ParseCertificate(block.Bytes); err != nil {
		return "", "", fmt.Errorf("the certificate does not parse: %w", err)
	}
	s1 := sha1.Sum(block.Bytes)
	s256 := sha256.Sum256(block.Bytes)
	return base64.RawURLEncoding.EncodeToString(s1[:]), base64.RawURLEncoding.EncodeToString(s256[:]), nil
}

// PublicKeyPEM encodes the public half of key as a PKIX PEM block
// ("-----BEGIN PUBLIC KEY-----"), the form most consoles take for upload.
func PublicKeyPEM(key crypto.Signer) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return "", fmt.Errorf("encoding the public key: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
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

// ParseCertificatePEM parses one X.509 certificate in PEM, as
// SelfSignedCertificate writes it, for Assertion.Certificate.
func ParseCertificatePEM(data string) (*x509.Certificate, error) {
	block, _ := pem.Decode([]byte(unflattenPEM(strings.TrimSpace(data))))
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("not a PEM certificate: expect a block starting with -----BEGIN CERTIFICATE-----")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("the certificate does not parse: %w", err)
	}
	return cert, nil
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
