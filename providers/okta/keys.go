package okta

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/json"
	"errors"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

// generateKeyPair makes an RSA key pair for private_key_jwt: the private
// key becomes the stored secret; its public key, as the JWK that the
// app's Client Credentials → Public Keys → Add key dialog asks for (the
// copy key copies it), is what the admin registers. The PEM is shown too.
func generateKeyPair() (providers.Generated, error) {
	key, err := flows.GenerateKey()
	if err != nil {
		return providers.Generated{}, err
	}
	priv, err := flows.PrivateKeyPEM(key)
	if err != nil {
		return providers.Generated{}, err
	}
	jwk, err := publicJWK(key)
	if err != nil {
		return providers.Generated{}, err
	}
	pub, err := flows.PublicKeyPEM(key)
	if err != nil {
		return providers.Generated{}, err
	}
	return providers.Generated{Value: priv, Show: []providers.Artifact{
		{Label: "Public key (JWK) to paste under Client Credentials → Public Keys → Add key", Text: jwk, Copy: true},
		{Label: "The same public key as PEM", Text: pub},
	}}, nil
}

// publicJWK is the key's public JWK as JSON, marked for signatures.
func publicJWK(key *rsa.PrivateKey) (string, error) {
	jwk, err := flows.PublicJWK(key)
	if err != nil {
		return "", err
	}
	jwk.Use = "sig"
	jwk.Algorithm = "RS256"
	b, err := json.Marshal(jwk)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// validPrivateKey accepts an RSA or EC private key in PEM: Okta verifies
// client assertions signed with RS256, RS384, RS512, ES256, ES384 or
// ES512.
func validPrivateKey(s string) error {
	k, err := flows.ParsePrivateKeyPEM(s)
	if err != nil {
		return err
	}
	switch k.(type) {
	case *rsa.PrivateKey, *ecdsa.PrivateKey:
		return nil
	}
	return errors.New("the private key is neither RSA nor EC: Okta verifies client assertions signed with RS256–RS512 or ES256–ES512 (openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048)")
}
