package oauthtest

import (
	"crypto"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// DPoP proofs (RFC 9449): the token endpoint binds a token to the key of
// a valid proof (cnf.jkt, kept as Grant.JKT) and answers token_type DPoP;
// AuthorizeResource demands a proof by the same key, for the same token,
// on every use of it. With Options.DPoPNonce both demand the server's
// nonce (RFC 9449 §8, §9). Errors are RFC 9449's, with Okta's wording
// where Okta documents one (shared/providers/okta-duo-auth0.md §1.8).

// dpopAlgs are the proof algorithms accepted: asymmetric only (RFC 9449
// §4.3: "not none ... not a MAC").
var dpopAlgs = []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.ES512, jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512}

const (
	// dpopMaxAge is how old a proof's iat may be; dpopLeeway how far in
	// the future.
	dpopMaxAge = 5 * time.Minute
	dpopLeeway = 30 * time.Second
)

// dpopState is the server's nonces: the current one and the one before,
// which is still accepted (Okta honours an old nonce for three days).
type dpopState struct {
	nonce, previous string
}

type proofClaims struct {
	ID       string `json:"jti"`
	Method   string `json:"htm"`
	URI      string `json:"htu"`
	IssuedAt *int64 `json:"iat"`
	ATH      string `json:"ath"`
	Nonce    string `json:"nonce"`
}

// proofError is a refused proof: invalid_dpop_proof, or use_dpop_nonce
// with the nonce to use.
type proofError struct {
	code, desc, nonce string
}

func badProof(desc string) *proofError { return &proofError{code: "invalid_dpop_proof", desc: desc} }

// tokenError writes e as the token endpoint answers it (RFC 9449 §5, §8).
func (e *proofError) tokenError(w http.ResponseWriter) *oauthError {
	if e.nonce != "" {
		w.Header().Set("DPoP-Nonce", e.nonce)
	}
	return &oauthError{http.StatusBadRequest, e.code, e.desc, false}
}

// DPoPNonce returns the nonce the server now demands, making one if it
// has none yet.
func (s *Server) DPoPNonce() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nonceLocked()
}

func (s *Server) nonceLocked() string {
	if s.dpop.nonce == "" {
		s.dpop.nonce = randomToken("n-")
	}
	return s.dpop.nonce
}

// RotateDPoPNonce replaces the nonce; the one before it stays good until
// the next rotation.
func (s *Server) RotateDPoPNonce() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dpop.previous, s.dpop.nonce = s.nonceLocked(), randomToken("n-")
}

// checkProof verifies the DPoP proof of r (RFC 9449 §4.3), for
// accessToken when it is a request to a resource, and returns the JWK
// thumbprint of its key (RFC 7638).
func (s *Server) checkProof(r *http.Request, accessToken string) (string, *proofError) {
	values := r.Header.Values("DPoP")
	switch {
	case len(values) == 0:
		return "", badProof("The DPoP proof JWT header is missing.")
	case len(values) > 1:
		return "", badProof("the request carries more than one DPoP header")
	}
	tok, err := jwt.ParseSigned(values[0], dpopAlgs)
	if err != nil || len(tok.Headers) != 1 {
		return "", badProof("the DPoP proof is not a JWT signed with an asymmetric algorithm")
	}
	h := tok.Headers[0]
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != "dpop+jwt" {
		return "", badProof(`the DPoP proof's typ is not "dpop+jwt"`)
	}
	if h.JSONWebKey == nil || !h.JSONWebKey.IsPublic() || !h.JSONWebKey.Valid() {
		return "", badProof("the DPoP proof's header has no public jwk")
	}
	var c proofClaims
	if err := tok.Claims(h.JSONWebKey.Key, &c); err != nil {
		return "", badProof("the DPoP proof's signature does not verify with its jwk")
	}
	jkt, err := h.JSONWebKey.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", badProof("the DPoP proof's jwk has no thumbprint")
	}
	thumb := base64.RawURLEncoding.EncodeToString(jkt)
	now := s.opts.Now()
	switch {
	case c.ID == "":
		return "", badProof("the DPoP proof has no jti")
	case c.Method != r.Method:
		return "", badProof("the DPoP proof's htm is not the request's method")
	case !sameHTU(c.URI, issuer(r)+r.URL.EscapedPath()):
		return "", badProof("the DPoP proof's htu is not the request's URL")
	case c.IssuedAt == nil:
		return "", badProof("the DPoP proof has no iat")
	case time.Unix(*c.IssuedAt, 0).Before(now.Add(-dpopMaxAge)) || time.Unix(*c.IssuedAt, 0).After(now.Add(dpopLeeway)):
		return "", badProof("the DPoP proof's iat is not within the acceptable window")
	case accessToken != "" && subtle.ConstantTimeCompare([]byte(c.ATH), []byte(s256(accessToken))) != 1:
		return "", badProof("'ath' claim in the DPoP proof does not match the presented access_token.")
	}
	if s.opts.DPoPNonce {
		s.mu.Lock()
		current, previous := s.nonceLocked(), s.dpop.previous
		s.mu.Unlock()
		if c.Nonce == "" || c.Nonce != current && c.Nonce != previous {
			return "", &proofError{code: "use_dpop_nonce", desc: "Authorization server requires nonce in DPoP proof.", nonce: current}
		}
	}
	// A jti is unique per key; a proof is good until it is too old.
	if !s.replay.Use("dpop\x00"+thumb, c.ID, now.Add(dpopMaxAge+dpopLeeway), now) {
		return "", badProof("the DPoP proof's jti was already used")
	}
	return thumb, nil
}

// sameHTU compares a proof's htu with the request's URL after syntax- and
// scheme-based normalization (RFC 9449 §4.3, RFC 3986 §6), ignoring the
// htu's query and fragment.
func sameHTU(htu, request string) bool {
	a, err1 := url.Parse(htu)
	b, err2 := url.Parse(request)
	if err1 != nil || err2 != nil || !a.IsAbs() {
		return false
	}
	norm := func(u *url.URL) string {
		host := strings.ToLower(u.Host)
		switch scheme := strings.ToLower(u.Scheme); {
		case scheme == "https" && strings.HasSuffix(host, ":443"), scheme == "http" && strings.HasSuffix(host, ":80"):
			host = host[:strings.LastIndexByte(host, ':')]
		}
		p := u.EscapedPath()
		if p == "" {
			p = "/"
		}
		return strings.ToLower(u.Scheme) + "://" + host + p
	}
	return norm(a) == norm(b)
}

// tokenProof checks the proof of a token request, if it carries one, and
// returns the thumbprint the token is to be bound to ("" for none).
func (s *Server) tokenProof(w http.ResponseWriter, r *http.Request) (string, *oauthError) {
	if len(r.Header.Values("DPoP")) == 0 {
		return "", nil // a bearer token request; a client that needs DPoP is refused later
	}
	jkt, pe := s.checkProof(r, "")
	if pe != nil {
		return "", pe.tokenError(w)
	}
	return jkt, nil
}

// respond answers a token request: the refusal, or the token, bound to
// the proof's key when the request had one (RFC 9449 §5).
func (s *Server) respond(w http.ResponseWriter, body map[string]any, oe *oauthError, jkt string) {
	if oe != nil {
		oe.write(w)
		return
	}
	if jkt != "" {
		s.mu.Lock()
		if at, _ := body["access_token"].(string); s.access[at] != nil {
			s.access[at].JKT = jkt
		}
		if rt, _ := body["refresh_token"].(string); s.refresh[rt] != nil {
			s.refresh[rt].jkt = jkt
		}
		s.mu.Unlock()
		body["token_type"] = "DPoP"
	}
	writeJSON(w, http.StatusOK, body)
}

// dpopRequired refuses a token request without a proof from a client
// that must have its tokens bound, and a refresh of a bound refresh token
// with another key's proof (RFC 9449 §5).
func (s *Server) dpopRequired(c Client, p url.Values, jkt string) *oauthError {
	if c.DPoP && jkt == "" {
		return &oauthError{http.StatusBadRequest, "invalid_dpop_proof", "The DPoP proof JWT header is missing.", false}
	}
	if p.Get("grant_type") != "refresh_token" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if rs, ok := s.refresh[p.Get("refresh_token")]; ok && rs.jkt != "" && rs.jkt != jkt {
		return invalidGrant("the refresh token is bound to another DPoP key")
	}
	return nil
}

// AuthorizeResource checks the access token of a request to a protected
// resource, and answers a refusal itself: a bearer token with
// "Authorization: Bearer" (RFC 6750 §2.1); a DPoP-bound one only with
// "Authorization: DPoP" and a valid proof by its key, for this token
// (ath), and with the server's nonce when Options.DPoPNonce (RFC 9449
// §7, §9). A refusal is 401 with WWW-Authenticate naming the error.
func (s *Server) AuthorizeResource(w http.ResponseWriter, r *http.Request) (Grant, bool) {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	challenge := func(scheme, code, desc, nonce string) (Grant, bool) {
		if nonce != "" {
			w.Header().Set("DPoP-Nonce", nonce)
		}
		v := scheme + ` realm="oauthtest"`
		if scheme == "DPoP" {
			v = `DPoP algs="ES256 ES384 ES512 RS256 RS384 RS512 PS256 PS384 PS512"`
		}
		if code != "" {
			v += `, error="` + code + `", error_description="` + desc + `"`
		}
		w.Header().Set("WWW-Authenticate", v)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": code, "error_description": desc})
		return Grant{}, false
	}
	dpop := strings.EqualFold(scheme, "DPoP")
	if !dpop && !strings.EqualFold(scheme, "Bearer") || token == "" {
		return challenge("Bearer", "invalid_request", "the request has no access token", "")
	}
	scheme = "Bearer"
	if dpop {
		scheme = "DPoP"
	}
	g, ok := s.Lookup(token)
	switch {
	case !ok:
		return challenge(scheme, "invalid_token", "the access token is invalid or expired", "")
	case g.JKT != "" && !dpop:
		return challenge("DPoP", "invalid_token", "The resource request must use the DPoP authentication scheme when using a DPoP bound token.", "")
	case g.JKT == "" && dpop:
		return challenge("DPoP", "invalid_token", "the access token is not bound to a DPoP key", "")
	case !dpop:
		return g, true
	}
	jkt, pe := s.checkProof(r, token)
	switch {
	case pe != nil:
		return challenge("DPoP", pe.code, pe.desc, pe.nonce)
	case jkt != g.JKT:
		return challenge("DPoP", "invalid_dpop_proof", "the DPoP proof is not signed by the key the token is bound to", "")
	}
	return g, true
}

// userinfo is a protected resource (OpenID Connect Core §5.3): it says
// whom the token stands for.
func (s *Server) userinfo(w http.ResponseWriter, r *http.Request) {
	g, ok := s.AuthorizeResource(w, r)
	if !ok {
		return
	}
	sub := g.Subject
	if sub == "" {
		sub = g.ClientID
	}
	writeJSON(w, http.StatusOK, map[string]any{"sub": sub, "client_id": g.ClientID, "scope": strings.Join(g.Scopes, " ")})
}
