package google

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tetherdev/tether/flows"
)

var rsaPEM = sync.OnceValue(func() string {
	k, err := flows.GenerateKey()
	if err != nil {
		panic(err)
	}
	p, _ := flows.PrivateKeyPEM(k)
	return p
})

// goodKey is a valid key file's fields; edit one to make a bad one.
func goodKey() map[string]string {
	return map[string]string{
		"type": "service_account", "project_id": "acme-project", "private_key_id": strings.Repeat("0f", 20),
		"private_key": rsaPEM(), "client_email": "tether@acme-project.iam.gserviceaccount.com",
		"client_id": "104455667788990011223", "token_uri": "https://oauth2.googleapis.com/token",
		"auth_uri": "https://accounts.google.com/o/oauth2/auth", "universe_domain": "googleapis.com",
	}
}

func encode(m map[string]string) string {
	b, _ := json.Marshal(m)
	return string(b)
}

func TestParseKey(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecPEM, _ := flows.PrivateKeyPEM(ec)
	for _, tc := range []struct {
		name  string
		edit  func(map[string]string)
		raw   string
		error string
	}{
		{name: "good", edit: func(map[string]string) {}},
		{name: "legacy token uri", edit: func(m map[string]string) { m["token_uri"] = "https://accounts.google.com/o/oauth2/token" }},
		{name: "no token uri", edit: func(m map[string]string) { delete(m, "token_uri") }},
		{name: "not json", raw: "{nope", error: "not valid JSON"},
		{name: "numbers", raw: `{"type":1}`, error: "not a JSON object of strings"},
		{name: "user credentials", edit: func(m map[string]string) { m["type"] = "authorized_user" }, error: "user's credentials"},
		{name: "federation", edit: func(m map[string]string) { m["type"] = "external_account" }, error: "workload identity federation"},
		{name: "no type", edit: func(m map[string]string) { delete(m, "type") }, error: `"type" is not "service_account"`},
		{name: "user address", edit: func(m map[string]string) { m["client_email"] = "ada@gmail.com" }, error: "not a service account address"},
		{name: "oauth client id", edit: func(m map[string]string) { m["client_id"] = "1234-abc.apps.googleusercontent.com" }, error: "numeric client id"},
		{name: "bad key id", edit: func(m map[string]string) { m["private_key_id"] = "xyz" }, error: "40 hexadecimal digits"},
		{name: "bad project", edit: func(m map[string]string) { m["project_id"] = "Acme Project" }, error: "Cloud project id"},
		{name: "other universe", edit: func(m map[string]string) { m["universe_domain"] = "apis-tpclp.goog" }, error: "universe"},
		{name: "foreign token uri", edit: func(m map[string]string) { m["token_uri"] = "https://evil.example/token" }, error: `"token_uri" is not Google's`},
		{name: "plain http token uri", edit: func(m map[string]string) { m["token_uri"] = "http://oauth2.googleapis.com/token" }, error: `"token_uri"`},
		{name: "not pem", edit: func(m map[string]string) { m["private_key"] = "MIIEvQIBADANBg" }, error: "not a PEM private key"},
		{name: "ec key", edit: func(m map[string]string) { m["private_key"] = ecPEM }, error: "not RSA"},
		{name: "huge", raw: "{" + strings.Repeat(" ", maxKeyFile) + "}", error: "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := tc.raw
			if tc.edit != nil {
				m := goodKey()
				tc.edit(m)
				raw = encode(m)
			}
			k, err := ParseKey([]byte(raw))
			if tc.error == "" {
				if err != nil || k.key == nil || !validTokenURL(k.TokenURI) {
					t.Fatalf("ParseKey() = %+v, %v", k, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.error) {
				t.Fatalf("ParseKey() error = %v, want %q", err, tc.error)
			}
			if strings.Contains(err.Error(), "PRIVATE KEY") || strings.Contains(err.Error(), pemBody(rsaPEM())) {
				t.Errorf("the error quotes the key: %v", err)
			}
		})
	}
}

// pemBody is a recognisable piece of a PEM key: its second line.
func pemBody(p string) string {
	lines := strings.Split(p, "\n")
	return lines[1]
}

func TestReadKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "acme-project-0f0f0f.json")
	if err := os.WriteFile(path, []byte(encode(goodKey())+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadKey(path); err != nil {
		t.Errorf("ReadKey(path) = %v", err)
	}
	if _, err := ReadKey("  " + encode(goodKey()) + "\n"); err != nil {
		t.Errorf("ReadKey(json) = %v", err)
	}
	secretPath := filepath.Join(dir, "CANARY-secret-path.json")
	for _, tc := range []struct{ value, error string }{
		{"", "empty"},
		{secretPath, "no key file at the path given"},
		{rsaPEM(), "neither a JSON key nor the path"},
		{dir, "is a folder"},
	} {
		_, err := ReadKey(tc.value)
		if err == nil || !strings.Contains(err.Error(), tc.error) {
			t.Errorf("ReadKey(%.20q) = %v, want %q", tc.value, err, tc.error)
			continue
		}
		if strings.Contains(err.Error(), "CANARY") || strings.Contains(err.Error(), pemBody(rsaPEM())) {
			t.Errorf("ReadKey() quotes its value: %v", err)
		}
	}
}

func TestParseAdmin(t *testing.T) {
	for _, tc := range []struct{ in, want, error string }{
		{"admin@acme.com", "admin@acme.com", ""},
		{" Admin@Acme.COM ", "admin@acme.com", ""},
		{"Grace <admin@acme.com>", "", "not an email address"},
		{"admin", "", "not an email address"},
		{"admin@localhost", "", "not an email address"},
		{"admin@acme.com.", "", "not an email address"},
		{"tether@acme.iam.gserviceaccount.com", "", "is a service account"},
	} {
		got, err := ParseAdmin(tc.in)
		switch {
		case tc.error == "" && (err != nil || got != tc.want):
			t.Errorf("ParseAdmin(%q) = %q, %v, want %q", tc.in, got, err, tc.want)
		case tc.error != "" && (err == nil || !strings.Contains(err.Error(), tc.error)):
			t.Errorf("ParseAdmin(%q) error = %v, want %q", tc.in, err, tc.error)
		}
	}
}

// FuzzParseKey: ParseKey never panics; what it accepts has every field
// valid and survives its own JSON unchanged; what it refuses is never
// quoted back.
func FuzzParseKey(f *testing.F) {
	f.Add([]byte(encode(goodKey())))
	f.Add([]byte(`{"type":"service_account"}`))
	f.Add([]byte(`{"type":"service_account","client_email":"a@b.gserviceaccount.com","private_key":"-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ParseKey(data)
		if err != nil {
			if len(data) > 12 && strings.Contains(err.Error(), string(data)) {
				t.Fatalf("the error quotes the input: %v", err)
			}
			return
		}
		if k.key == nil || !saEmailPattern.MatchString(k.ClientEmail) || !clientIDPattern.MatchString(k.ClientID) ||
			!keyIDPattern.MatchString(k.PrivateKeyID) || !validTokenURL(k.TokenURI) {
			t.Fatalf("ParseKey accepted an invalid key: %+v", k)
		}
		again, err := ParseKey([]byte(k.JSON()))
		if err != nil || again.JSON() != k.JSON() {
			t.Fatalf("the stored form does not round-trip: %v", err)
		}
	})
}
