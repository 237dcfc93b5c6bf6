package oauthtest

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// WriteJSON writes v as a JSON response (RFC 8259) with status. It sends
// Content-Type application/json; charset=utf-8, as Auth0, Google and
// Entra do, unless the handler already set a Content-Type (Okta sends
// plain application/json). The body is encoded before anything is sent,
// with its Content-Length, so a value that cannot be encoded is a 500
// rather than half a body.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		http.Error(w, "oauthtest: the response does not encode as JSON", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json; charset=utf-8")
	}
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// NoStore marks a response as holding tokens or credentials: RFC 6749
// §5.1 requires Cache-Control: no-store, and Pragma: no-cache for
// HTTP/1.0 caches.
func NoStore(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
}

// BaseURL is the scheme and host a request reached ("https://acme.test"),
// the base of an issuer identifier (RFC 8414 §2) and of the endpoint URLs
// an emulator puts in its answers. The host is as the client sent it
// (RFC 9110 §7.2), port included.
func BaseURL(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

// RequestHost is the host name a request was sent to: its Host header
// (RFC 9110 §7.2) without port or IPv6 brackets, in lower case, since
// host names compare case-insensitively (RFC 4343).
func RequestHost(r *http.Request) string {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return strings.ToLower(strings.Trim(host, "[]"))
}

// isBareAddress reports whether host (as RequestHost returns it) is
// localhost or an IP literal: an emulator's own address rather than a
// tenant's name.
func isBareAddress(host string) bool {
	return host == "localhost" || net.ParseIP(host) != nil
}

// TenantFor finds the tenant a request is for by the host it was sent
// to, as multi-tenant services do (Auth0's acme.us.auth0.com, Okta's
// acme.okta.com): the first of tenants whose host names, as hosts gives
// them, include RequestHost(r), compared case-insensitively.
//
// A request to localhost or an IP literal reaches the first tenant, so
// that a client pointed at an emulator's bare address (as a test's
// httptest server or the sandbox's --listen gives it) works as one using
// a custom domain would: no real tenant is reached by address. Its
// tokens then name that address, port included, as their issuer.
func TenantFor[T any](r *http.Request, tenants []T, hosts func(T) []string) (T, bool) {
	host := RequestHost(r)
	for _, t := range tenants {
		for _, h := range hosts(t) {
			if strings.EqualFold(h, host) {
				return t, true
			}
		}
	}
	var zero T
	if isBareAddress(host) && len(tenants) > 0 {
		return tenants[0], true
	}
	return zero, false
}
