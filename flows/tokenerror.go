package flows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
)

// The endpoints a TokenError names.
const (
	EndpointToken               = "token endpoint"
	EndpointDeviceAuthorization = "device authorization endpoint"
)

// TokenError is a refusal from a token endpoint (RFC 6749 §5.2), or from
// a device authorization endpoint, whose errors take the same form (RFC
// 8628 §3.2). No secret of the request appears in it, even when the
// server quotes one.
type TokenError struct {
	// Endpoint is the endpoint that refused: EndpointToken (also when
	// empty) or EndpointDeviceAuthorization.
	Endpoint    string
	Status      int
	Code        string // error
	Description string // error_description, or a snippet of a body without one
	Header      http.Header
}

func (e *TokenError) Error() string {
	ep := e.Endpoint
	if ep == "" {
		ep = EndpointToken
	}
	s := fmt.Sprintf("the %s answered %d", ep, e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

// newTokenError builds the TokenError of a refusal, redacting what the
// server said with red before anything of it is kept.
func newTokenError(endpoint string, resp *http.Response, body []byte, code, desc string, red *redactor) *TokenError {
	te := &TokenError{Endpoint: endpoint, Code: serverText(red.redact(code)), Description: serverText(red.redact(desc))}
	if resp != nil {
		te.Status = resp.StatusCode
		te.Header = resp.Header
	}
	if te.Code == "" && te.Description == "" {
		te.Description = serverText(red.snippet(body))
	}
	return te
}

// tokenError maps an x/oauth2 error of a token request to a *TokenError
// or a *NetworkError, with every secret of the request redacted.
func tokenError(tokenURL string, err error, red *redactor) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return newTokenError(EndpointToken, re.Response, re.Body, re.ErrorCode, re.ErrorDescription, red)
	}
	var ue *url.Error
	if errors.As(err, &ue) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return NetError(tokenURL, err)
	}
	// It answered, but with something that is not a token response (an
	// HTML page, a cut or oversized body): not a network failure.
	return &AnswerError{Endpoint: tokenURL, Reason: red.redact(strings.TrimPrefix(err.Error(), "oauth2: ")), Err: err}
}

// AnswerError means that an endpoint answered, but with something that is
// not what the protocol says it answers (an HTML error page with 200, a
// body cut short or too large).
type AnswerError struct {
	Endpoint string
	Reason   string
	Err      error
}

func (e *AnswerError) Error() string {
	host := e.Endpoint
	if u, err := url.Parse(e.Endpoint); err == nil && u.Host != "" {
		host = u.Host
	}
	return fmt.Sprintf("%s answered with something that is not a token response (%s)", host, e.Reason)
}

func (e *AnswerError) Unwrap() error { return e.Err }

// errorBody reads the error, error_description of an error response
// (RFC 6749 §5.2), in JSON or, as some servers answer, form-encoded.
func errorBody(contentType string, body []byte) (code, desc string) {
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == "application/x-www-form-urlencoded" || mt == "text/plain" {
		if v, err := url.ParseQuery(string(body)); err == nil {
			return v.Get("error"), v.Get("error_description")
		}
		return "", ""
	}
	var e struct {
		Code string `json:"error"`
		Desc string `json:"error_description"`
	}
	if json.Unmarshal(body, &e) != nil {
		return "", ""
	}
	return e.Code, e.Desc
}
