package flows

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// DPoPProofType is the typ of a DPoP proof's header (RFC 9449 §4.2).
const DPoPProofType = "dpop+jwt"

// DPoP demonstrates possession of a key pair (RFC 9449), so that the
// tokens issued to it are bound to the key and useless to anyone who
// copies them. It signs a fresh proof for each request: a JWT whose
// header carries the public key (jwk), with the request's method (htm)
// and URL without query and fragment (htu), the time (iat), a unique id
// (jti), the access token's hash (ath) on requests to a resource, and the
// server's latest nonce. It keeps one nonce per origin, since the
// authorization server and each resource server choose their own (RFC
// 9449 §8, §9).
//
// Set it as Client.DPoP for token requests, and authorize the requests to
// the resource with Authorizer, passing each answer to Observe. Its
// methods are safe for concurrent use.
type DPoP struct {
	key crypto.Signer
	alg string
	jwk jose.JSONWebKey
	jkt string
	now func() time.Time

	mu     sync.Mutex
	nonces map[string]string // origin → nonce
}

// NewDPoP returns a DPoP that proves possession of key, an ECDSA (ES256,
// ES384, ES512 by curve) or RSA (RS256) private key, on the clock now (nil
// means time.Now).
func NewDPoP(key crypto.Signer, now func() time.Time) (*DPoP, error) {
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
	case *rsa.PrivateKey:
		if k.N.BitLen() < 2048 {
			return nil, errors.New("a DPoP RSA key needs at least 2048 bits")
		}
	default:
		return nil, errors.New("a DPoP key is an ECDSA or RSA private key")
	}
	jkt, err := Thumbprint(key.Public())
	if err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	alg := DefaultAlgorithm(key)
	return &DPoP{key: key, alg: alg, jwk: jose.JSONWebKey{Key: key.Public(), Algorithm: alg, Use: "sig"},
		jkt: jkt, now: now, nonces: map[string]string{}}, nil
}

// GenerateDPoP returns a DPoP with a new P-256 key (ES256), the
// algorithm every DPoP server supports. Keep it for as long as the tokens
// it binds are used.
func GenerateDPoP(now func() time.Time) (*DPoP, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	return NewDPoP(key, now)
}

// Thumbprint is the key's JWK SHA-256 thumbprint (RFC 7638), the jkt a
// bound token carries in its cnf claim (RFC 9449 §6).
func (d *DPoP) Thumbprint() string { return d.jkt }

// proofClaims are the claims of a DPoP proof (RFC 9449 §4.2).
type proofClaims struct {
	ID       string `json:"jti"`
	Method   string `json:"htm"`
	URI      string `json:"htu"`
	IssuedAt int64  `json:"iat"`
	ATH      string `json:"ath,omitempty"`
	Nonce    string `json:"nonce,omitempty"`
}

// Proof returns a fresh proof for a request with method to rawURL, with
// the latest nonce of its origin, and with ath when accessToken is set
// (a request to a resource, RFC 9449 §7).
func (d *DPoP) Proof(method, rawURL, accessToken string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("a DPoP proof needs an absolute URL, not %q", rawURL)
	}
	c := proofClaims{ID: rand.Text(), Method: method, URI: htu(u), IssuedAt: d.now().Unix(), Nonce: d.nonce(u)}
	if accessToken != "" {
		c.ATH = AccessTokenHash(accessToken)
	}
	opts := (&jose.SignerOptions{EmbedJWK: true}).WithType(DPoPProofType)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(d.alg), Key: d.key}, opts)
	if err != nil {
		return "", fmt.Errorf("cannot sign a DPoP proof: %w", err)
	}
	s, err := jwt.Signed(signer).Claims(c).Serialize()
	if err != nil {
		return "", fmt.Errorf("signing a DPoP proof: %w", err)
	}
	return s, nil
}

// AccessTokenHash is a DPoP proof's ath: the base64url SHA-256 of the
// access token (RFC 9449 §4.2).
func AccessTokenHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// htu is a URL as a proof names it: without query and fragment (RFC 9449
// §4.2), nor user info, with scheme and host in lower case.
func htu(u *url.URL) string {
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host) + p
}

func origin(u *url.URL) string { return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host) }

func (d *DPoP) nonce(u *url.URL) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.nonces[origin(u)]
}

// noteNonce keeps a nonce the server at u sent, in any answer (RFC 9449
// §8.2: a server may send a new one at any time). A value that is not a
// nonce (RFC 9449 §8.1: NQCHAR only) is ignored.
func (d *DPoP) noteNonce(u *url.URL, h http.Header) string {
	n := h.Get("DPoP-Nonce")
	if n == "" || !validNonce(n) {
		return ""
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.nonces[origin(u)] = n
	return n
}

// validNonce: nonce = 1*NQCHAR, NQCHAR = %x21 / %x23-5B / %x5D-7E.
func validNonce(n string) bool {
	if n == "" || len(n) > 1024 {
		return false
	}
	for i := 0; i < len(n); i++ {
		if c := n[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// Authorizer returns the hook that authorizes a request to a resource
// with a DPoP-bound access token (RFC 9449 §7.1): "Authorization: DPoP
// <token>" and a fresh DPoP proof with ath and the latest nonce. Call it
// again on every retry: a proof is good for one request.
func (d *DPoP) Authorizer(accessToken string) func(*http.Request) error {
	return func(req *http.Request) error {
		proof, err := d.Proof(req.Method, req.URL.String(), accessToken)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "DPoP "+accessToken)
		req.Header.Set("DPoP", proof)
		return nil
	}
}

// Observe reads a resource server's answer to a request Authorizer
// authorized: it keeps the nonce the server sent, and reports whether to
// retry, which is when the server demanded a nonce the request did not
// carry (401 with WWW-Authenticate: DPoP error="use_dpop_nonce" and a
// DPoP-Nonce, RFC 9449 §9). It never reports a retry twice for the same
// nonce, so a server that keeps refusing ends the retries.
func (d *DPoP) Observe(resp *http.Response) (retry bool) {
	if resp == nil || resp.Request == nil || resp.Request.URL == nil {
		return false
	}
	n := d.noteNonce(resp.Request.URL, resp.Header)
	if n == "" || resp.StatusCode != http.StatusUnauthorized {
		return false
	}
	demanded := false
	for _, ch := range ParseChallenges(resp.Header.Values("WWW-Authenticate")) {
		if strings.EqualFold(ch.Scheme, "DPoP") && ch.Params["error"] == "use_dpop_nonce" {
			demanded = true
		}
	}
	if !demanded {
		return false
	}
	sent, err := parseProofClaims(resp.Request.Header.Get("DPoP"))
	return err != nil || sent.Nonce != n
}

// parseProofClaims reads the claims of a DPoP proof without verifying
// it: the proofs read are this package's own, on their way back.
func parseProofClaims(proof string) (proofClaims, error) {
	var c proofClaims
	parts := strings.Split(proof, ".")
	if len(parts) != 3 {
		return c, errors.New("a DPoP proof is a compact JWS of three parts")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return c, errors.New("the DPoP proof's payload is not base64url")
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return c, errors.New("the DPoP proof's payload is not its claims")
	}
	return c, nil
}
