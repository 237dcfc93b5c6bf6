package googletest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/tetherdev/tether/flows/oauthtest"
)

// certAuthority issues the certificates of the service accounts' keys.
// Google's are self-signed by each key; the emulator holds public keys
// only, so it signs them with a key of its own: a client reads the
// certificate's key and dates, not its issuer.
type certAuthority struct {
	key   *ecdsa.PrivateKey
	mu    sync.Mutex
	cache map[string]string // key id → PEM
}

func newCertAuthority() *certAuthority {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic("googletest: " + err.Error()) // crypto/rand does not fail
	}
	return &certAuthority{key: k, cache: map[string]string{}}
}

// certificate is the PEM certificate of k, valid from its creation for
// ten years, as Google issues user-managed keys.
func (c *certAuthority) certificate(email string, k Key) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.cache[k.ID]; ok {
		return p, nil
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: email}, Issuer: pkix.Name{CommonName: email},
		NotBefore: k.Created.UTC().Truncate(time.Second), NotAfter: k.Created.UTC().AddDate(10, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	parent := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "googletest"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, k.Public, c.key)
	if err != nil {
		return "", err
	}
	p := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	c.cache[k.ID] = p
	return p, nil
}

// x509 serves a service account's public certificates, without
// authentication: {"<key id>": "-----BEGIN CERTIFICATE-----…"}. An
// unknown account is a 404.
func (s *Server) x509(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	path := strings.TrimPrefix(strings.TrimPrefix(r.URL.EscapedPath(), "/robot/v1/metadata/x509/"), "/service_accounts/v1/metadata/x509/")
	email, err := url.PathUnescape(path)
	if err != nil {
		notFound(w, r)
		return
	}
	s.mu.Lock()
	sa, ok := s.serviceAccountLocked(email)
	s.mu.Unlock()
	if !ok {
		oauthtest.WriteJSON(w, http.StatusNotFound, map[string]any{"error": map[string]any{
			"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}})
		return
	}
	out := map[string]string{}
	for _, k := range sa.Keys {
		p, err := s.certs.certificate(sa.Email, k)
		if err != nil {
			http.Error(w, "certificate", http.StatusInternalServerError)
			return
		}
		out[k.ID] = p
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	oauthtest.WriteJSON(w, http.StatusOK, out)
}
