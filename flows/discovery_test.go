package flows

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tetherdev/tether/flows/oauthtest"
)

func TestDiscover(t *testing.T) {
	for _, noOIDC := range []bool{false, true} {
		srv, _ := startServer(t, oauthtest.Options{NoOpenIDConfiguration: noOIDC})
		for _, issuer := range []string{srv.URL, srv.URL + "/"} {
			ep, err := Discover(context.Background(), nil, issuer)
			if err != nil {
				t.Fatalf("Discover(%s) = %v", issuer, err)
			}
			want := endpointsOf(srv)
			want.TokenAuthMethods = []string{"client_secret_basic", "client_secret_post", "private_key_jwt", "none"}
			if ep.Issuer != want.Issuer || ep.TokenURL != want.TokenURL || ep.AuthorizationURL != want.AuthorizationURL ||
				ep.DeviceAuthorizationURL != want.DeviceAuthorizationURL || ep.JWKSURL != want.JWKSURL ||
				!slices.Equal(ep.TokenAuthMethods, want.TokenAuthMethods) {
				t.Errorf("Discover(%s) = %+v, want %+v", issuer, ep, want)
			}
		}
	}
}

// metadataServer serves documents by path, recording the paths asked.
type metadataServer struct {
	*httptest.Server
	mu    sync.Mutex
	paths []string
}

func serveMetadata(t *testing.T, docs func(base, path string) (int, any)) *metadataServer {
	m := &metadataServer{}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		m.paths = append(m.paths, r.URL.Path)
		m.mu.Unlock()
		status, doc := docs(m.URL, r.URL.Path)
		w.WriteHeader(status)
		if doc != nil {
			_ = json.NewEncoder(w).Encode(doc)
		}
	}))
	t.Cleanup(m.Close)
	return m
}

// TestDiscoverPathIssuer: for an issuer with a path, the OIDC document is
// under the path and the RFC 8414 one between host and path.
func TestDiscoverPathIssuer(t *testing.T) {
	m := serveMetadata(t, func(base, path string) (int, any) {
		if path == "/.well-known/oauth-authorization-server/oauth2/default" {
			return 200, map[string]any{"issuer": base + "/oauth2/default", "token_endpoint": base + "/oauth2/default/v1/token"}
		}
		return 404, nil
	})
	ep, err := Discover(context.Background(), m.Client(), m.URL+"/oauth2/default")
	if err != nil || ep.TokenURL != m.URL+"/oauth2/default/v1/token" {
		t.Fatalf("Discover() = %+v, %v", ep, err)
	}
	want := []string{"/oauth2/default/.well-known/openid-configuration", "/.well-known/oauth-authorization-server/oauth2/default"}
	if !slices.Equal(m.paths, want) {
		t.Errorf("asked %v, want %v", m.paths, want)
	}
}

func TestDiscoverRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		docs func(base, path string) (int, any)
		want string
	}{
		{"another issuer", func(base, _ string) (int, any) {
			return 200, map[string]any{"issuer": "https://evil.example", "token_endpoint": base + "/token"}
		}, `names the issuer "https://evil.example"`},
		{"no document", func(string, string) (int, any) { return 404, nil }, "give the endpoints instead"},
		{"not metadata", func(string, string) (int, any) { return 200, []int{1} }, "not a metadata document"},
		{"server error", func(string, string) (int, any) { return 502, nil }, "502"},
		{"plain http endpoint", func(base, _ string) (int, any) {
			return 200, map[string]any{"issuer": base, "token_endpoint": "http://login.example.com/token"}
		}, "plain http"},
		{"no token endpoint", func(base, _ string) (int, any) { return 200, map[string]any{"issuer": base} }, "no token endpoint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := serveMetadata(t, tc.docs)
			_, err := Discover(context.Background(), nil, m.URL)
			var de *DiscoveryError
			if !errors.As(err, &de) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Discover() = %v, want a DiscoveryError saying %q", err, tc.want)
			}
		})
	}
}

func TestDiscoverInput(t *testing.T) {
	for _, issuer := range []string{"http://login.example.com", "login.example.com", "ftp://x.example"} {
		var de *DiscoveryError
		if _, err := Discover(context.Background(), nil, issuer); !errors.As(err, &de) {
			t.Errorf("Discover(%q) = %v, want a DiscoveryError", issuer, err)
		}
	}
	ts := httptest.NewServer(http.NotFoundHandler())
	ts.Close()
	var ne *NetworkError
	if _, err := Discover(context.Background(), nil, ts.URL); !errors.As(err, &ne) {
		t.Errorf("Discover(closed server) = %v, want a NetworkError", err)
	}
}

func TestCheckURL(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://login.example.com/x", true},
		{"http://127.0.0.1:8080/x", true},
		{"http://[::1]:8080/x", true},
		{"http://localhost/x", true},
		{"http://login.example.com/x", false},
		{"http://127.0.0.1.evil.example/x", false},
		{"javascript:alert(1)", false},
		{"/relative", false},
	} {
		if err := CheckURL(tc.url); (err == nil) != tc.ok {
			t.Errorf("CheckURL(%q) = %v, want ok %v", tc.url, err, tc.ok)
		}
	}
}
