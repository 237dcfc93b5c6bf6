package auth0

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/tetherdev/tether/providers"
)

func TestObserve(t *testing.T) {
	ok := providers.Answer{Request: "GET /api/v2/logs?per_page=1", Status: 200}
	denied := providers.Answer{Request: "GET /api/v2/logs?per_page=1", Status: 403, Code: "insufficient_scope"}
	limited := providers.Answer{Request: "GET /api/v2/logs?per_page=1", Status: 429, Code: "too_many_requests"}
	broken := providers.Answer{Request: "GET /api/v2/logs?per_page=1", Err: errors.New("cannot reach x: connection refused")}
	badToken := providers.Answer{Request: "GET /api/v2/logs?per_page=1", Status: 401, Message: "Bad audience: x"}
	skipped := providers.Answer{Skipped: "no user to read logs for"}
	tests := []struct {
		name    string
		inToken bool
		a       providers.Answer
		want    providers.Status
		evid    string
	}{
		{"granted and confirmed", true, ok, providers.Granted, "grants read:logs; GET /api/v2/logs?per_page=1 → 200"},
		{"not in token though the endpoint answers", false, ok, providers.Missing, "lacks read:logs"},
		{"not in token and refused", false, denied, providers.Missing, "→ 403 insufficient_scope"},
		{"in token but refused", true, denied, providers.Missing, "insufficient_scope"},
		{"in token, rate limited", true, limited, providers.Error, "429"},
		{"in token, network failure", true, broken, providers.Error, "connection refused"},
		{"in token, token rejected", true, badToken, providers.Error, "401 Bad audience"},
		{"in token, probe not possible", true, skipped, providers.Granted, "no user to read logs for"},
		{"not in token, probe not possible", false, skipped, providers.Missing, "lacks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := lacks
			if tt.inToken {
				g = grants
			}
			o := observe("read:logs", g, "token response scope", tt.a)
			if o.Status != tt.want || !strings.Contains(o.Evidence, tt.evid) || o.Identifier != "read:logs" {
				t.Errorf("observe(inToken=%v, %v) = %s %q, want %s containing %q", tt.inToken, tt.a, o.Status, o.Evidence, tt.want, tt.evid)
			}
		})
	}
}

func TestCanonicalDomain(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"acme.us.auth0.com", "acme.us.auth0.com", true},
		{"https://Acme.EU.auth0.com/", "acme.eu.auth0.com", true},
		{"legacy.auth0.com", "legacy.auth0.com", true},
		{"login.acme.com", "", false},
		{"auth0.com", "", false},
		{"acme..auth0.com", "", false},
		{"acme.us.auth0.com/api", "", false},
		{"acme us.auth0.com", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, err := CanonicalDomain(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("CanonicalDomain(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "acme.us.auth0.com") {
			t.Errorf("CanonicalDomain(%q) error %q should show a good value", tt.in, err)
		}
	}
}

func TestDashboardLinks(t *testing.T) {
	tests := []struct{ domain, want string }{
		{"acme.us.auth0.com", "https://manage.auth0.com/dashboard/us/acme/apis"},
		{"acme.eu.auth0.com", "https://manage.auth0.com/dashboard/eu/acme/apis"},
		{"legacy.auth0.com", "https://manage.auth0.com/dashboard/us/legacy/apis"},
	}
	for _, tt := range tests {
		if got := (tenant{domain: tt.domain}).dashboard("apis"); got != tt.want {
			t.Errorf("dashboard(%q) = %q, want %q", tt.domain, got, tt.want)
		}
	}
}

func TestValidClientSecretNeverQuotesIt(t *testing.T) {
	for _, s := range []string{"", "short-CANARY", "has space CANARY-xxxxxxxxxxxxxxxxxxxxxxxx", "CANARY\nxxxxxxxxxxxxxxxxxxxxxx"} {
		err := validClientSecret(s)
		if err == nil {
			t.Errorf("validClientSecret(%q) = nil, want an error", s)
			continue
		}
		if strings.Contains(err.Error(), "CANARY") {
			t.Errorf("validClientSecret error %q quotes the secret", err)
		}
	}
	if err := validClientSecret(strings.Repeat("x", 64)); err != nil {
		t.Errorf("validClientSecret(64 chars) = %v", err)
	}
}

func TestGrantedScopesFallsBackToTheClaim(t *testing.T) {
	// header {"alg":"RS256"}, payload {"scope":"read:users read:logs"}, any signature.
	jwt := "eyJhbGciOiJSUzI1NiJ9.eyJzY29wZSI6InJlYWQ6dXNlcnMgcmVhZDpsb2dzIn0.c2ln"
	tok := (&oauth2.Token{AccessToken: jwt}).WithExtra(map[string]any{})
	got, source, _ := grantedScopes(tok)
	if strings.Join(got, " ") != "read:users read:logs" || !strings.Contains(source, "claim") {
		t.Errorf("grantedScopes(claim only) = %q from %q", got, source)
	}
	tok = (&oauth2.Token{AccessToken: jwt}).WithExtra(map[string]any{"scope": "read:users"})
	if got, source, _ := grantedScopes(tok); strings.Join(got, " ") != "read:users" || !strings.Contains(source, "response") {
		t.Errorf("grantedScopes(response) = %q from %q", got, source)
	}
}

func TestValidPrivateKeyWantsRSA(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(ec)
	ecPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	if err := validPrivateKey(ecPEM); err == nil || !strings.Contains(err.Error(), "not RSA") {
		t.Errorf("validPrivateKey(EC) = %v", err)
	}
	if err := validPrivateKey("CANARY not a key"); err == nil || strings.Contains(err.Error(), "CANARY") {
		t.Errorf("validPrivateKey(garbage) = %v", err)
	}
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	der, _ = x509.MarshalPKCS8PrivateKey(rk)
	if err := validPrivateKey(string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))); err != nil {
		t.Errorf("validPrivateKey(RSA) = %v", err)
	}
}

func TestObserveWithoutAScopeList(t *testing.T) {
	tests := []struct {
		a    providers.Answer
		want providers.Status
	}{
		{providers.Answer{Request: "GET /x", Status: 200}, providers.Unknown},
		{providers.Answer{Request: "GET /x", Status: 403, Code: "insufficient_scope"}, providers.Missing},
		{providers.Answer{Request: "GET /x", Status: 429}, providers.Error},
		{providers.Answer{Skipped: "no user"}, providers.Unknown},
	}
	for _, tt := range tests {
		if o := observe("read:logs", unsaid, "the token", tt.a); o.Status != tt.want || !strings.Contains(o.Evidence, "no scope list") {
			t.Errorf("observe(unsaid, %v) = %s %q, want %s", tt.a, o.Status, o.Evidence, tt.want)
		}
	}
	opaque := (&oauth2.Token{AccessToken: "opaque"}).WithExtra(map[string]any{})
	if _, _, known := grantedScopes(opaque); known {
		t.Error("an opaque token without a scope field counts as a known, empty grant")
	}
}
