package flows

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"

	"golang.org/x/oauth2"
)

// BrowserSignIn runs the authorization code grant (RFC 6749 §4.1) as a
// native app does (RFC 8252): with PKCE S256 (RFC 7636) and a fresh random
// state, it opens the authorization page in in.Browser and receives the
// redirect on a loopback server (c.Loopback). When no browser opens (a nil
// in.Browser, or Open fails), it reports BrowserUnavailable and
// AwaitingRedirect{Paste: true}, and also accepts the final redirect URL
// pasted on in.Paste, with the same checks; the loopback redirect is still
// accepted if it arrives.
//
// Only the first redirect with this sign-in's state is used. Others (a
// wrong state, a second redirect, a request from another machine or for
// another host) are refused with an error page and reported as
// RedirectRejected. An error redirect ends the sign-in with an
// *AuthorizationError (ErrDenied for access_denied); the wait ends with a
// *TimeoutError after c.Loopback.Timeout.
func (c Client) BrowserSignIn(ctx context.Context, in Interaction) (*oauth2.Token, error) {
	if c.Endpoints.AuthorizationURL == "" {
		return nil, fmt.Errorf("%w: it has no authorization endpoint", ErrUnsupported)
	}
	if err := c.Endpoints.Validate(); err != nil {
		return nil, err
	}
	lb, err := listenLoopback(c.Loopback)
	var busy *PortBusyError
	switch {
	case errors.As(err, &busy) && in.Browser == nil && in.Paste != nil:
		// No browser here to be redirected to this machine's port: the
		// redirect is pasted back, and the port need not be ours.
		in.Events.Emit(Progress{Message: fmt.Sprintf("port %d is in use on this machine; the sign-in goes on with the address your browser lands on, pasted here", busy.Port)})
		lb = pasteOnlyLoopback(c.Loopback)
	case err != nil:
		return nil, err
	}
	defer lb.close()

	verifier := oauth2.GenerateVerifier()
	state := rand.Text()
	cfg := c.config(lb.redirectURI)
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}
	for k, vs := range c.AuthParams {
		for _, v := range vs {
			opts = append(opts, oauth2.SetAuthURLParam(k, v))
		}
	}
	authURL := cfg.AuthCodeURL(state, opts...)

	var tok *oauth2.Token
	err = lb.await(ctx, in, c.Clock, c.Loopback.timeout(), authURL, state, func(ctx context.Context, q url.Values) error {
		if code := q.Get("error"); code != "" {
			return authorizationError(code, q.Get("error_description"), q.Get("error_uri"))
		}
		// RFC 9207 §2.4: when the server names itself in the redirect, it
		// must be the issuer the sign-in started with (mix-up defence).
		if iss := q.Get("iss"); iss != "" && c.Endpoints.Issuer != "" && iss != c.Endpoints.Issuer {
			return fmt.Errorf("the redirect came from the issuer %q, not %q", iss, c.Endpoints.Issuer)
		}
		code := q.Get("code")
		if code == "" {
			return errors.New("the redirect carried neither a code nor an error")
		}
		// The code exchange (RFC 6749 §4.1.3, RFC 7636 §4.5) goes through
		// token, which authenticates the client as every other token
		// request does; x/oauth2's Exchange would add its own.
		t, err := c.token(ctx, url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"redirect_uri": {lb.redirectURI}, "code_verifier": {verifier}})
		if err != nil {
			return err
		}
		tok = t
		return nil
	})
	if err != nil {
		var ae *AuthorizationError
		if errors.As(err, &ae) && errors.Is(err, ErrDenied) {
			in.Events.Emit(Denied{Reason: ae.Description})
		}
		return nil, err
	}
	in.Events.Emit(Approved{})
	return tok, nil
}
