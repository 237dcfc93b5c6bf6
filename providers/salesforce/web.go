package salesforce

import (
	"context"
	"errors"
	"strings"

	"golang.org/x/oauth2"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

// webClient is the web server flow's client: PKCE over the fixed
// loopback callback registered on the app, asking for api and
// refresh_token, with the consumer secret only when the app requires it.
func (p *Provider) webClient(h Host, settings map[string]string, secret flows.Secret) (flows.Client, error) {
	port, err := Port(settings[InputPort])
	if err != nil {
		return flows.Client{}, err
	}
	c := p.client(h, settings)
	c.Scopes = webScopes
	c.ClientSecret = strings.TrimSpace(secret.Get(InputClientSecret))
	c.Loopback = flows.Loopback{Host: "localhost", Port: port, Path: CallbackPath}
	return c, nil
}

// webSignIn signs the integration user in through the browser (or a
// pasted callback URL) and returns the secret to store: the consumer
// secret, if any, with the access and refresh tokens.
func (p *Provider) webSignIn(ctx context.Context, h Host, settings map[string]string, secret flows.Secret, io flows.Interaction) (flows.Secret, session, error) {
	c, err := p.webClient(h, settings, secret)
	if err != nil {
		return flows.Secret{}, session{}, err
	}
	io.Events.Emit(flows.Progress{Message: "signing in at " + h.String() + " with callback " + callbackURL(c.Loopback.Port) +
		"; asking for api (the REST API reads) and refresh_token (so the platform keeps collecting after the session expires, without another sign-in)"})
	tok, err := c.BrowserSignIn(ctx, io)
	if err != nil {
		return flows.Secret{}, session{}, webError(err)
	}
	return signedIn(tok, settings, secret)
}

// signedIn checks an interactive sign-in's token and returns the secret to
// store with it (more holds the consumer secret, if any).
func signedIn(tok *oauth2.Token, settings map[string]string, more ...flows.Secret) (flows.Secret, session, error) {
	secret := flows.NewSecret(nil)
	if len(more) > 0 {
		secret = more[0]
	}
	s, err := parseSession(tok, settings[InputLoginHost])
	if err != nil {
		return flows.Secret{}, session{}, err
	}
	if tok.RefreshToken == "" {
		return flows.Secret{}, session{}, &providers.SignInError{
			Reason: "Salesforce issued no refresh token, so the platform would lose access when the session expires",
			Fix:    "add the OAuth scope \"Perform requests at any time (refresh_token, offline_access)\" to the app, then sign in again"}
	}
	return flows.TokenSecret(secret, tok), s, nil
}

// webError explains an error redirect of the web server flow.
func webError(err error) error {
	var ae *flows.AuthorizationError
	if !errors.As(err, &ae) {
		return err
	}
	switch ae.Code {
	case "invalid_app_access":
		return &providers.SignInError{Reason: "Salesforce refused the sign-in: the user is not admin approved to access this app",
			Fix: "in the app's Policies, set Permitted Users to \"Admin approved users are pre-authorized\" and add a profile or permission set of the user signing in", Err: err}
	case "invalid_request", "invalid_scope", "unsupported_response_type":
		return &providers.SignInError{Reason: "Salesforce refused the sign-in request (" + ae.Error() + ")",
			Fix: "check the app's OAuth Settings: the callback URL, the scopes api and refresh_token, and \"Require Proof Key for Code Exchange (PKCE)\"", Err: err}
	}
	return err
}

// refresh requests a fresh session with the stored refresh token and saves
// the token that comes back (with a rotated refresh token, when the app
// rotates them) before it is used. A refresh token Salesforce no longer
// accepts means signing in again.
func (p *Provider) refresh(ctx context.Context, h Host, settings map[string]string, secret flows.Secret, save func(context.Context, flows.Secret) error) (*oauth2.Token, error) {
	stored, err := flows.SecretToken(secret)
	if err != nil || stored == nil || stored.RefreshToken == "" {
		return nil, &providers.SignInError{Reason: "the stored credential holds no refresh token",
			Fix: "sign in again: tether setup salesforce --method web"}
	}
	c, err := p.webClient(h, settings, secret)
	if err != nil {
		return nil, err
	}
	if save == nil {
		save = func(context.Context, flows.Secret) error { return nil }
	}
	st := &credentialStore{secret: secret, save: save}
	// Salesforce sends no expires_in, so a stored access token always looks
	// valid: only the refresh token is handed over, which forces a refresh.
	tok, err := c.TokenSource(ctx, st, flows.Key{Provider: ID, Name: "verify"}, &oauth2.Token{RefreshToken: stored.RefreshToken}).Token()
	if errors.Is(err, flows.ErrSignInAgain) {
		return nil, &providers.SignInError{Reason: "Salesforce no longer accepts the stored refresh token (revoked, expired by the app's refresh token policy, or the user was deactivated)",
			Fix: "sign in again: tether setup salesforce --method web", Err: err}
	}
	return tok, err
}

// credentialStore hands the refreshed token to the connection's
// credential: it loads the stored secret and saves through Save.
type credentialStore struct {
	secret flows.Secret
	save   func(context.Context, flows.Secret) error
}

func (s *credentialStore) Kind() flows.StoreKind { return flows.StoreFile }
func (s *credentialStore) Probe(context.Context) error {
	return nil
}
func (s *credentialStore) Save(ctx context.Context, _ flows.Key, v flows.Secret) error {
	s.secret = v
	return s.save(ctx, v)
}
func (s *credentialStore) Load(context.Context, flows.Key) (flows.Secret, error) {
	return s.secret, nil
}
func (s *credentialStore) Delete(context.Context, flows.Key) error { return nil }
func (s *credentialStore) Location(flows.Key) string               { return "the connection's credential" }
