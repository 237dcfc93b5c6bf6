package plain

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tetherdev/tether/providers"
)

func TestShellQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"acme.us.auth0.com", "acme.us.auth0.com"},
		{"2iZo3Uczt5LFHacKdM0zzgUO2eG2uDjT", "2iZo3Uczt5LFHacKdM0zzgUO2eG2uDjT"},
		{"a_b-c:d,e@f%g+h=i/j", "a_b-c:d,e@f%g+h=i/j"},
		{"", "''"},
		{"two words", "'two words'"},
		{"it's", `'it'\''s'`},
		{"$HOME", "'$HOME'"},
		{"`id`", "'`id`'"},
		{"$(id)", "'$(id)'"},
		{"~/x", "'~/x'"},
		{"a\\b", `'a\b'`},
		{"line1\nline2", "'line1\nline2'"},
		{"'", `''\'''`},
		{"*?[]", "'*?[]'"},
		{"a;b&c|d<e>f", "'a;b&c|d<e>f'"},
		{"é", "'é'"},
	}
	for _, tt := range tests {
		if got := ShellQuote(tt.in); got != tt.want {
			t.Errorf("ShellQuote(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// shellRoundTrip has /bin/sh assign each quoted value and print it back.
func shellRoundTrip(t *testing.T, values []string) []string {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	var script strings.Builder
	for i, v := range values {
		script.WriteString("V" + string(rune('A'+i)) + "=" + ShellQuote(v) + "\n")
		script.WriteString(`printf '%s\0' "$V` + string(rune('A'+i)) + "\"\n")
	}
	out, err := exec.Command(sh, "-c", script.String()).Output()
	if err != nil {
		t.Fatalf("sh: %v\n%s", err, script.String())
	}
	got := strings.Split(string(out), "\x00")
	return got[:len(got)-1]
}

// TestShellQuoteInARealShell: every value a shell reads back is the value.
func TestShellQuoteInARealShell(t *testing.T) {
	values := []string{"plain", "", "it's", "$HOME `id` $(id) ${X:-y}", "~/x", "a\\b\\\\", "line1\nline2\n",
		"-----BEGIN PRIVATE KEY-----\nMIIE+/=\n-----END PRIVATE KEY-----\n", "'''", "\"dq\"", "tab\there", "!event", "é ü 日本"}
	got := shellRoundTrip(t, values)
	if len(got) != len(values) {
		t.Fatalf("sh printed %d values, want %d: %q", len(got), len(values), got)
	}
	for i, v := range values {
		if got[i] != v {
			t.Errorf("sh read ShellQuote(%q) as %q", v, got[i])
		}
	}
}

// unquote undoes what ShellQuote does, by the rules of a POSIX shell word
// made of unquoted safe bytes and single-quoted strings joined by \'.
func unquote(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return "", false
			}
			b.WriteString(s[i+1 : i+1+j])
			i += j + 2
		case c == '\\' && i+1 < len(s) && s[i+1] == '\'':
			b.WriteByte('\'')
			i += 2
		case shellSafe(c):
			b.WriteByte(c)
			i++
		default:
			return "", false
		}
	}
	return b.String(), true
}

// FuzzShellQuote: ShellQuote's output is always one shell word, made only
// of safe bytes, single-quoted strings and \', that reads back as the input.
func FuzzShellQuote(f *testing.F) {
	for _, s := range []string{"", "abc", "it's", "''", "a\nb", "$(x)", "\\'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := ShellQuote(s)
		got, ok := unquote(q)
		if !ok || got != s {
			t.Fatalf("ShellQuote(%q) = %q, which reads back as %q (well formed: %v)", s, q, got, ok)
		}
	})
}

func handover() providers.Handover {
	return providers.Handover{
		Connection:  providers.Connection{Provider: "auth0", Name: "prod", Method: "client-secret", Tenant: "acme.us.auth0.com\n; rm -rf ~"},
		Description: providers.Description{Tenant: "acme.us.auth0.com", APIHost: "login.acme.com"},
		Fields: []providers.Field{
			{Key: "domain", Label: "Domain", Value: "acme.us.auth0.com", Env: "DOMAIN"},
			{Key: "client_secret", Label: "Client Secret", Value: "se'cr$et", Secret: true, Env: "CLIENT_SECRET"},
		},
	}
}

func TestRenderExportEnv(t *testing.T) {
	out, err := RenderExport(handover(), FormatEnv)
	if err != nil {
		t.Fatal(err)
	}
	want := "# tether export auth0/prod (acme.us.auth0.com ; rm -rf ~)\n" +
		"TETHER_AUTH0_DOMAIN=acme.us.auth0.com\n" +
		"TETHER_AUTH0_CLIENT_SECRET='se'\\''cr$et'\n"
	if string(out) != want {
		t.Errorf("RenderExport(env) =\n%s\nwant\n%s", out, want)
	}
}

func TestRenderExportJSON(t *testing.T) {
	out, err := RenderExport(handover(), FormatJSON)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"version", "provider", "name", "tenant", "method", "api_host", "fields"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("the export document lacks %q:\n%s", k, out)
		}
	}
	fields := doc["fields"].([]any)
	f1 := fields[1].(map[string]any)
	if len(fields) != 2 || f1["key"] != "client_secret" || f1["value"] != "se'cr$et" || f1["secret"] != true || f1["env"] != "TETHER_AUTH0_CLIENT_SECRET" || f1["label"] != "Client Secret" {
		t.Errorf("fields = %v", fields)
	}
	if doc["tenant"] != "acme.us.auth0.com" {
		t.Errorf("tenant = %v, want the provider's description of it", doc["tenant"])
	}
}

func TestNewTokenDocument(t *testing.T) {
	exp := time.Date(2026, 12, 1, 10, 0, 0, 500, time.FixedZone("CET", 3600))
	doc := NewTokenDocument(providers.AccessToken{Connection: providers.Connection{Provider: "auth0", Name: "prod"},
		Token: &oauth2.Token{AccessToken: "tok", Expiry: exp}})
	if doc.Connection != "auth0/prod" || doc.TokenType != "Bearer" || doc.ExpiresAt == nil || !doc.ExpiresAt.Equal(exp.Truncate(time.Second)) || doc.Scopes == nil {
		t.Errorf("NewTokenDocument = %+v", doc)
	}
	doc = NewTokenDocument(providers.AccessToken{Token: &oauth2.Token{AccessToken: "tok", TokenType: "DPoP"}})
	if doc.ExpiresAt != nil || doc.TokenType != "DPoP" {
		t.Errorf("a token without expiry: %+v", doc)
	}
}
