package oauthtest

import (
	"crypto"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"

	"github.com/go-jose/go-jose/v4/jwt"
)

func (c Client) hasKeys() bool { return len(c.PublicKeys) > 0 || len(c.Certificates) > 0 }

// assertionKeys returns the keys that may verify a client assertion. An
// assertion that names a certificate by x5t#S256 (RFC 7515
// §4.1.8, base64url of the SHA-256 of its DER) is verified with that
// certificate's key alone; one that names none, with the registered
// public keys, and it must name one when the client has only
// certificates, as Entra requires.
func (c Client) assertionKeys(assertion string) ([]crypto.PublicKey, *oauthError) {
	tok, err := jwt.ParseSigned(assertion, assertionAlgs)
	if err != nil {
		return nil, invalidClient(ErrAssertionMalformed.Error(), false)
	}
	x5t, named := tok.Headers[0].ExtraHeaders["x5t#S256"]
	if !named {
		if len(c.PublicKeys) == 0 {
			return nil, invalidClient("the client assertion names no certificate: its header needs the x5t#S256 of a registered certificate", false)
		}
		return c.PublicKeys, nil
	}
	want, ok := x5t.(string)
	if !ok {
		return nil, invalidClient("the client assertion's x5t#S256 is not a string", false)
	}
	for _, cert := range c.Certificates {
		sum := sha256.Sum256(cert.Raw)
		if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(want)) == 1 {
			return []crypto.PublicKey{cert.PublicKey}, nil
		}
	}
	return nil, invalidClient("the certificate (x5t#S256) used to sign the client assertion is not registered for the client", false)
}
