package salesforce

import (
	"crypto/rsa"
	"errors"
	"time"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

// certificateValidity is how long the generated certificate is valid: an
// External Client App refuses JWTs signed by a key whose certificate has
// expired, so it is long, and the admin rotates it by running setup again.
const certificateValidity = 2 * 365 * 24 * time.Hour

// generateCertificate makes an RSA key and a self-signed certificate for
// it: the key becomes the stored secret, the certificate is what the
// admin uploads under the app's OAuth Settings → Use digital signatures.
func generateCertificate() (providers.Generated, error) {
	key, err := flows.GenerateKey()
	if err != nil {
		return providers.Generated{}, err
	}
	priv, err := flows.PrivateKeyPEM(key)
	if err != nil {
		return providers.Generated{}, err
	}
	cert, err := flows.SelfSignedCertificate(key, "tether", time.Now(), certificateValidity)
	if err != nil {
		return providers.Generated{}, err
	}
	return providers.Generated{Value: priv, Show: []providers.Artifact{
		{Label: "Certificate (PEM) to upload: save it as tether.crt, then OAuth Settings → Use digital signatures", Text: cert, Copy: true, Noun: "certificate"},
	}}, nil
}

// validPrivateKey accepts an RSA private key in PEM: Salesforce verifies
// JWT bearer assertions signed with RS256 only.
func validPrivateKey(s string) error {
	k, err := flows.ParsePrivateKeyPEM(s)
	if err != nil {
		return err
	}
	if _, ok := k.(*rsa.PrivateKey); !ok {
		return errors.New("the private key is not RSA: Salesforce verifies JWT bearer assertions signed with RS256, which needs an RSA key (openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048)")
	}
	return nil
}
