package flows

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// secret64 is a 64-character secret, as long as an Auth0 client secret.
const secret64 = "Xk9vQ2mT7pL4sR8wN1cF6hJ3bD5gA0eY-Zu_Wq2Er4Ty6Ui8Op0As2Df4Gh6Jk8L"

func TestRedact(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		secrets []string
		want    string
	}{
		{"no secret", "invalid_grant: the code expired", []string{secret64}, "invalid_grant: the code expired"},
		{"whole secret", "client_secret=" + secret64 + " is wrong", []string{secret64}, "client_secret=[redacted] is wrong"},
		{"twice", secret64 + "," + secret64, []string{secret64}, "[redacted],[redacted]"},
		{"a prefix of it", "got " + secret64[:20] + "...", []string{secret64}, "got [redacted]..."},
		{"a piece from the middle", "got …" + secret64[30:40] + "…", []string{secret64}, "got …[redacted]…"},
		{"7 bytes of it are not a piece", "got " + secret64[:7] + ".", []string{secret64}, "got " + secret64[:7] + "."},
		{"form-encoded", "body: client_secret=" + url.QueryEscape("a b+c/d=e&f?g") + "&x=1", []string{"a b+c/d=e&f?g"}, "body: client_secret=[redacted]&x=1"},
		{"URL-encoded", "path /" + url.PathEscape("a b+c/d=e&f?g"), []string{"a b+c/d=e&f?g"}, "path /[redacted]"},
		{"JSON-escaped", `{"echo":"p<a>ss&w\"ord\\1234"}`, []string{`p<a>ss&w"ord\1234`}, `{"echo":"[redacted]"}`},
		{"JSON-escaped for HTML", `{"echo":"p\u003ca\u003ess\u0026word"}`, []string{"p<a>ss&word"}, `{"echo":"[redacted]"}`},
		{"short secret whole", "code abcd!", []string{"abcd"}, "code [redacted]!"},
		{"too short to redact", "abc", []string{"abc"}, "abc"},
		{"several secrets", "a=" + secret64 + " b=refresh-token-123", []string{secret64, "refresh-token-123"}, "a=[redacted] b=[redacted]"},
		{"a secret that spells the marker", "[redacted]", []string{"redacted]"}, ""},
	} {
		if got := Redact(tc.in, tc.secrets...); got != tc.want {
			t.Errorf("%s: Redact(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
	}
}

// TestSnippetRedactsBeforeCutting: a secret straddling the 200-byte cut
// shows none of itself (it showed its first 38 characters when the cut
// came first).
func TestSnippetRedactsBeforeCutting(t *testing.T) {
	for _, at := range []int{0, 100, 162, 180, 199, 200, 201} {
		body := strings.Repeat("x", at) + secret64 + strings.Repeat("y", 300)
		got := Snippet([]byte(body), secret64)
		if leaked := longestPiece(got, secret64); leaked >= gramSize {
			t.Errorf("Snippet(secret at %d) = %q shows %d characters of the secret", at, got, leaked)
		}
		if len(got) > snippetMax+len("…") {
			t.Errorf("Snippet(secret at %d) is %d bytes long", at, len(got))
		}
	}
}

func TestSnippet(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want string
	}{
		{"short", "  an error page  ", "an error page"},
		{"long", strings.Repeat("a", 250), strings.Repeat("a", 200) + "…"},
		{"cut on a character boundary", strings.Repeat("a", 199) + "é" + strings.Repeat("b", 10), strings.Repeat("a", 199) + "…"},
		{"empty", "", ""},
	} {
		got := Snippet([]byte(tc.in))
		if got != tc.want {
			t.Errorf("%s: Snippet(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
		if !utf8.ValidString(got) {
			t.Errorf("%s: Snippet(%q) = %q, not UTF-8", tc.name, tc.in, got)
		}
	}
}

// longestPiece is the length of the longest substring of secret in s.
func longestPiece(s, secret string) int {
	best := 0
	for i := range len(secret) {
		for j := i + best + 1; j <= len(secret); j++ {
			if !strings.Contains(s, secret[i:j]) {
				break
			}
			best = j - i
		}
	}
	return best
}

// holdsPiece reports whether s holds 8 bytes or more of secret.
func holdsPiece(s, secret string) bool {
	windows := map[string]bool{}
	for i := 0; i+gramSize <= len(s); i++ {
		windows[s[i:i+gramSize]] = true
	}
	for i := 0; i+gramSize <= len(secret); i++ {
		if windows[secret[i:i+gramSize]] {
			return true
		}
	}
	return false
}

// FuzzSnippet: whatever a server sends back, and whatever the secrets,
// the redacted, cut snippet holds no piece of 8 bytes or more of any
// secret, is at most 200 bytes and an ellipsis, and leaves a body alone
// when there is nothing to redact.
func FuzzSnippet(f *testing.F) {
	f.Add("error="+secret64, secret64, "")
	f.Add(strings.Repeat("x", 180)+secret64, secret64, "refresh-token-0001")
	f.Add("a=b%2Bc+d", "b+c d", "[redacted]")
	f.Add("{\"e\":\"\\u003c\"}", "<<<<<<<<", "…")
	f.Fuzz(func(t *testing.T, body, s1, s2 string) {
		got := Snippet([]byte(body), s1, s2)
		for _, s := range []string{s1, s2} {
			if holdsPiece(got, s) {
				t.Fatalf("Snippet(%q, %q) = %q holds 8 bytes or more of the secret", body, s, got)
			}
		}
		if len(got) > snippetMax+len("…") {
			t.Fatalf("Snippet(%q) is %d bytes long", body, len(got))
		}
		if len(s1) < minSecret && len(s2) < minSecret {
			// Nothing to redact: the snippet is the start of the body.
			trimmed := strings.TrimSpace(body)
			kept := strings.TrimSuffix(got, "…")
			if !strings.HasPrefix(trimmed, kept) || len(kept) < min(len(trimmed), snippetMax-utf8.UTFMax) {
				t.Fatalf("Snippet(%q) with no secret to find = %q, want the body's start", body, got)
			}
		}
		red := Redact(body, s1, s2)
		for _, s := range []string{s1, s2} {
			if holdsPiece(red, s) {
				t.Fatalf("Redact(%q, %q) = %q holds 8 bytes or more of the secret", body, s, red)
			}
		}
	})
}
