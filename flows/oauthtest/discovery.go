package oauthtest

import "net/http"

// Discovery paths: OpenID Connect Discovery 1.0 §4 and RFC 8414 §3.
const (
	OpenIDConfigurationPath = "/.well-known/openid-configuration"
	OAuthMetadataPath       = "/.well-known/oauth-authorization-server"
)

// DiscoveryHandler serves a metadata document: OpenID Provider Metadata
// (OpenID Connect Discovery 1.0 §3) or OAuth 2.0 Authorization Server
// Metadata (RFC 8414 §2), built per request by doc from BaseURL(r), so
// that a provider reached at a custom domain names that domain, as Auth0
// and Okta do. doc returns nil for a host that has no tenant: that is a
// 404. The document must have an "issuer" (RFC 8414 §2: REQUIRED); one
// without is a 500, an emulator bug shown rather than served. Methods
// other than GET and HEAD get 405.
func DiscoveryHandler(doc func(r *http.Request, base string) map[string]any) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		d := doc(r, BaseURL(r))
		if d == nil {
			http.NotFound(w, r)
			return
		}
		if iss, _ := d["issuer"].(string); iss == "" {
			http.Error(w, "oauthtest: the metadata document has no issuer", http.StatusInternalServerError)
			return
		}
		WriteJSON(w, http.StatusOK, d)
	})
}
