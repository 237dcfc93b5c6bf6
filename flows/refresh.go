package flows

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// The names of a token's values in a Secret.
const (
	SecretAccessToken  = "access_token"
	SecretRefreshToken = "refresh_token"
	SecretTokenType    = "token_type"
	SecretTokenExpiry  = "token_expiry" // RFC 3339
)

// TokenSecret returns s with t's values set. A token without a refresh
// token keeps the one s holds: servers that do not rotate refresh tokens
// leave it out of a refresh response (RFC 6749 §6).
func TokenSecret(s Secret, t *oauth2.Token) Secret {
	s = s.With(SecretAccessToken, t.AccessToken)
	if t.RefreshToken != "" {
		s = s.With(SecretRefreshToken, t.RefreshToken)
	}
	if t.TokenType != "" {
		s = s.With(SecretTokenType, t.TokenType)
	}
	if !t.Expiry.IsZero() {
		s = s.With(SecretTokenExpiry, t.Expiry.UTC().Format(time.RFC3339))
	}
	return s
}

// SecretToken reads back the token TokenSecret stored; it is nil when s
// holds neither an access nor a refresh token.
func SecretToken(s Secret) (*oauth2.Token, error) {
	t := &oauth2.Token{
		AccessToken:  s.Get(SecretAccessToken),
		RefreshToken: s.Get(SecretRefreshToken),
		TokenType:    s.Get(SecretTokenType),
	}
	if t.AccessToken == "" && t.RefreshToken == "" {
		return nil, nil
	}
	if e := s.Get(SecretTokenExpiry); e != "" {
		exp, err := time.Parse(time.RFC3339, e)
		if err != nil {
			return nil, ErrCorrupt
		}
		t.Expiry = exp
	}
	return t, nil
}

// SaveToken stores t under k, keeping the other values stored there (a
// client secret, a private key).
func SaveToken(ctx context.Context, store Store, k Key, t *oauth2.Token) error {
	s, err := store.Load(ctx, k)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	return store.Save(ctx, k, TokenSecret(s, t))
}

// TokenSource returns a TokenSource that returns t while it is valid and
// then refreshes it (RFC 6749 §6) through x/oauth2, authenticating as the
// client, and saves every refreshed token (access, refresh, expiry) in
// store under k, so that a rotated refresh token is never lost.
//
// A refresh token the server no longer accepts (invalid_grant: expired,
// revoked, or from a password since changed), or none at all, gives a
// *SignInAgainError, which matches ErrSignInAgain.
func (c Client) TokenSource(ctx context.Context, store Store, k Key, t *oauth2.Token) oauth2.TokenSource {
	r := &refresher{ctx: ctx, c: c, store: store, key: k}
	if t != nil {
		r.refreshToken = t.RefreshToken
	}
	return oauth2.ReuseTokenSource(t, r)
}

// refresher is the refreshing half of TokenSource. ReuseTokenSource calls
// Token under its own lock; the mutex guards against other callers.
type refresher struct {
	ctx   context.Context
	c     Client
	store Store
	key   Key

	mu           sync.Mutex
	refreshToken string
}

func (r *refresher) Token() (*oauth2.Token, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refreshToken == "" {
		return nil, &SignInAgainError{Key: r.key, Reason: "its access token expired and there is no refresh token"}
	}
	tok, err := r.c.token(r.ctx, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r.refreshToken}})
	if err != nil {
		var te *TokenError
		if errors.As(err, &te) && te.Code == "invalid_grant" {
			return nil, &SignInAgainError{Key: r.key, Reason: te.Description, Err: err}
		}
		return nil, fmt.Errorf("refreshing the sign-in stored for %s: %w", r.key, err)
	}
	if tok.RefreshToken == "" {
		tok.RefreshToken = r.refreshToken
	}
	r.refreshToken = tok.RefreshToken
	if err := SaveToken(r.ctx, r.store, r.key, tok); err != nil {
		return nil, fmt.Errorf("the sign-in for %s was refreshed but could not be saved: %w", r.key, err)
	}
	return tok, nil
}
