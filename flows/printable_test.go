package flows

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPrintable(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain text, with a tab\tand\nlines", "plain text, with a tab\tand\nlines"},
		{"bad secret\x1b[2J\x1b]52;c;ZXZpbA==\x07", "bad secret\uFFFD[2J\uFFFD]52;c;ZXZpbA==\uFFFD"},
		{"C1 \u009b31m", "C1 \uFFFD31m"},
		{"user \u202egnp.exe", "user \uFFFDgnp.exe"},
		{"invalid \xff utf-8", "invalid \uFFFD utf-8"},
		{"", ""},
	} {
		if got := Printable(tc.in); got != tc.want {
			t.Errorf("Printable(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzPrintable: the output is valid UTF-8 with no control character but
// newline and tab, text that is already printable is unchanged, and the
// function is idempotent.
func FuzzPrintable(f *testing.F) {
	for _, s := range []string{"ok", "\x1b[31mred", "a\u202eb", "\xff\xfe", "\u009b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Printable(s)
		if !utf8.ValidString(out) || strings.ContainsFunc(out, unprintable) {
			t.Fatalf("Printable(%q) = %q: still unprintable", s, out)
		}
		if Printable(out) != out {
			t.Fatalf("Printable is not idempotent on %q", s)
		}
		if utf8.ValidString(s) && !strings.ContainsFunc(s, unprintable) && out != s {
			t.Fatalf("Printable changed printable text %q to %q", s, out)
		}
	})
}

// TestServerErrorsCannotDriveTheTerminal: an error_description with
// escape sequences, and one a page long, come out printable and bounded.
func TestServerErrorsCannotDriveTheTerminal(t *testing.T) {
	long := strings.Repeat("x", 5000)
	for _, desc := range []string{"secret is wrong\x1b]52;c;ZXZpbA==\x07\x1b[2J", long} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"invalid_client","error_description":` + jsonString(desc) + `}`))
		}))
		c := Client{Endpoints: Endpoints{TokenURL: srv.URL + "/token"}, ClientID: "id", ClientSecret: "a-secret-of-some-length", HTTPClient: srv.Client()}
		_, err := c.ClientCredentialsToken(context.Background())
		srv.Close()
		if err == nil {
			t.Fatal("ClientCredentialsToken() succeeded")
		}
		msg := err.Error()
		if strings.ContainsRune(msg, 0x1b) || strings.ContainsRune(msg, 0x07) {
			t.Errorf("the error carries control characters: %q", msg)
		}
		if len(msg) > maxServerText+200 {
			t.Errorf("the error is %d bytes long, want it bounded", len(msg))
		}
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
