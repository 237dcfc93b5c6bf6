package flows

import (
	"crypto"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/tetherdev/tether/flows/oauthtest"
)

const certClientID = "tether-entra"

// certificate is a self-signed certificate of a key other than testKey's.
func certificate(t *testing.T) (*x509.Certificate, string) {
	t.Helper()
	key, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return certificateOf(t, key)
}

// certificateOf is a self-signed certificate of key, parsed and in PEM.
func certificateOf(t *testing.T, key crypto.Signer) (*x509.Certificate, string) {
	t.Helper()
	certPEM, err := SelfSignedCertificate(key, "tether", epoch, 365*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ParseCertificatePEM(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	return cert, certPEM
}

// TestCertificateAssertion: an assertion made with a certificate carries
// its x5t#S256, which a client registered with certificates (Entra's
// way) needs; without it the same key is refused.
func TestCertificateAssertion(t *testing.T) {
	key := testKey(t)
	cert, _ := certificateOf(t, key)
	srv, clk := startServer(t, oauthtest.Options{Clients: []oauthtest.Client{{ID: certClientID, Certificates: []*x509.Certificate{cert}}}})
	c := Client{Endpoints: endpointsOf(srv), ClientID: certClientID}

	c.Assertion = &Assertion{Key: key, Algorithm: "PS256", Certificate: cert, Now: clk.Now}
	tok, err := c.ClientCredentialsToken(bounded(t))
	if err != nil {
		t.Fatalf("ClientCredentialsToken() with the certificate = %v", err)
	}
	if g, ok := srv.Lookup(tok.AccessToken); !ok || g.ClientID != certClientID {
		t.Errorf("token for %+v, want %s", g, certClientID)
	}

	c.Assertion = &Assertion{Key: key, Algorithm: "PS256", Now: clk.Now}
	_, err = c.ClientCredentialsToken(bounded(t))
	var te *TokenError
	if !errors.As(err, &te) || te.Status != 401 || te.Code != "invalid_client" {
		t.Errorf("ClientCredentialsToken() without the certificate = %v, want 401 invalid_client", err)
	}
}

func TestAssertionCertificateHeader(t *testing.T) {
	key := testKey(t)
	cert, certPEM := certificate(t) // another key's certificate
	_, want, err := CertificateThumbprints(certPEM)
	if err != nil || CertificateThumbprintS256(cert) != want {
		t.Fatalf("CertificateThumbprintS256() = %q, CertificateThumbprints() = %q, %v", CertificateThumbprintS256(cert), want, err)
	}
	if _, err := (Assertion{Key: key, Certificate: cert}).Sign("c"); err == nil || !strings.Contains(err.Error(), "not the private key's") {
		t.Errorf("Sign() with another key's certificate = %v, want a refusal", err)
	}

	ownCert, _ := certificateOf(t, key)
	s, err := (Assertion{Key: key, Certificate: ownCert, Audience: "https://login.example.com/token", Now: func() time.Time { return epoch }}).Sign("c")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.ParseSigned(s, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.Headers[0].ExtraHeaders["x5t#S256"]; got != CertificateThumbprintS256(ownCert) {
		t.Errorf("x5t#S256 = %v, want %s", got, CertificateThumbprintS256(ownCert))
	}
	var claims jwt.Claims
	if err := tok.Claims(key.Public(), &claims); err != nil || claims.Issuer != "c" || claims.Subject != "c" || claims.ID == "" {
		t.Errorf("claims = %+v, %v", claims, err)
	}
}

func TestParseCertificatePEM(t *testing.T) {
	_, certPEM := certificate(t)
	for _, tc := range []struct {
		name, in string
		ok       bool
	}{
		{"PEM", certPEM, true},
		{"flattened", strings.ReplaceAll(strings.TrimSpace(certPEM), "\n", " "), true},
		{"a key, not a certificate", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", false},
		{"garbage", "not a certificate", false},
	} {
		if _, err := ParseCertificatePEM(tc.in); (err == nil) != tc.ok {
			t.Errorf("%s: ParseCertificatePEM() = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}
