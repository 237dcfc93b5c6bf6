package flows

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestTokenAnswerThatIsNotOne: a token endpoint that answers with an HTML
// page is an AnswerError, not a network failure, and never echoes the
// secret it was sent.
func TestTokenAnswerThatIsNotOne(t *testing.T) {
	const secret = "CANARY-client-secret-0123456789abcdef"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("<html>maintenance " + r.Form.Get("client_secret") + "</html>"))
	}))
	defer srv.Close()
	c := Client{Endpoints: Endpoints{TokenURL: srv.URL + "/oauth/token"}, ClientID: "app", ClientSecret: secret}
	_, err := c.ClientCredentialsToken(context.Background())
	var ae *AnswerError
	var ne *NetworkError
	if !errors.As(err, &ae) || errors.As(err, &ne) {
		t.Fatalf("ClientCredentialsToken(HTML) = %T %v, want an *AnswerError", err, err)
	}
	if strings.Contains(err.Error(), "cannot reach") || strings.Contains(err.Error(), "CANARY") {
		t.Errorf("error %q blames the network or leaks the secret", err)
	}
}
