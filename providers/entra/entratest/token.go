package entratest

import (
	"crypto"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
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

// tokenLifetime is an app-only token's lifetime (expires_in 3599, §1.2.3).
const tokenLifetime = 3599 * time.Second

const maxBody = 64 << 10

// oidcScopes are the scopes MSAL adds to every request, which Entra
// ignores beside .default for app-only tokens (§1.2.1).
var oidcScopes = []string{"openid", "offline_access", "profile"}

func (s *Server) discovery(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	t := s.tenantLocked(r.Host, r.PathValue("tenant"))
	var id string
	if t != nil {
		id = t.ID
	}
	s.mu.Unlock()
	if t == nil {
		aadError(w, s.opts.Now(), http.StatusBadRequest, "invalid_tenant", 90002, "Tenant '"+r.PathValue("tenant")+"' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.")
		return
	}
	base := "https://" + r.Host + "/" + id
	oauthtest.WriteJSON(w, http.StatusOK, map[string]any{
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"jwks_uri":                              base + "/discovery/v2.0/keys",
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"issuer":                                base + "/v2.0",
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"device_authorization_endpoint":         base + "/oauth2/v2.0/devicecode",
		"tenant_region_scope":                   "EU",
	})
}

func (s *Server) keys(w http.ResponseWriter, r *http.Request) { s.tokens.JWKSHandler().ServeHTTP(w, r) }

// token is the v2.0 token endpoint (§1.2).
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	now := s.opts.Now()
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		aadError(w, now, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		aadError(w, now, http.StatusBadRequest, "invalid_request", 9002313, "Invalid request. Request is malformed or invalid.")
		return
	}
	p := r.PostForm
	s.mu.Lock()
	t := s.tenantLocked(r.Host, r.PathValue("tenant"))
	var tenant Tenant
	if t != nil {
		tenant = cloneTenants([]Tenant{*t})[0]
	}
	s.mu.Unlock()
	if t == nil {
		aadError(w, now, http.StatusBadRequest, "invalid_request", 90002, "Tenant '"+r.PathValue("tenant")+"' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.")
		return
	}
	switch gt := p.Get("grant_type"); gt {
	case "client_credentials":
		s.clientCredentials(w, r, tenant, p, now)
	case "authorization_code":
		s.redeemCode(w, tenant, p, now)
	case "device_code", oauthtest.DeviceGrantType:
		s.deviceToken(w, tenant, p.Get("client_id"), p.Get("device_code"), now)
	case "":
		aadError(w, now, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
	default:
		aadError(w, now, http.StatusBadRequest, "unsupported_grant_type", 70003, "The app requested an unsupported grant type '"+gt+"'.")
	}
}

// clientCredentials answers the client credentials grant: the client is
// authenticated by secret (body or Basic) or by a certificate assertion,
// and the token's roles are the app's role assignments that have had
// ConsentLag to reach tokens.
func (s *Server) clientCredentials(w http.ResponseWriter, r *http.Request, t Tenant, p url.Values, now time.Time) {
	clientID, secret := p.Get("client_id"), p.Get("client_secret")
	if u, pw, ok := r.BasicAuth(); ok {
		if secret != "" {
			aadError(w, now, http.StatusBadRequest, "invalid_request", 9002313, "Invalid request. Request is malformed or invalid.")
			return
		}
		u1, e1 := url.QueryUnescape(u)
		p1, e2 := url.QueryUnescape(pw)
		if e1 != nil || e2 != nil {
			aadError(w, now, http.StatusBadRequest, "invalid_request", 9002313, "Invalid request. Request is malformed or invalid.")
			return
		}
		clientID, secret = u1, p1
	}
	if clientID == "" {
		aadError(w, now, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.")
		return
	}
	cloud := cloudByID(t.Cloud)
	scopes := slices.DeleteFunc(strings.Fields(p.Get("scope")), func(sc string) bool { return slices.Contains(oidcScopes, sc) })
	switch {
	case len(scopes) == 0:
		aadError(w, now, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'scope'.")
		return
	case len(scopes) > 1:
		aadError(w, now, http.StatusBadRequest, "invalid_scope", 1002012, "The provided value for scope "+strings.Join(scopes, " ")+" is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).")
		return
	case !strings.HasSuffix(scopes[0], "/.default"):
		aadError(w, now, http.StatusBadRequest, "invalid_scope", 1002012, "The provided value for scope "+scopes[0]+" is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).")
		return
	}
	resource := strings.TrimSuffix(scopes[0], "/.default")
	if resource != "https://"+cloud.Graph && resource != GraphAppID {
		aadError(w, now, http.StatusBadRequest, "invalid_resource", 500011, "The resource principal named "+resource+" was not found in the tenant named "+t.ID+". This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.")
		return
	}
	assertion := p.Get("client_assertion")
	if assertion != "" && secret != "" {
		aadError(w, now, http.StatusBadRequest, "invalid_request", 9002313, "Invalid request. Request is malformed or invalid.")
		return
	}
	app := t.app(clientID)
	if app == nil {
		aadError(w, now, http.StatusBadRequest, "unauthorized_client", 700016, "Application with identifier '"+clientID+"' was not found in the directory '"+t.ID+"'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.")
		return
	}
	if app.SPID == "" {
		aadError(w, now, http.StatusBadRequest, "invalid_client", 7000229, "The client application "+app.AppID+" is missing service principal in the tenant "+t.ID+".")
		return
	}
	acr := "1"
	switch {
	case assertion != "":
		if p.Get("client_assertion_type") != oauthtest.AssertionType {
			aadError(w, now, http.StatusBadRequest, "invalid_request", 9002313, "Invalid request. Request is malformed or invalid: client_assertion_type must be "+oauthtest.AssertionType+".")
			return
		}
		tokenURL := "https://" + r.Host + "/" + r.PathValue("tenant") + "/oauth2/v2.0/token"
		auds := []string{tokenURL, "https://" + r.Host + "/" + t.ID + "/oauth2/v2.0/token"}
		if n, msg := s.checkAssertion(app, assertion, auds, now); n != 0 {
			aadError(w, now, http.StatusUnauthorized, "invalid_client", n, msg)
			return
		}
		acr = "2"
	case secret != "":
		if n, msg := checkSecret(app, secret, now); n != 0 {
			aadError(w, now, http.StatusUnauthorized, "invalid_client", n, msg)
			return
		}
	default:
		aadError(w, now, http.StatusUnauthorized, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
		return
	}
	var roles []string
	s.mu.Lock()
	withheld := slices.Clone(s.withheld)
	s.mu.Unlock()
	for _, a := range app.Assigned {
		if !now.Before(a.Created.Add(s.opts.ConsentLag)) && !slices.Contains(withheld, a.Role) {
			roles = append(roles, a.Role)
		}
	}
	tok, err := s.mint(t, *app, cloud, roles, acr, now)
	if err != nil {
		aadError(w, now, http.StatusInternalServerError, "server_error", 90100, "An internal error has occurred.")
		return
	}
	oauthtest.NoStore(w.Header())
	oauthtest.WriteJSON(w, http.StatusOK, map[string]any{
		"token_type": "Bearer", "expires_in": int(tokenLifetime.Seconds()), "ext_expires_in": int(tokenLifetime.Seconds()),
		"access_token": tok,
	})
}

// checkSecret finds the secret among the app's password credentials.
func checkSecret(app *App, secret string, now time.Time) (int, string) {
	sum := sha256.Sum256([]byte(secret))
	digest := hex.EncodeToString(sum[:])
	for _, sc := range app.Secrets {
		if subtle.ConstantTimeCompare([]byte(sc.Digest()), []byte(digest)) != 1 {
			continue
		}
		if !now.Before(sc.End) {
			return 7000222, "The provided client secret keys for app '" + app.AppID + "' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds."
		}
		return 0, ""
	}
	return 7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '" + app.AppID + "'."
}

// thumbprintMatches compares a JWS thumbprint header with sum, accepting
// base64url (RFC 7515) and the standard base64 MSAL Go sends (§1.2.2).
func thumbprintMatches(header string, sum []byte) bool {
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding, base64.StdEncoding, base64.RawStdEncoding} {
		if subtle.ConstantTimeCompare([]byte(enc.EncodeToString(sum)), []byte(header)) == 1 {
			return true
		}
	}
	return false
}

// checkAssertion verifies a certificate assertion (certificate-
// credentials.md): the header names a registered certificate by
// x5t#S256 (or x5t, SHA-1, as older clients send), RS256 or PS256
// signed by its key, iss = sub = client id, aud the token endpoint, a
// live exp at most an hour away, and a fresh jti.
func (s *Server) checkAssertion(app *App, assertion string, auds []string, now time.Time) (int, string) {
	tok, err := jwt.ParseSigned(assertion, []jose.SignatureAlgorithm{jose.RS256, jose.PS256})
	if err != nil || len(tok.Headers) != 1 {
		return 50027, "JWT token is invalid or malformed."
	}
	h := tok.Headers[0].ExtraHeaders
	s256, _ := h["x5t#S256"].(string)
	s1, _ := h["x5t"].(string)
	var cert *x509.Certificate
	for _, c := range app.Certificates {
		sum256, sum1 := sha256.Sum256(c.Raw), sha1.Sum(c.Raw)
		if (s256 != "" && thumbprintMatches(s256, sum256[:])) || (s256 == "" && s1 != "" && thumbprintMatches(s1, sum1[:])) {
			cert = c
		}
	}
	if cert == nil {
		return 700027, "Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of key used by client: '" + s256 + s1 + "']"
	}
	if now.After(cert.NotAfter) {
		return 700027, "Client assertion contains an invalid signature. [Reason - The key used is expired.]"
	}
	check := oauthtest.AssertionCheck{Audiences: auds, Now: now, Leeway: 5 * time.Minute, MaxLifetime: time.Hour,
		Algorithms: []jose.SignatureAlgorithm{jose.RS256, jose.PS256}, Replay: &s.replay}
	_, err = check.Verify(assertion, app.AppID, []crypto.PublicKey{cert.PublicKey})
	switch {
	case err == nil:
		return 0, ""
	case errors.Is(err, oauthtest.ErrAssertionSignature):
		return 700027, "Client assertion contains an invalid signature. [Reason - The provided signature value did not match the expected signature value.]"
	case errors.Is(err, oauthtest.ErrAssertionAudience):
		return 700021, "Client assertion audience claim does not match Realm issuer. Review the documentation at https://aka.ms/certCreds ."
	case errors.Is(err, oauthtest.ErrAssertionSubject):
		return 700023, "Client assertion subject or issuer does not match the client id."
	case errors.Is(err, oauthtest.ErrAssertionExpired), errors.Is(err, oauthtest.ErrAssertionNotYetValid), errors.Is(err, oauthtest.ErrAssertionLifetime):
		return 700024, "Client assertion is not within its valid time range."
	case errors.Is(err, oauthtest.ErrAssertionReplayed):
		return 7000274, "The client assertion's jti has already been used. A new assertion is needed for every request."
	}
	return 50027, "JWT token is invalid or malformed."
}

// accessClaims are a Graph app-only token's claims (§1.2.4).
type accessClaims struct {
	jwt.Claims
	AppID       string   `json:"appid"`
	AppIDACR    string   `json:"appidacr"`
	DisplayName string   `json:"app_displayname,omitempty"`
	IDType      string   `json:"idtyp"`
	OID         string   `json:"oid"`
	Roles       []string `json:"roles,omitempty"`
	TenantID    string   `json:"tid"`
	Version     string   `json:"ver"`
	WIDs        []string `json:"wids,omitempty"`
	Scp         string   `json:"scp,omitempty"` // delegated tokens only
	UPN         string   `json:"upn,omitempty"`
}

func (s *Server) mint(t Tenant, app App, cloud Cloud, roles []string, acr string, now time.Time) (string, error) {
	return s.tokens.Mint(accessClaims{
		Claims: jwt.Claims{
			Issuer: cloud.Issuer + t.ID + "/", Subject: app.SPID, Audience: jwt.Audience{"https://" + cloud.Graph},
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(tokenLifetime)),
		},
		AppID: app.AppID, AppIDACR: acr, DisplayName: app.DisplayName, IDType: "app", OID: app.SPID,
		Roles: roles, TenantID: t.ID, Version: "1.0", WIDs: []string{"0997a1d0-0d1d-4acb-b408-d5ca73121e90"},
	})
}
