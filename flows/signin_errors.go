package flows

import (
	"errors"
	"fmt"
)

// ErrDenied means that the admin, or the authorization server on their
// behalf, refused the sign-in or the consent.
var ErrDenied = errors.New("the sign-in was denied")

// ErrExpired means that a device code or a consent request expired before
// the admin approved it.
var ErrExpired = errors.New("the sign-in expired before it was approved")

// ErrSignInAgain means that a stored sign-in can no longer be refreshed
// (its refresh token expired, was revoked, or is missing): the admin must
// sign in again.
var ErrSignInAgain = errors.New("sign in again")

// AuthorizationError is a refusal that ends a sign-in: an error redirect
// from the authorization endpoint (RFC 6749 §4.1.2.1) or a final answer
// of the device flow (RFC 8628 §3.5). Code, Description and URI are the
// server's words, verbatim; Explanation says in plain words what happened.
//
// It matches ErrDenied or ErrExpired with errors.Is when that is what it
// means.
type AuthorizationError struct {
	Code        string
	Description string
	URI         string
	Explanation string
	Err         error // ErrDenied, ErrExpired or nil
}

func (e *AuthorizationError) Error() string {
	s := e.Explanation
	if e.Code != "" {
		s += " (" + e.Code
		if e.Description != "" {
			s += ": " + e.Description
		}
		s += ")"
	}
	return s
}

func (e *AuthorizationError) Unwrap() error { return e.Err }

// authorizationError explains an error code of RFC 6749 §4.1.2.1 or RFC
// 8628 §3.5.
func authorizationError(code, desc, uri string) *AuthorizationError {
	e := &AuthorizationError{Code: serverText(code), Description: serverText(desc), URI: serverText(uri)}
	switch code {
	case "access_denied", "authorization_declined":
		// authorization_declined is Microsoft's word in the device flow.
		e.Explanation, e.Err = "the sign-in was declined: the admin chose not to approve it, or the account may not grant this access", ErrDenied
	case "expired_token":
		e.Explanation, e.Err = "the code expired before the sign-in was approved; start again", ErrExpired
	case "invalid_scope":
		e.Explanation = "the authorization server refused the requested scopes"
	case "unauthorized_client":
		e.Explanation = "this client is not allowed to use this kind of sign-in; check its registration with the provider"
	case "unsupported_response_type":
		e.Explanation = "the authorization server does not offer the authorization code flow to this client"
	case "invalid_request":
		e.Explanation = "the authorization server rejected the request as malformed"
	case "server_error", "temporarily_unavailable":
		e.Explanation = "the authorization server failed; try again in a moment"
	case "login_required", "consent_required", "interaction_required":
		e.Explanation = "the authorization server needs the admin to sign in and consent interactively"
	default:
		e.Explanation = "the authorization server refused the sign-in"
	}
	return e
}

// SignInAgainError says that the sign-in stored under Key can no longer
// be refreshed. It matches ErrSignInAgain.
type SignInAgainError struct {
	Key    Key
	Reason string // the server's error_description, or why there is no refresh
	Err    error  // the *TokenError, if any
}

func (e *SignInAgainError) Error() string {
	s := fmt.Sprintf("the sign-in stored for %s is no longer valid", e.Key)
	if e.Reason != "" {
		s += " (" + e.Reason + ")"
	}
	return s + ": sign in again"
}

func (e *SignInAgainError) Is(target error) bool { return target == ErrSignInAgain }
func (e *SignInAgainError) Unwrap() error        { return e.Err }
