package googletest

import (
	"regexp"
	"slices"
	"strings"
)

// SetUnticked makes the signed-in admin untick these scopes on the
// granular consent screen, as an admin may.
func (s *Server) SetUnticked(scopes []string) {
	s.mu.Lock()
	s.consent.unticked = slices.Clone(scopes)
	s.mu.Unlock()
}

// SetConsentingAccount makes email the account that consents, whatever
// account the sign-in hints at ("" restores the default).
func (s *Server) SetConsentingAccount(email string) {
	s.mu.Lock()
	s.consent.account = strings.ToLower(email)
	s.mu.Unlock()
}

// identityScope reports whether sc is a sign-in scope, which Google's
// consent screen grants without a checkbox.
func identityScope(sc string) bool {
	switch sc {
	case "openid", "email", "profile", "https://www.googleapis.com/auth/userinfo.email", "https://www.googleapis.com/auth/userinfo.profile":
		return true
	}
	return false
}

// RevokeRefreshTokens revokes every refresh token, as removing the app
// under the admin's account security page does.
func (s *Server) RevokeRefreshTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.consent.refresh {
		g.Revoked = true
	}
	s.consent.granted = map[string][]string{}
}

// ConsentRecord is what the installed-app flow keeps between runs: the
// refresh grants by token hash, and each client's consented scopes.
type ConsentRecord struct {
	Refresh   map[string]*refreshGrant `json:"refresh"`
	Consented map[string][]string      `json:"consented"`
}

// Consents returns the installed-app grants, for a saved state: no token
// is in it, only hashes.
func (s *Server) Consents() ConsentRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := ConsentRecord{Refresh: map[string]*refreshGrant{}, Consented: map[string][]string{}}
	for h, g := range s.consent.refresh {
		c := *g
		c.Scopes = slices.Clone(g.Scopes)
		rec.Refresh[h] = &c
	}
	for c, sc := range s.consent.granted {
		rec.Consented[c] = slices.Clone(sc)
	}
	return rec
}

var hashPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// RestoreConsents replaces the installed-app grants with a saved record,
// validated: known clients, hashes, scopes Google has.
func (s *Server) RestoreConsents(rec ConsentRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	known := func(id string) bool {
		return slices.ContainsFunc(s.opts.Domain.OAuthClients, func(c OAuthClient) bool { return c.ID == id })
	}
	scopesOK := func(sc []string) bool {
		return len(sc) <= len(knownScopes)+3 && !slices.ContainsFunc(sc, func(x string) bool { return !knownScope(x) })
	}
	if len(rec.Refresh) > 1000 {
		return errorf("%d refresh grants, more than a demo domain holds", len(rec.Refresh))
	}
	for h, g := range rec.Refresh {
		if !hashPattern.MatchString(h) || g == nil || !known(g.ClientID) || !scopesOK(g.Scopes) || !strings.Contains(g.Subject, "@") {
			return errorf("refresh grant %q is not one this emulator issues", h)
		}
	}
	for c, sc := range rec.Consented {
		if !known(c) || !scopesOK(sc) {
			return errorf("the consent of %q is not one this emulator records", c)
		}
	}
	s.consent.refresh = map[string]*refreshGrant{}
	for h, g := range rec.Refresh {
		s.consent.refresh[h] = g
	}
	s.consent.granted = map[string][]string{}
	for c, sc := range rec.Consented {
		s.consent.granted[c] = sc
	}
	return nil
}
