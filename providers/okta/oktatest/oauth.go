package oktatest

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/tetherdev/tether/flows/oauthtest"
)

// tokenLifetime is fixed at one hour for service apps (§1.8).
const tokenLifetime = time.Hour

// The DPoP proof window: how old a proof's iat may be, and how far ahead.
const (
	proofMaxAge = 5 * time.Minute
	proofLeeway = 30 * time.Second
)

var proofAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.ES256, jose.ES384, jose.ES512, jose.PS256}

// oauthServers is the org authorization server of every org: the tokens
// it issued and the DPoP nonce it demands.
type oauthServers struct {
	s      *Server
	replay oauthtest.ReplayCache

	mu     sync.Mutex
	tokens map[string]issued
	nonce  string
}

// issued is what an access token stands for.
type issued struct {
	org, clientID string
	scopes        []string
	jkt           string // the DPoP key's thumbprint; "" for a bearer token
	expiry        time.Time
}

func newOAuthServers(s *Server) *oauthServers {
	return &oauthServers{s: s, tokens: map[string]issued{}, nonce: randomString(24)}
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DPoPNonce is the nonce the token endpoint demands with Options.DPoPNonce.
func (s *Server) DPoPNonce() string {
	s.oauth.mu.Lock()
	defer s.oauth.mu.Unlock()
	return s.oauth.nonce
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	oauthtest.WriteJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// Token-endpoint errors, word for word from Okta's catalog (§1.8).
const (
	descBadClient      = "Client authentication failed. Either the client or the client credentials are invalid."
	descNoCredentials  = "No client credentials found."
	descSignature      = "The client_assertion signature is invalid."
	descExpired        = "The client_assertion token is expired."
	descReplayed       = "The client_assertion token has already been used."
	descAudience       = "The audience claim for client_assertion must be the endpoint invoked for the request."
	descOnlyJWT        = "Client Credentials requests to the Org Authorization Server must use the private_key_jwt token_endpoint_auth_method."
	descInvalidScope   = "The requested scope is invalid, unknown, malformed, or exceeds the scope granted by the resource owner."
	descNoScopes       = "No scopes were requested."
	descProofMissing   = "The DPoP proof JWT header is missing."
	descNonceRequired  = "Authorization server requires nonce in DPoP proof."
	descResourceScheme = "The resource request must use the DPoP authentication scheme when using a DPoP bound token."
	descResourceProof  = "The resource request requires a DPoP proof."
	descATH            = "'ath' claim in the DPoP proof does not match the presented access_token."
)

// token is POST /oauth2/v1/token: client credentials for a service app,
// authenticated by a private_key_jwt assertion whose aud is this very
// endpoint, for okta.* scopes granted to the app, DPoP-bound when the app
// requires it (with the nonce handshake when Options.DPoPNonce).
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		oauthError(w, http.StatusMethodNotAllowed, "invalid_request", "The endpoint does not support the provided HTTP method")
		return
	}
	o, ok := s.orgFor(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" || r.ParseForm() != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "The request body must be application/x-www-form-urlencoded.")
		return
	}
	p := r.PostForm
	noStore(w)
	if gt := p.Get("grant_type"); gt != "client_credentials" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "The authorization grant type is not supported by the authorization server. Configured grant types: [client_credentials].")
		return
	}
	assertion := p.Get("client_assertion")
	switch {
	case p.Get("client_secret") != "" || r.Header.Get("Authorization") != "":
		oauthError(w, http.StatusUnauthorized, "invalid_client", descOnlyJWT)
		return
	case assertion == "":
		oauthError(w, http.StatusUnauthorized, "invalid_client", descNoCredentials)
		return
	case p.Get("client_assertion_type") != oauthtest.AssertionType:
		oauthError(w, http.StatusBadRequest, "invalid_request", "The client_assertion_type must be "+oauthtest.AssertionType+".")
		return
	}
	sub, err := oauthtest.AssertionSubject(assertion)
	if err != nil {
		oauthError(w, http.StatusUnauthorized, "invalid_client", descBadClient)
		return
	}
	i := slices.IndexFunc(o.ServiceApps, func(a ServiceApp) bool { return a.ClientID == sub })
	if i < 0 || (p.Get("client_id") != "" && p.Get("client_id") != sub) {
		oauthError(w, http.StatusUnauthorized, "invalid_client", descBadClient)
		return
	}
	app := o.ServiceApps[i]
	now := s.opts.Now()
	check := oauthtest.AssertionCheck{Audiences: []string{"https://" + r.Host + "/oauth2/v1/token"}, Now: now,
		Leeway: 30 * time.Second, MaxLifetime: time.Hour, OptionalJTI: true, Replay: &s.oauth.replay}
	if _, err := check.Verify(assertion, app.ClientID, app.PublicKeys); err != nil {
		oauthError(w, http.StatusUnauthorized, "invalid_client", assertionDescription(err))
		return
	}
	scopes := strings.Fields(p.Get("scope"))
	if len(scopes) == 0 {
		oauthError(w, http.StatusBadRequest, "invalid_scope", descNoScopes)
		return
	}
	for _, sc := range scopes {
		if !slices.Contains(app.Scopes, sc) {
			oauthError(w, http.StatusBadRequest, "invalid_scope", descInvalidScope)
			return
		}
	}
	jkt := ""
	if r.Header.Get("DPoP") != "" || app.DPoP {
		var code, desc string
		if jkt, code, desc = s.oauth.checkProof(r, "", s.opts.DPoPNonce, now); code != "" {
			if code == "use_dpop_nonce" {
				w.Header().Set("DPoP-Nonce", s.DPoPNonce())
			}
			oauthError(w, http.StatusBadRequest, code, desc)
			return
		}
	}
	tok := randomString(32)
	s.oauth.mu.Lock()
	s.oauth.tokens[tok] = issued{org: o.Domain, clientID: app.ClientID, scopes: scopes, jkt: jkt, expiry: now.Add(tokenLifetime)}
	s.oauth.mu.Unlock()
	typ := "Bearer"
	if jkt != "" {
		typ = "DPoP"
	}
	oauthtest.WriteJSON(w, http.StatusOK, map[string]any{"token_type": typ, "expires_in": int(tokenLifetime.Seconds()),
		"access_token": tok, "scope": strings.Join(scopes, " ")})
}

func noStore(w http.ResponseWriter) { oauthtest.NoStore(w.Header()) }

// assertionDescription maps a refused assertion to Okta's description.
func assertionDescription(err error) string {
	switch {
	case errors.Is(err, oauthtest.ErrAssertionSignature):
		return descSignature
	case errors.Is(err, oauthtest.ErrAssertionExpired):
		return descExpired
	case errors.Is(err, oauthtest.ErrAssertionReplayed):
		return descReplayed
	case errors.Is(err, oauthtest.ErrAssertionAudience):
		return descAudience
	}
	return "The client_assertion token is invalid: " + err.Error()
}

type proofClaims struct {
	ID       string `json:"jti"`
	Method   string `json:"htm"`
	URI      string `json:"htu"`
	IssuedAt *int64 `json:"iat"`
	ATH      string `json:"ath"`
	Nonce    string `json:"nonce"`
}

// checkProof verifies the DPoP proof of r (RFC 9449 §4.3) and returns its
// key's thumbprint, or the error code and description to answer: for a
// token request, with the nonce demanded when withNonce (the nonce is
// sent in the DPoP-Nonce header by the caller's answer); for a resource,
// with ath the hash of accessToken.
func (a *oauthServers) checkProof(r *http.Request, accessToken string, withNonce bool, now time.Time) (jkt, code, desc string) {
	values := r.Header.Values("DPoP")
	if len(values) != 1 {
		if accessToken != "" {
			return "", "invalid_request", descResourceProof
		}
		return "", "invalid_dpop_proof", descProofMissing
	}
	bad := func(d string) (string, string, string) { return "", "invalid_dpop_proof", d }
	tok, err := jwt.ParseSigned(values[0], proofAlgs)
	if err != nil || len(tok.Headers) != 1 {
		return bad("The DPoP proof JWT is malformed.")
	}
	h := tok.Headers[0]
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != "dpop+jwt" {
		return bad("The DPoP proof JWT header 'typ' must be 'dpop+jwt'.")
	}
	if h.JSONWebKey == nil || !h.JSONWebKey.IsPublic() || !h.JSONWebKey.Valid() {
		return bad("The DPoP proof JWT header 'jwk' is missing or not a public key.")
	}
	var c proofClaims
	if err := tok.Claims(h.JSONWebKey.Key, &c); err != nil {
		return bad("The DPoP proof JWT signature is invalid.")
	}
	thumb, err := h.JSONWebKey.Thumbprint(crypto.SHA256)
	if err != nil {
		return bad("The DPoP proof JWT header 'jwk' has no thumbprint.")
	}
	htu := "https://" + r.Host + r.URL.EscapedPath()
	switch {
	case c.ID == "":
		return bad("The DPoP proof JWT has no 'jti'.")
	case c.Method != r.Method:
		return bad("The DPoP proof 'htm' claim does not match the request method.")
	case strings.SplitN(strings.SplitN(c.URI, "?", 2)[0], "#", 2)[0] != htu:
		return bad("The DPoP proof 'htu' claim does not match the request URL.")
	case c.IssuedAt == nil || time.Unix(*c.IssuedAt, 0).Before(now.Add(-proofMaxAge)) || time.Unix(*c.IssuedAt, 0).After(now.Add(proofLeeway)):
		return bad("The DPoP proof 'iat' claim is not within the allowed window.")
	case accessToken != "" && subtle.ConstantTimeCompare([]byte(c.ATH), []byte(s256(accessToken))) != 1:
		return bad(descATH)
	}
	if withNonce && accessToken == "" {
		a.mu.Lock()
		nonce := a.nonce
		a.mu.Unlock()
		if c.Nonce != nonce {
			return "", "use_dpop_nonce", descNonceRequired
		}
	}
	if !a.replay.Use("dpop\x00"+string(thumb), c.ID, now.Add(proofMaxAge+proofLeeway), now) {
		return bad("The DPoP proof 'jti' was already used.")
	}
	return base64.RawURLEncoding.EncodeToString(thumb), "", ""
}

func s256(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// authorizeResource checks an OAuth access token presented to the
// management API: known, unexpired, of this org; a DPoP-bound one only
// with the DPoP scheme and a proof by its key for this token (§1.8).
func (a *oauthServers) authorizeResource(w http.ResponseWriter, r *http.Request, o Org) (caller, bool) {
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	a.mu.Lock()
	t, ok := a.tokens[tok]
	a.mu.Unlock()
	now := a.s.opts.Now()
	if !ok || t.org != o.Domain || !now.Before(t.expiry) {
		w.Header().Set("WWW-Authenticate", `Bearer authorization_uri="https://`+r.Host+`/oauth2/v1/authorize", realm="https://`+r.Host+`", error="invalid_token", error_description="The token is not valid."`)
		oktaError(w, http.StatusUnauthorized, "E0000011", "")
		return caller{}, false
	}
	if t.jkt != "" {
		if scheme != "DPoP" {
			oauthError(w, http.StatusBadRequest, "invalid_request", descResourceScheme)
			return caller{}, false
		}
		jkt, code, desc := a.checkProof(r, tok, false, now)
		if code == "" && jkt != t.jkt {
			code, desc = "invalid_dpop_proof", "The DPoP proof was not signed by the key the access token is bound to."
		}
		if code != "" {
			oauthError(w, http.StatusBadRequest, code, desc)
			return caller{}, false
		}
	} else if scheme != "Bearer" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "The access token is not DPoP-bound: use the Bearer scheme.")
		return caller{}, false
	}
	return caller{id: t.clientID, oauth: true, scopes: t.scopes}, true
}
