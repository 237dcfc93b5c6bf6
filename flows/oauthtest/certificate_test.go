package oauthtest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net/url"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

func selfSigned(t *testing.T, key *rsa.PrivateKey) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "tether"},
		NotBefore: start.Add(-time.Minute), NotAfter: start.Add(365 * 24 * time.Minute)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// signedWith signs client assertion claims for "cert" with key and the
// given x5t#S256 header (none when nil).
func signedWith(t *testing.T, key *rsa.PrivateKey, x5t any, aud string) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if x5t != nil {
		opts = opts.WithHeader("x5t#S256", x5t)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.PS256, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jwt.Signed(signer).Claims(jwt.Claims{Issuer: "cert", Subject: "cert", Audience: jwt.Audience{aud},
		ID: rand.Text(), IssuedAt: jwt.NewNumericDate(start), Expiry: jwt.NewNumericDate(start.Add(5 * time.Minute))}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func thumb(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// TestCertificateAssertions: a client registered with certificates, as
// Entra registers them, must name the signing one by x5t#S256.
func TestCertificateAssertions(t *testing.T) {
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	cert, otherCert := selfSigned(t, rsaKey), selfSigned(t, other)
	r := newRig(t, Options{Clients: []Client{{ID: "cert", Certificates: []*x509.Certificate{cert}}}})
	tokenURL := r.URL + "/token"
	for _, tc := range []struct {
		name   string
		jwt    string
		status int
	}{
		{"names its certificate", signedWith(t, rsaKey, thumb(cert), tokenURL), 200},
		{"names no certificate", signedWith(t, rsaKey, nil, tokenURL), 401},
		{"names an unregistered certificate", signedWith(t, other, thumb(otherCert), tokenURL), 401},
		{"names the certificate, signed by another key", signedWith(t, other, thumb(cert), tokenURL), 401},
		{"x5t#S256 not a string", signedWith(t, rsaKey, 42, tokenURL), 401},
	} {
		a := post(t, tokenURL, url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {AssertionType}, "client_assertion": {tc.jwt}})
		if a.status != tc.status || tc.status == 401 && a.err() != "invalid_client" {
			t.Errorf("%s: %d %v, want %d", tc.name, a.status, a.body, tc.status)
		}
	}
}
