package auth0test

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/tetherdev/tether/flows/oauthtest"
)

// tokenLifetime is the Management API's default token lifetime (§3.1:
// 86,400 seconds).
const tokenLifetime = 24 * time.Hour

// assertionAlgs are the client assertion algorithms Auth0 accepts: RS256,
// RS384 and PS256 (§3.2, auth0-cli; the dashboard offers the same).
var assertionAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.PS256}

// maxBody bounds a token or device request body.
const maxBody = 64 << 10

// tokenParams reads an Authentication API request as a form or as JSON;
// both are accepted (authentication-api-oas.json).
func tokenParams(r *http.Request) (url.Values, error) {
	r.Body = http.MaxBytesReader(nil, r.Body, maxBody) // nil: no ResponseWriter to mark

	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return nil, err
		}
		return r.PostForm, nil
	case "application/json":
		var m map[string]any
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			return nil, err
		}
		v := url.Values{}
		for k, x := range m {
			if s, ok := x.(string); ok {
				v.Set(k, s)
			}
		}
		return v, nil
	}
	return nil, fmt.Errorf("unsupported content type %q", mt)
}

// authnRequest reads a request to the Authentication API: its tenant
// (404 for an unknown host) and its parameters (400 for a body that does
// not parse). It answers the failure itself and returns false then.
func (s *Server) authnRequest(w http.ResponseWriter, r *http.Request) (Tenant, url.Values, bool) {
	t, ok := s.tenantFor(r)
	if !ok {
		http.NotFound(w, r)
		return Tenant{}, nil, false
	}
	p, err := tokenParams(r)
	if err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "Invalid request body")
		return Tenant{}, nil, false
	}
	return t, p, true
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	t, p, ok := s.authnRequest(w, r)
	if !ok {
		return
	}
	switch gt := p.Get("grant_type"); gt {
	case "client_credentials":
		s.clientCredentials(w, r, t, p)
	case oauthtest.DeviceGrantType:
		s.deviceToken(w, r, t, p)
	case "":
		oauthError(w, http.StatusBadRequest, "invalid_request", "Missing required parameter: grant_type")
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "Unsupported grant type: "+gt)
	}
}

// notAllowed answers a client whose application does not have the grant
// type enabled. Status UNVERIFIED (§3.2); the body is observed.
func notAllowed(w http.ResponseWriter, grant string) {
	oauthError(w, http.StatusForbidden, "unauthorized_client", "Grant type '"+grant+"' not allowed for the client.")
}

// clientCredentials is the client credentials grant (§3.2).
func (s *Server) clientCredentials(w http.ResponseWriter, r *http.Request, t Tenant, p url.Values) {
	clientID := p.Get("client_id")
	if clientID == "" && p.Get("client_assertion") == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "Missing required parameter: client_id")
		return
	}
	client, found := s.client(t, clientID)
	if p.Get("client_assertion") != "" {
		if p.Get("client_secret") != "" {
			oauthError(w, http.StatusBadRequest, "invalid_request", "client_secret and client_assertion cannot be used together")
			return
		}
		if p.Get("client_assertion_type") != oauthtest.AssertionType {
			oauthError(w, http.StatusBadRequest, "invalid_request", "Invalid client_assertion_type: expected "+oauthtest.AssertionType)
			return
		}
		if !found {
			s.badSecret(w)
			return
		}
		if msg := s.checkAssertion(r, client, p.Get("client_assertion")); msg != "" {
			oauthError(w, http.StatusUnauthorized, "invalid_client", msg)
			return
		}
	} else {
		secret := p.Get("client_secret")
		if !found || client.Secret == "" || subtle.ConstantTimeCompare([]byte(secret), []byte(client.Secret)) != 1 {
			s.badSecret(w)
			return
		}
	}
	if !slices.Contains(client.grantTypes(), "client_credentials") {
		notAllowed(w, "client_credentials")
		return
	}
	aud := p.Get("audience")
	if aud == "" {
		// No default audience is configured in the emulated tenants.
		oauthError(w, http.StatusForbidden, "access_denied", "No audience parameter was provided, and no default audience has been configured")
		return
	}
	if aud != t.Audience() {
		// A Management API audience on a custom domain is not a service of
		// the tenant: "use the default tenant domain for the audience".
		oauthError(w, http.StatusForbidden, "access_denied", "Service not found: "+aud)
		return
	}
	granted, ok := client.Grants[aud]
	if !ok {
		oauthError(w, http.StatusForbidden, "access_denied", fmt.Sprintf(
			"Client is not authorized to access %q. You need to create a %q associated to this API. See: https://auth0.com/docs/api/v2#!/Client_Grants/post_client_grants",
			aud, "client-grant"))
		return
	}
	scopes := granted
	if req := strings.Fields(p.Get("scope")); len(req) > 0 {
		var notGranted []string
		for _, sc := range req {
			if !slices.Contains(granted, sc) {
				notGranted = append(notGranted, sc)
			}
		}
		if len(notGranted) > 0 {
			oauthError(w, http.StatusForbidden, "access_denied", "Client has not been granted scopes: "+strings.Join(notGranted, ", "))
			return
		}
		scopes = req
	}
	tok, err := s.mint(r, client.ID+"@clients", client.ID, []string{aud}, scopes, "client-credentials")
	if err != nil {
		oauthError(w, http.StatusInternalServerError, "server_error", "could not mint a token")
		return
	}
	writeToken(w, tok, scopes)
}

func writeToken(w http.ResponseWriter, tok string, scopes []string) {
	oauthtest.NoStore(w.Header())
	oauthtest.WriteJSON(w, http.StatusOK, map[string]any{
		"access_token": tok,
		"expires_in":   int(tokenLifetime.Seconds()),
		"scope":        strings.Join(scopes, " "),
		"token_type":   "Bearer",
	})
}

func (s *Server) badSecret(w http.ResponseWriter) {
	if s.opts.BadSecret == BadSecretInvalidClient {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed")
		return
	}
	oauthError(w, http.StatusUnauthorized, "access_denied", "Unauthorized")
}

func (s *Server) client(t Tenant, id string) (Client, bool) {
	for _, c := range t.Clients {
		if c.ID == id {
			return c, true
		}
	}
	return Client{}, false
}

// checkAssertion verifies a private_key_jwt assertion through the kit:
// a registered key's RS256, RS384 or PS256 signature, iss = sub =
// client_id, aud = https://{host called}/ (what go-auth0 sends, §3.2), a
// live exp at most 10 minutes away (go-auth0 sends 2), and a jti not
// seen before. It returns the refusal, or "". The descriptions are
// UNVERIFIED: the contract records the 401 invalid_client, not the
// texts.
func (s *Server) checkAssertion(r *http.Request, c Client, assertion string) string {
	wantAud := issuer(r)
	check := oauthtest.AssertionCheck{Audiences: []string{wantAud}, Now: s.opts.Now(), Leeway: 30 * time.Second,
		MaxLifetime: 10 * time.Minute, Algorithms: assertionAlgs, Replay: &s.replay}
	_, err := check.Verify(assertion, c.ID, c.PublicKeys)
	const prefix = "Invalid client_assertion: "
	switch {
	case err == nil:
		return ""
	case errors.Is(err, oauthtest.ErrAssertionMalformed):
		return prefix + "malformed JWT, or not signed with RS256, RS384 or PS256"
	case errors.Is(err, oauthtest.ErrAssertionSignature):
		return prefix + "signature verification failed"
	case errors.Is(err, oauthtest.ErrAssertionSubject):
		return prefix + "iss and sub must be the client_id"
	case errors.Is(err, oauthtest.ErrAssertionExpired):
		return prefix + "the assertion has expired or has no exp"
	case errors.Is(err, oauthtest.ErrAssertionNotYetValid):
		return prefix + "the assertion is not valid yet"
	case errors.Is(err, oauthtest.ErrAssertionLifetime):
		return prefix + "exp is too far in the future"
	case errors.Is(err, oauthtest.ErrAssertionAudience):
		return prefix + "audience must be " + wantAud
	case errors.Is(err, oauthtest.ErrAssertionNoJTI):
		return prefix + "jti is required"
	case errors.Is(err, oauthtest.ErrAssertionReplayed):
		return prefix + "jti has already been used"
	}
	return prefix + "the assertion could not be verified"
}

// tokenClaims are the claims of an Auth0 access token.
type tokenClaims struct {
	jwt.Claims
	Scope string `json:"scope"`
	Gty   string `json:"gty,omitempty"`
	Azp   string `json:"azp"`
}

// mint issues an access token through the host r reached: that host is
// its issuer, so the token is valid only there.
func (s *Server) mint(r *http.Request, sub, clientID string, aud, scopes []string, gty string) (string, error) {
	now := s.opts.Now()
	return s.tokens.Mint(tokenClaims{
		Claims: jwt.Claims{
			Issuer:   issuer(r),
			Subject:  sub,
			Audience: jwt.Audience(aud),
			IssuedAt: jwt.NewNumericDate(now),
			Expiry:   jwt.NewNumericDate(now.Add(tokenLifetime)),
			ID:       rand.Text(),
		},
		Scope: strings.Join(scopes, " "),
		Gty:   gty,
		Azp:   clientID,
	})
}
