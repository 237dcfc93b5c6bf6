package flows

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tetherdev/tether/flows/oauthtest"
	"golang.org/x/oauth2"
)

func fileStore(t *testing.T) *FileStore {
	t.Helper()
	dir := t.TempDir()
	s, err := OpenFileStoreWithIdentity(filepath.Join(dir, "credentials"), filepath.Join(dir, "identity.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// signedIn signs in with the device flow and stores the token.
func signedIn(t *testing.T, srv *oauthtest.Server, c Client, store Store, k Key) *oauth2.Token {
	t.Helper()
	rec := &recorder{on: func(e Event) {
		if d, ok := e.(DeviceCode); ok {
			_ = srv.ApproveDevice(d.UserCode)
		}
	}}
	tok, err := c.DeviceSignIn(bounded(t), Interaction{Events: rec.Events()})
	if err != nil {
		t.Fatal(err)
	}
	if err := SaveToken(context.Background(), store, k, tok); err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestTokenSourceRefreshesAndSaves(t *testing.T) {
	for _, rotate := range []bool{false, true} {
		srv, clk := startServer(t, oauthtest.Options{RotateRefreshTokens: rotate})
		c := clientOf(srv, clk)
		store := fileStore(t)
		k := Key{Provider: "generic", Name: "default"}
		ctx := context.Background()
		if err := store.Save(ctx, k, NewSecret(map[string]string{"client_secret": "kept"})); err != nil {
			t.Fatal(err)
		}
		first := signedIn(t, srv, c, store, k)

		// x/oauth2 dates expiry on the real clock: make it expire now.
		stale := *first
		stale.Expiry = time.Now().Add(-time.Minute)
		ts := c.TokenSource(ctx, store, k, &stale)
		tok, err := ts.Token()
		if err != nil {
			t.Fatalf("rotate=%v: Token() = %v", rotate, err)
		}
		if tok.AccessToken == first.AccessToken {
			t.Fatal("no refresh happened")
		}
		if _, ok := srv.Lookup(tok.AccessToken); !ok {
			t.Error("the refreshed token is unknown to the server")
		}
		if again, _ := ts.Token(); again.AccessToken != tok.AccessToken {
			t.Error("a valid token was refreshed again")
		}
		sec, err := store.Load(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		stored, err := SecretToken(sec)
		if err != nil || stored.AccessToken != tok.AccessToken || stored.Expiry.IsZero() {
			t.Fatalf("stored token = %+v, %v", stored, err)
		}
		if rotate == (stored.RefreshToken == first.RefreshToken) {
			t.Errorf("rotate=%v: stored refresh token changed=%v", rotate, stored.RefreshToken != first.RefreshToken)
		}
		if sec.Get("client_secret") != "kept" {
			t.Error("saving the token lost the other values of the secret")
		}
	}
}

func TestTokenSourceRevoked(t *testing.T) {
	srv, clk := startServer(t, oauthtest.Options{})
	c := clientOf(srv, clk)
	store := fileStore(t)
	k := Key{Provider: "generic", Name: "revoked"}
	tok := signedIn(t, srv, c, store, k)
	srv.Revoke(tok.RefreshToken)
	stale := *tok
	stale.Expiry = time.Now().Add(-time.Minute)
	_, err := c.TokenSource(context.Background(), store, k, &stale).Token()
	var sia *SignInAgainError
	var te *TokenError
	if !errors.Is(err, ErrSignInAgain) || !errors.As(err, &sia) || !errors.As(err, &te) || te.Code != "invalid_grant" {
		t.Fatalf("Token() = %v, want a SignInAgainError over invalid_grant", err)
	}
	if !strings.Contains(err.Error(), "sign in again") || !strings.Contains(err.Error(), "generic/revoked") || strings.Contains(err.Error(), tok.RefreshToken) {
		t.Errorf("error = %q", err)
	}
}

func TestTokenSourceWithoutRefreshToken(t *testing.T) {
	c := Client{Endpoints: Endpoints{TokenURL: "https://login.example.com/token"}}
	_, err := c.TokenSource(context.Background(), fileStore(t), Key{Provider: "p", Name: "n"},
		&oauth2.Token{AccessToken: "old", Expiry: time.Now().Add(-time.Hour)}).Token()
	if !errors.Is(err, ErrSignInAgain) {
		t.Fatalf("Token() = %v, want ErrSignInAgain", err)
	}
}

func TestSecretTokenRoundTrip(t *testing.T) {
	exp := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	s := TokenSecret(NewSecret(map[string]string{"x": "y"}), &oauth2.Token{AccessToken: "a", RefreshToken: "r", TokenType: "Bearer", Expiry: exp})
	// A refresh answer without a refresh token keeps the old one.
	s = TokenSecret(s, &oauth2.Token{AccessToken: "a2", Expiry: exp})
	tok, err := SecretToken(s)
	if err != nil || tok.AccessToken != "a2" || tok.RefreshToken != "r" || !tok.Expiry.Equal(exp) || s.Get("x") != "y" {
		t.Fatalf("SecretToken = %+v, %v", tok, err)
	}
	if tok, err := SecretToken(NewSecret(nil)); tok != nil || err != nil {
		t.Errorf("SecretToken(empty) = %v, %v", tok, err)
	}
	if _, err := SecretToken(NewSecret(map[string]string{SecretAccessToken: "a", SecretTokenExpiry: "soon"})); !errors.Is(err, ErrCorrupt) {
		t.Errorf("SecretToken(bad expiry) = %v", err)
	}
}
