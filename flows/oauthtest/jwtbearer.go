package oauthtest

import (
	"crypto"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// JWTBearerGrantType is the grant_type of RFC 7523 §2.1.
const JWTBearerGrantType = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// BearerIssuer may sign JWT authorization grants (RFC 7523 §2.1): a Google
// service account with domain-wide delegation, a Salesforce connected app
// with a certificate.
type BearerIssuer struct {
	// ID is the assertions' iss: a service account's e-mail address, a
	// connected app's consumer key.
	ID string
	// Keys verify its assertions, by key id: an assertion with a kid is
	// verified with that key alone, one without with each key.
	Keys map[string]crypto.PublicKey
	// Subjects are the users it may act as (sub). An assertion without a
	// sub acts as the issuer itself.
	Subjects []string
	// Scopes are what it may be granted (Google's domain-wide delegation
	// of a client id); nil means any. A request for any other scope is
	// refused whole, as Google refuses it.
	Scopes []string
}

// bearerLeeway is the clock skew forgiven on iat, nbf and exp.
const bearerLeeway = 30 * time.Second

// The error bodies of a refused JWT bearer grant, in Google's words
// (shared/providers/entra-google-salesforce.md §2.3).
const (
	descNoVerifier   = "Invalid JWT: No valid verifier found for issuer."
	descBadSignature = "Invalid JWT Signature."
	descTimeframe    = "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim."
	descBadUser      = "Invalid email or User ID"
	descUnauthorized = "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested."
)

var bearerAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.ES256, jose.ES384}

type bearerClaims struct {
	jwt.Claims
	Scope string `json:"scope"`
}

func (s *Server) issuerOf(id string) (BearerIssuer, bool) {
	for _, bi := range s.opts.BearerIssuers {
		if bi.ID == id {
			return bi, true
		}
	}
	return BearerIssuer{}, false
}

// jwtBearerGrant answers a JWT authorization grant (RFC 7523 §2.1, §3):
// the assertion's signature by a registered key of its iss, an aud naming
// this server, iat and exp present with exp at most an hour after iat,
// nothing from the future, a sub the issuer may act as, a jti never
// seen, and scopes (the scope claim, as Google sends them, or else the
// scope parameter) the issuer may be granted. Client authentication is
// optional (§3.1), but checked when sent. The token has neither scope nor
// refresh token, as Google's has none.
func (s *Server) jwtBearerGrant(r *http.Request, p url.Values) (map[string]any, *oauthError) {
	clientID := ""
	if _, _, basic := r.BasicAuth(); basic || p.Has("client_id") || p.Has("client_secret") || p.Has("client_assertion") {
		c, oe := s.authenticate(r, p)
		if oe != nil {
			return nil, oe
		}
		if !c.allows(JWTBearerGrantType) {
			return nil, unauthorizedClient("the client may not use the grant type " + JWTBearerGrantType)
		}
		clientID = c.ID
	}
	assertion := p.Get("assertion")
	if assertion == "" {
		return nil, invalidRequest("assertion is missing")
	}
	tok, err := jwt.ParseSigned(assertion, bearerAlgs)
	if err != nil {
		return nil, invalidGrant("Invalid JWT: the assertion is not a JWT signed with an asymmetric key")
	}
	var unverified bearerClaims
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil {
		return nil, invalidGrant("Invalid JWT: the assertion's claims do not parse")
	}
	bi, ok := s.issuerOf(unverified.Issuer)
	if !ok || len(bi.Keys) == 0 {
		return nil, invalidGrant(descNoVerifier)
	}
	keys := bi.Keys
	if kid := tok.Headers[0].KeyID; kid != "" {
		k, ok := bi.Keys[kid]
		if !ok {
			return nil, invalidGrant(descBadSignature)
		}
		keys = map[string]crypto.PublicKey{kid: k}
	}
	var claims bearerClaims
	verified := false
	for _, k := range keys {
		if tok.Claims(k, &claims) == nil {
			verified = true
			break
		}
	}
	if !verified {
		return nil, invalidGrant(descBadSignature)
	}
	iss := issuer(r)
	if !claims.Audience.Contains(iss) && !claims.Audience.Contains(iss+"/token") {
		return nil, invalidGrant("audience is invalid")
	}
	now := s.opts.Now()
	switch {
	case claims.IssuedAt == nil || claims.Expiry == nil,
		claims.IssuedAt.Time().After(now.Add(bearerLeeway)),
		claims.NotBefore != nil && claims.NotBefore.Time().After(now.Add(bearerLeeway)),
		!claims.Expiry.Time().After(now.Add(-bearerLeeway)),
		claims.Expiry.Time().Sub(claims.IssuedAt.Time()) > time.Hour:
		return nil, invalidGrant(descTimeframe)
	}
	subject := claims.Subject
	if subject == "" {
		subject = bi.ID
	} else if !slices.Contains(bi.Subjects, subject) {
		return nil, invalidGrant(descBadUser)
	}
	scopes := strings.Fields(claims.Scope)
	if len(scopes) == 0 {
		scopes = strings.Fields(p.Get("scope"))
	}
	for _, sc := range scopes {
		if bi.Scopes != nil && !slices.Contains(bi.Scopes, sc) {
			return nil, &oauthError{http.StatusUnauthorized, "unauthorized_client", descUnauthorized, false}
		}
	}
	if claims.ID != "" && !s.replay.Use("bearer\x00"+bi.ID, claims.ID, claims.Expiry.Time().Add(bearerLeeway), now) {
		return nil, invalidGrant("Invalid JWT: the assertion's jti was already used")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if clientID == "" {
		clientID = bi.ID
	}
	at := s.accessLocked(clientID, scopes)
	s.access[at].Subject = subject
	return map[string]any{"access_token": at, "token_type": "Bearer", "expires_in": int(s.opts.AccessTokenLifetime.Seconds())}, nil
}
