package oauthtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// fuzzKeyPEM is a fixed P-256 key, so that assertions in the committed
// corpus stay signed by the registered key.
const fuzzKeyPEM = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgVN/FnmDeTr9EkdGf
wT2GW0sfdtXIJ0LMe/kQfzgf+c2hRANCAAQhL4P5OOc6hOr+UsqtgmFPqqSbnel+
I8FUr/l+QAiAv3CaQB4Wdz9smmx5AISSSL/v3HFp/WFVHxpiGnjlb4R4
-----END PRIVATE KEY-----
`

// fuzzNow is the emulator's fixed clock in FuzzClientAssertion.
var fuzzNow = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func fuzzKey(f *testing.F) *ecdsa.PrivateKey {
	block, _ := pem.Decode([]byte(fuzzKeyPEM))
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		f.Fatal(err)
	}
	return k.(*ecdsa.PrivateKey)
}

// FuzzClientAssertion: the emulator accepts a private_key_jwt assertion
// only when it is really signed by the client's registered key, names the
// client as iss and sub, this server as aud, expires within the hour and
// carries a jti; and never accepts the same one twice.
func FuzzClientAssertion(f *testing.F) {
	key := fuzzKey(f)
	const iss = "http://issuer.test"
	sign := func(c jwt.Claims) string {
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithType("JWT"))
		if err != nil {
			f.Fatal(err)
		}
		s, err := jwt.Signed(signer).Claims(c).Serialize()
		if err != nil {
			f.Fatal(err)
		}
		return s
	}
	good := jwt.Claims{Issuer: "jwt", Subject: "jwt", Audience: jwt.Audience{iss + "/token"},
		Expiry: jwt.NewNumericDate(fuzzNow.Add(5 * time.Minute)), IssuedAt: jwt.NewNumericDate(fuzzNow), ID: "jti-1"}
	f.Add(sign(good))
	bad := good
	bad.Issuer, bad.ID = "someone", "jti-2"
	f.Add(sign(bad))
	bad = good
	bad.Audience, bad.ID = jwt.Audience{"https://other.example"}, "jti-3"
	f.Add(sign(bad))
	f.Add("eyJhbGciOiJub25lIn0.eyJzdWIiOiJqd3QifQ.")
	f.Add("not.a.jwt")

	server := func() *Server {
		return New(Options{Now: func() time.Time { return fuzzNow },
			Clients: []Client{{ID: "jwt", PublicKeys: []crypto.PublicKey{key.Public()}}}})
	}
	// The good seed is accepted, so the properties below are exercised.
	if _, oe := server().authenticateAssertion(httptest.NewRequest("POST", iss+"/token", nil),
		url.Values{"client_assertion_type": {AssertionType}, "client_assertion": {sign(good)}}); oe != nil {
		f.Fatalf("the good seed is refused: %v", oe)
	}
	s := server()
	f.Fuzz(func(t *testing.T, assertion string) {
		r := httptest.NewRequest("POST", iss+"/token", nil)
		p := url.Values{"client_assertion_type": {AssertionType}, "client_assertion": {assertion}}
		c, oe := s.authenticateAssertion(r, p)
		if oe != nil {
			return
		}
		tok, err := jwt.ParseSigned(assertion, []jose.SignatureAlgorithm{jose.ES256})
		if err != nil {
			t.Fatalf("accepted an assertion that is not an ES256 JWT: %v", err)
		}
		var claims jwt.Claims
		if err := tok.Claims(key.Public(), &claims); err != nil {
			t.Fatalf("accepted an assertion whose signature does not verify: %v", err)
		}
		switch {
		case c.ID != "jwt" || claims.Issuer != "jwt" || claims.Subject != "jwt":
			t.Fatalf("accepted iss %q sub %q for client %q", claims.Issuer, claims.Subject, c.ID)
		case !slices.Contains(claims.Audience, iss) && !slices.Contains(claims.Audience, iss+"/token"):
			t.Fatalf("accepted aud %q", claims.Audience)
		case claims.Expiry == nil || !claims.Expiry.Time().After(fuzzNow.Add(-30*time.Second)) || claims.Expiry.Time().After(fuzzNow.Add(time.Hour)):
			t.Fatalf("accepted exp %v at %v", claims.Expiry, fuzzNow)
		case claims.ID == "":
			t.Fatalf("accepted an assertion without a jti")
		}
		if _, oe := s.authenticateAssertion(r, p); oe == nil {
			t.Fatalf("accepted the same assertion (jti %q) twice", claims.ID)
		}
	})
}
