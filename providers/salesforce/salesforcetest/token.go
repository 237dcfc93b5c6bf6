package salesforcetest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/tetherdev/tether/flows/oauthtest"
)

// maxBody bounds a token request body.
const maxBody = 64 << 10

// leeway is the clock skew allowed on an assertion's times.
const leeway = 3 * time.Minute

// oauthError answers a token endpoint refusal, {"error","error_description"}.
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	oauthtest.NoStore(w.Header())
	oauthtest.WriteJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// tokenParams reads a token request: a form, urlencoded or multipart (the
// Salesforce CLI sends multipart/form-data, §3.2).
func tokenParams(r *http.Request) (url.Values, error) {
	r.Body = http.MaxBytesReader(nil, r.Body, maxBody)
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return nil, err
		}
		return r.PostForm, nil
	case "multipart/form-data":
		if err := r.ParseMultipartForm(maxBody); err != nil {
			return nil, err
		}
		return url.Values(r.MultipartForm.Value), nil
	}
	return nil, errors.New("unsupported content type")
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	p, err := tokenParams(r)
	if err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "invalid request")
		return
	}
	for k, v := range p {
		if len(v) > 1 {
			oauthError(w, http.StatusBadRequest, "invalid_request", "duplicate parameter: "+k)
			return
		}
	}
	if p.Get("grant_type") == "" && p.Get("response_type") == "device_code" {
		s.deviceCode(w, r, p)
		return
	}
	switch p.Get("grant_type") {
	case "device":
		s.devicePoll(w, r, p)
	case oauthtest.JWTBearerGrantType:
		s.jwtBearer(w, r, p)
	case "authorization_code":
		s.authorizationCode(w, r, p)
	case "refresh_token":
		s.refreshToken(w, r, p)
	case "":
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant type not supported")
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant type not supported")
	}
}

// bearerClaims are the claims Salesforce reads from a JWT bearer
// assertion. exp is a number that may be in milliseconds (sfdx-core signs
// Date.now()+300, §3.6): a far future is tolerated.
type bearerClaims struct {
	Issuer   string           `json:"iss"`
	Subject  string           `json:"sub"`
	Audience jwt.Audience     `json:"aud"`
	Expiry   *jwt.NumericDate `json:"exp"`
	ID       string           `json:"jti"`
}

// jwtBearer answers the JWT bearer grant (§3.6): the app named by iss,
// the assertion signed by its certificate's key, aud the org's generic
// login host, exp not past, sub an active user the app pre-authorizes.
func (s *Server) jwtBearer(w http.ResponseWriter, r *http.Request, p url.Values) {
	raw := p.Get("assertion")
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "invalid assertion")
		return
	}
	var unsafe bearerClaims
	if err := tok.UnsafeClaimsWithoutVerification(&unsafe); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "invalid assertion")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	org, app := s.appByKeyLocked(r, unsafe.Issuer)
	if app == nil {
		oauthError(w, http.StatusBadRequest, "invalid_client_id", "client identifier invalid")
		return
	}
	var c bearerClaims
	verified := false
	for _, cert := range app.Certificates {
		if tok.Claims(cert.PublicKey, &c) == nil {
			verified = true
			break
		}
	}
	now := s.opts.Now()
	switch {
	case !verified:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "invalid assertion")
		return
	case !slices.Contains(c.Audience, "https://"+org.LoginHost()):
		oauthError(w, http.StatusBadRequest, "invalid_grant", "audience is invalid")
		return
	case c.Expiry == nil || c.Expiry.Time().Add(leeway).Before(now):
		oauthError(w, http.StatusBadRequest, "invalid_grant", "expired authorization code")
		return
	case c.ID != "" && !s.replay.Use(c.Issuer, c.ID, c.Expiry.Time().Add(leeway), now):
		oauthError(w, http.StatusBadRequest, "invalid_grant", "invalid assertion")
		return
	}
	i := slices.IndexFunc(org.Users, func(u User) bool { return u.Username == c.Subject })
	if i < 0 || org.Users[i].Inactive {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "authentication failure")
		return
	}
	u := org.Users[i]
	if !u.permitted(*app) || !app.AdminApproved {
		// The JWT bearer flow needs the user pre-authorized by an admin.
		oauthError(w, http.StatusBadRequest, "invalid_grant", "user hasn't approved this consumer")
		return
	}
	scopes := slices.DeleteFunc(slices.Clone(app.Scopes), func(sc string) bool { return sc == "refresh_token" || sc == "offline_access" })
	s.issueLocked(w, r, *org, *app, u, scopes, "")
}

// appByKeyLocked finds the app with consumer key key in an org the
// request's host reaches.
func (s *Server) appByKeyLocked(r *http.Request, key string) (*Org, *App) {
	for i := range s.orgs {
		if !reaches(r, s.orgs[i]) {
			continue
		}
		for j := range s.orgs[i].Apps {
			if key != "" && s.orgs[i].Apps[j].ConsumerKey == key {
				return &s.orgs[i], &s.orgs[i].Apps[j]
			}
		}
	}
	return nil, nil
}

// issueLocked answers a granted token request (§3.4): no expires_in,
// issued_at in epoch milliseconds as a string, the identity URL, and the
// signature, HMAC-SHA256 of id and issued_at keyed with the consumer
// secret.
func (s *Server) issueLocked(w http.ResponseWriter, r *http.Request, o Org, a App, u User, scopes []string, refresh string) {
	access := newAccessToken(o.ID)
	inst := instanceURL(r, o)
	s.sessions[access] = session{orgID: o.ID, userID: u.ID, appKey: a.ConsumerKey, scopes: scopes, host: hostOf(inst)}
	id := "https://" + o.LoginHost() + "/id/" + o.ID + "/" + u.ID
	issued := strconv.FormatInt(s.opts.Now().UnixMilli(), 10)
	mac := hmac.New(sha256.New, []byte(a.ConsumerSecret))
	mac.Write([]byte(id + issued))
	body := map[string]string{
		"access_token": access, "signature": base64.StdEncoding.EncodeToString(mac.Sum(nil)),
		"scope": joinScopes(scopes), "instance_url": inst, "id": id, "token_type": "Bearer", "issued_at": issued,
	}
	if refresh != "" {
		body["refresh_token"] = refresh
	}
	oauthtest.NoStore(w.Header())
	oauthtest.WriteJSON(w, http.StatusOK, body)
}

func hostOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

func joinScopes(scopes []string) string {
	out := ""
	for i, sc := range scopes {
		if i > 0 {
			out += " "
		}
		out += sc
	}
	return out
}
