package entra

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

// certificateLifetime is how long a certificate tether generates is
// valid; Entra accepts up to what the certificate says.
const certificateLifetime = 365 * 24 * time.Hour

// keyPair is a private key and the certificate registered for it.
type keyPair struct {
	key  crypto.Signer
	cert *x509.Certificate
}

// parseKeyPair reads a PEM holding one private key and one certificate,
// in either order, and checks that they belong together. Errors never
// quote the input.
func parseKeyPair(s string) (keyPair, error) {
	rest := []byte(strings.TrimSpace(s))
	var keyPEM, certPEM string
	for len(rest) > 0 {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		enc := string(pem.EncodeToMemory(b))
		switch {
		case b.Type == "CERTIFICATE" && certPEM == "":
			certPEM = enc
		case strings.HasSuffix(b.Type, "PRIVATE KEY") && keyPEM == "":
			keyPEM = enc
		case b.Type == "CERTIFICATE" || strings.HasSuffix(b.Type, "PRIVATE KEY"):
			return keyPair{}, fmt.Errorf("the PEM holds more than one %s: give the one key and the one certificate uploaded to the app", strings.ToLower(b.Type))
		}
	}
	if keyPEM == "" || certPEM == "" {
		return keyPair{}, errors.New("give the private key and its certificate in one PEM (-----BEGIN PRIVATE KEY----- and -----BEGIN CERTIFICATE----- blocks): Entra finds the key by the certificate's thumbprint")
	}
	key, err := flows.ParsePrivateKeyPEM(keyPEM)
	if err != nil {
		return keyPair{}, err
	}
	if _, ok := key.(*rsa.PrivateKey); !ok {
		return keyPair{}, errors.New("the private key is not RSA: Entra verifies client assertions signed with RS256 or PS256, which need an RSA key")
	}
	cert, err := flows.ParseCertificatePEM(certPEM)
	if err != nil {
		return keyPair{}, err
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok || !pub.Equal(key.Public()) {
		return keyPair{}, errors.New("the certificate is not the private key's: upload and give the certificate made from this key")
	}
	return keyPair{key: key, cert: cert}, nil
}

func validCertificate(s string) error {
	_, err := parseKeyPair(s)
	return err
}

// generateCertificate makes an RSA key and a self-signed certificate for
// it: the PEM of both becomes the stored secret, and the certificate
// alone is what the admin uploads.
func generateCertificate() (providers.Generated, error) {
	key, err := flows.GenerateKey()
	if err != nil {
		return providers.Generated{}, err
	}
	priv, err := flows.PrivateKeyPEM(key)
	if err != nil {
		return providers.Generated{}, err
	}
	cert, err := flows.SelfSignedCertificate(key, "tether", time.Now(), certificateLifetime)
	if err != nil {
		return providers.Generated{}, err
	}
	return providers.Generated{Value: priv + cert, Show: []providers.Artifact{
		{Label: "Certificate to upload under Certificates & secrets → Certificates (save it as tether.cer)", Text: cert, Copy: true, Noun: "certificate"},
	}}, nil
}
