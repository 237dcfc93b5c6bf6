package flows

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParsePrivateKeyPEM: an accepted key is RSA or ECDSA and survives a
// round trip (PrivateKeyPEM, then ParsePrivateKeyPEM, gives an equal
// key), and no error holds any part of the key's body.
func FuzzParsePrivateKeyPEM(f *testing.F) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024) // small: only parsing is tested
	if err != nil {
		f.Fatal(err)
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pkcs8, _ := PrivateKeyPEM(rsaKey)
	ec8, _ := PrivateKeyPEM(ecKey)
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}))
	sec1, _ := x509.MarshalECPrivateKey(ecKey)
	ecPEM := string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}))
	pub, _ := PublicKeyPEM(rsaKey)
	for _, s := range []string{pkcs8, ec8, pkcs1, ecPEM, pub, strings.ReplaceAll(pkcs8, "\n", " "),
		"-----BEGIN PRIVATE KEY-----\nQUJD\n-----END PRIVATE KEY-----\n", "not a key"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParsePrivateKeyPEM(s)
		if err != nil {
			if block, _ := pem.Decode([]byte(unflattenPEM(strings.TrimSpace(s)))); block != nil {
				body := pem.EncodeToMemory(&pem.Block{Type: "X", Bytes: block.Bytes})
				for _, line := range bytes.Split(body, []byte("\n"))[1:] {
					for i := 0; i+12 <= len(line); i++ {
						if strings.Contains(err.Error(), string(line[i:i+12])) {
							t.Fatalf("ParsePrivateKeyPEM error %q holds %q of the key", err, line[i:i+12])
						}
					}
				}
			}
			return
		}
		switch k.(type) {
		case *rsa.PrivateKey, *ecdsa.PrivateKey:
		default:
			t.Fatalf("ParsePrivateKeyPEM accepted a %T", k)
		}
		again, err := PrivateKeyPEM(k)
		if err != nil {
			t.Fatalf("PrivateKeyPEM(accepted key) = %v", err)
		}
		k2, err := ParsePrivateKeyPEM(again)
		type equaler interface {
			Equal(x crypto.PrivateKey) bool
		}
		if err != nil || !k.(equaler).Equal(k2) {
			t.Fatalf("an accepted key does not round-trip: %v", err)
		}
	})
}

// FuzzPastedRedirect: a pasted redirect is accepted only when it is this
// sign-in's loopback redirect URI, and then its code and state are the
// URL's own query; a refusal never quotes what was pasted.
func FuzzPastedRedirect(f *testing.F) {
	s := &loopbackServer{redirectURI: "http://127.0.0.1:53682/callback", port: "53682", path: "/callback"}
	for _, p := range []string{"http://127.0.0.1:53682/callback?code=CODE-1234567890&state=abc",
		" http://localhost:53682/callback?state=x&code=y \n", "http://127.0.0.1:53682/callback",
		"https://127.0.0.1:53682/callback?code=a", "http://evil.example:53682/callback?code=CODE-1234567890",
		"http://127.0.0.1:1/callback?code=z", "http://[::1]:53682/callback?code=q&code=r", "code=abc&state=def",
		"http://127.0.0.1:53682/callback#code=frag", "http://user@127.0.0.1:53682/callback?code=u"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, text string) {
		q, reason := s.parsePasted(text)
		if reason != "" {
			if q != nil {
				t.Fatalf("parsePasted(%q) refused (%s) but returned a query", text, reason)
			}
			if u, err := url.Parse(strings.TrimSpace(text)); err == nil {
				for _, vs := range u.Query() {
					for _, v := range vs {
						if len(v) >= 6 && strings.Contains(reason, v) {
							t.Fatalf("parsePasted(%q) refusal %q quotes %q", text, reason, v)
						}
					}
				}
			}
			return
		}
		u, err := url.Parse(strings.TrimSpace(text))
		if err != nil {
			t.Fatalf("parsePasted(%q) accepted what url.Parse refuses: %v", text, err)
		}
		if u.Scheme != "http" || !isLoopbackHost(u.Hostname()) || u.Port() != s.port || (u.Path != s.path) {
			t.Fatalf("parsePasted(%q) accepted a URL that is not the redirect URI %s", text, s.redirectURI)
		}
		if fmt.Sprint(q) != fmt.Sprint(u.Query()) || q.Get("code") != u.Query().Get("code") || q.Get("state") != u.Query().Get("state") {
			t.Fatalf("parsePasted(%q) = %v, want the URL's query %v", text, q, u.Query())
		}
	})
}

// FuzzCredentialFile: whatever a credential file holds, Load says it is
// the secret, damaged, or encrypted with another key, and nothing else;
// Present agrees with Load without decrypting.
func FuzzCredentialFile(f *testing.F) {
	dir := f.TempDir()
	s, err := OpenFileStoreWithIdentity(dir, filepath.Join(dir, "id.txt"))
	if err != nil {
		f.Fatal(err)
	}
	k := Key{"auth0", "default"}
	if err := s.Save(context.Background(), k, NewSecret(map[string]string{"client_secret": canary})); err != nil {
		f.Fatal(err)
	}
	good, _ := os.ReadFile(s.path(k))
	f.Add(good)
	_, body, _ := splitHeader(good)
	f.Add(body)
	f.Add([]byte(`{"tether":"credential/v1","recipient":"age1","key":"identity"}` + "\n" + ageMagic))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "x.age")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		_, inErr := readAndInspect(path)
		_, lerr := s.openFile(path, true)
		perr := func() error { _, err := s.openFile(path, false); return err }()
		switch {
		case lerr == nil:
			if perr != nil || inErr != nil {
				t.Fatalf("Load succeeded but Present = %v, inspect = %v", perr, inErr)
			}
		case errors.Is(lerr, ErrCorrupt), errors.Is(lerr, ErrWrongKey):
		default:
			t.Fatalf("Load = %v: neither the secret, damage nor another key", lerr)
		}
		if errors.Is(perr, ErrCorrupt) && !errors.Is(lerr, ErrCorrupt) {
			t.Fatalf("Present says damaged (%v) but Load says %v", perr, lerr)
		}
		if perr != nil && !errors.Is(perr, ErrCorrupt) && !errors.Is(perr, ErrWrongKey) {
			t.Fatalf("Present = %v", perr)
		}
	})
}

func readAndInspect(path string) (inspected, error) {
	data, err := readCredentialFile(path)
	if err != nil {
		return inspected{}, err
	}
	return inspect(data)
}

// FuzzParseManifest: an accepted chunk manifest names slot a or b, 1 to
// 1000 chunks and a 64-character digest, and prints back as itself.
func FuzzParseManifest(f *testing.F) {
	f.Add(manifestPrefix + "a:3:" + strings.Repeat("ab", 32))
	f.Add(manifestPrefix + "b:1000:" + strings.Repeat("0", 64))
	f.Add(manifestPrefix + "c:1:" + strings.Repeat("0", 64))
	f.Add(manifestPrefix + "a:-1:x")
	f.Fuzz(func(t *testing.T, v string) {
		m, err := parseManifest(v)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("parseManifest(%q) = %v, want ErrCorrupt", v, err)
			}
			return
		}
		if (m.slot != "a" && m.slot != "b") || m.count < 1 || m.count > 1000 || len(m.digest) != 64 {
			t.Fatalf("parseManifest(%q) = %+v", v, m)
		}
		again, err := parseManifest(fmt.Sprintf("%s%s:%d:%s", manifestPrefix, m.slot, m.count, m.digest))
		if err != nil || again != m {
			t.Fatalf("parseManifest(%q) = %+v, printed back %+v, %v", v, m, again, err)
		}
	})
}
