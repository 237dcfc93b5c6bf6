package flows

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"
)

func TestGeneratedKeyRoundTrips(t *testing.T) {
	key := testKey(t)
	if key.N.BitLen() != 2048 {
		t.Errorf("key size %d, want 2048", key.N.BitLen())
	}
	p, err := PrivateKeyPEM(key)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParsePrivateKeyPEM(p)
	if err != nil || !key.Equal(back) {
		t.Fatalf("ParsePrivateKeyPEM(PrivateKeyPEM(k)) = %v", err)
	}
}

// TestPublicJWK: the kid is the RFC 7638 thumbprint, computed here by
// hand: SHA-256 of {"e":…,"kty":"RSA","n":…} with the members in order.
func TestPublicJWK(t *testing.T) {
	key := testKey(t)
	jwk, err := PublicJWK(key)
	if err != nil {
		t.Fatal(err)
	}
	b64 := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
	canonical := `{"e":"` + b64(big.NewInt(int64(key.E)).Bytes()) + `","kty":"RSA","n":"` + b64(key.N.Bytes()) + `"}`
	sum := sha256.Sum256([]byte(canonical))
	if jwk.KeyID != b64(sum[:]) {
		t.Errorf("kid = %s, want the RFC 7638 thumbprint %s", jwk.KeyID, b64(sum[:]))
	}
	out, _ := json.Marshal(jwk)
	var m map[string]any
	_ = json.Unmarshal(out, &m)
	if m["kty"] != "RSA" || m["alg"] != "RS256" || m["use"] != "sig" || m["d"] != nil {
		t.Errorf("JWK = %s", out)
	}
}

func TestSelfSignedCertificate(t *testing.T) {
	key := testKey(t)
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	certPEM, err := SelfSignedCertificate(key, "tether", now, 365*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode([]byte(certPEM))
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if cert.Subject.CommonName != "tether" || !cert.NotAfter.Equal(now.Add(365*24*time.Hour)) || cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature) != nil {
		t.Errorf("certificate = %v %v", cert.Subject, cert.NotAfter)
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		t.Error("the certificate is not for the key")
	}
	x5t, x5tS256, err := CertificateThumbprints(certPEM)
	s1, s256 := sha1.Sum(block.Bytes), sha256.Sum256(block.Bytes)
	if err != nil || x5t != base64.RawURLEncoding.EncodeToString(s1[:]) || x5tS256 != base64.RawURLEncoding.EncodeToString(s256[:]) {
		t.Errorf("CertificateThumbprints = %s, %s, %v", x5t, x5tS256, err)
	}
	if _, _, err := CertificateThumbprints("junk"); err == nil {
		t.Error("CertificateThumbprints(junk) succeeded")
	}
}

func TestParsePrivateKeyPEMFlattened(t *testing.T) {
	key, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	p, _ := PrivateKeyPEM(key)
	flat := strings.Join(strings.Fields(p), " ")
	for _, in := range []string{p, flat, "  " + flat + "  "} {
		if _, err := ParsePrivateKeyPEM(in); err != nil {
			t.Errorf("ParsePrivateKeyPEM(%.40q…) = %v", in, err)
		}
	}
	pub, err := PublicKeyPEM(key)
	if err != nil || !strings.HasPrefix(pub, "-----BEGIN PUBLIC KEY-----") {
		t.Errorf("PublicKeyPEM = %.40q, %v", pub, err)
	}
}
