package flows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Endpoints are an authorization server's endpoints, as its metadata
// names them (RFC 8414 §2, OpenID Connect Discovery §3). Fill them in by
// hand, or read them with Discover.
type Endpoints struct {
	Issuer                 string
	AuthorizationURL       string
	TokenURL               string
	DeviceAuthorizationURL string
	JWKSURL                string
	// TokenAuthMethods are the client authentication methods the token
	// endpoint supports (token_endpoint_auth_methods_supported); nil when
	// unknown.
	TokenAuthMethods []string
}

// Validate checks that a token endpoint is set and that every endpoint is
// an https URL, or http on a loopback address.
func (e Endpoints) Validate() error {
	if e.TokenURL == "" {
		return errors.New("no token endpoint: give the issuer, or the token endpoint URL")
	}
	for _, u := range []struct{ name, url string }{
		{"issuer", e.Issuer},
		{"authorization endpoint", e.AuthorizationURL},
		{"token endpoint", e.TokenURL},
		{"device authorization endpoint", e.DeviceAuthorizationURL},
		{"JWKS", e.JWKSURL},
	} {
		if u.url == "" {
			continue
		}
		if err := CheckURL(u.url); err != nil {
			return fmt.Errorf("the %s: %w", u.name, err)
		}
	}
	return nil
}

// CheckURL accepts an absolute https URL, or an http URL whose host is a
// loopback address (an emulator, a local development server). Anything
// else would send credentials in the clear.
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL like https://login.example.com", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopbackHost(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%s uses plain http, which tether refuses except on this machine's loopback address: use https", raw)
	}
	return fmt.Errorf("%s is not an https URL", raw)
}

// isLoopbackHost reports whether host (without port or brackets) is
// localhost or a loopback IP address.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// DiscoveryError says that an issuer's metadata could not be read.
type DiscoveryError struct {
	Issuer string
	Reason string
}

func (e *DiscoveryError) Error() string {
	return fmt.Sprintf("cannot read the sign-in metadata of %s: %s", e.Issuer, e.Reason)
}

// Discover reads the metadata of the authorization server identified by
// issuer with hc (nil means http.DefaultClient): first the OpenID
// Connect document ({issuer}/.well-known/openid-configuration, OpenID
// Connect Discovery §4), then the OAuth one, whose well-known path goes
// between the host and the issuer's path (RFC 8414 §3.1).
//
// "The issuer value returned MUST be identical to the authorization
// server's issuer identifier value into which the well-known URI string
// was inserted" (RFC 8414 §3.3): a document naming another issuer is
// refused, which stops a server from impersonating another. A trailing
// slash is the one difference forgiven, because admins type issuers both
// ways and providers publish both (Okta without, Auth0 with).
//
// Network failures are *NetworkError; anything else is *DiscoveryError.
func Discover(ctx context.Context, hc *http.Client, issuer string) (Endpoints, error) {
	if err := CheckURL(issuer); err != nil {
		return Endpoints{}, &DiscoveryError{Issuer: issuer, Reason: err.Error()}
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	u, _ := url.Parse(strings.TrimSuffix(issuer, "/"))
	oidc := u.JoinPath(".well-known", "openid-configuration").String()
	oauth := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/.well-known/oauth-authorization-server" + u.Path}).String()

	var reasons []string
	for _, doc := range []string{oidc, oauth} {
		m, found, err := fetchMetadata(ctx, hc, doc)
		if err != nil {
			return Endpoints{}, err
		}
		if !found {
			reasons = append(reasons, doc+" is not there")
			continue
		}
		if strings.TrimSuffix(m.Issuer, "/") != strings.TrimSuffix(issuer, "/") {
			return Endpoints{}, &DiscoveryError{Issuer: issuer, Reason: fmt.Sprintf(
				"%s names the issuer %q instead: check the URL (for a tenant or an org, include its path)", doc, m.Issuer)}
		}
		ep := Endpoints{
			Issuer:                 m.Issuer,
			AuthorizationURL:       m.AuthorizationEndpoint,
			TokenURL:               m.TokenEndpoint,
			DeviceAuthorizationURL: m.DeviceAuthorizationEndpoint,
			JWKSURL:                m.JWKSURI,
			TokenAuthMethods:       m.TokenEndpointAuthMethodsSupported,
		}
		if err := ep.Validate(); err != nil {
			return Endpoints{}, &DiscoveryError{Issuer: issuer, Reason: doc + ": " + err.Error()}
		}
		return ep, nil
	}
	return Endpoints{}, &DiscoveryError{Issuer: issuer, Reason: strings.Join(reasons, ", and ") +
		": give the endpoints instead"}
}

type metadata struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	DeviceAuthorizationEndpoint       string   `json:"device_authorization_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
}

// fetchMetadata reads one metadata document; found is false when the
// server has none at that address (404, or 400/403/405 as some servers
// answer for an unknown path).
func fetchMetadata(ctx context.Context, hc *http.Client, doc string) (m metadata, found bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, doc, nil)
	if err != nil {
		return m, false, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return m, false, NetError(doc, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return m, false, NetError(doc, err)
	}
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		return m, false, nil
	default:
		return m, false, &DiscoveryError{Issuer: doc, Reason: "the server answered " + resp.Status}
	}
	if err := json.Unmarshal(body, &m); err != nil || m.Issuer == "" {
		return m, false, &DiscoveryError{Issuer: doc, Reason: "the answer is not a metadata document (no issuer in JSON)"}
	}
	return m, true, nil
}
