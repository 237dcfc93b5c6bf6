package flows

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"filippo.io/age/armor"
	"golang.org/x/crypto/ssh"
)

func sshPublic(t *testing.T, pub any) string {
	t.Helper()
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))) + " admin@host, laptop"
}

func TestParseRecipient(t *testing.T) {
	x, _ := age.GenerateX25519Identity()
	pq, _ := age.GenerateHybridIdentity()
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	smallRSA, _ := rsa.GenerateKey(rand.Reader, 1024)
	tests := []struct {
		name    string
		in      string
		wantErr string // "" means a recipient
		quoted  bool   // the error may quote the value
	}{
		{"X25519", x.Recipient().String(), "", false},
		{"X25519 with spaces around", "  " + x.Recipient().String() + "\n", "", false},
		{"post-quantum hybrid", pq.Recipient().String(), "", false},
		{"ssh-ed25519 with a comment", sshPublic(t, edPub), "", false},
		{"ssh-rsa", sshPublic(t, &rsaKey.PublicKey), "", false},
		{"ssh-rsa under 2048 bits", sshPublic(t, &smallRSA.PublicKey), "not an age recipient", true},
		{"an age identity", x.String(), "that is a private key", false},
		{"a PEM private key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----", "that is a private key", false},
		{"a truncated age key", x.Recipient().String()[:20], "not an age recipient", true},
		{"an e-mail address", "admin@example.com", "unknown recipient type", true},
		{"an unsupported ssh key", "ssh-dss AAAAB3NzaC1kc3MAAACBAP", "not an age recipient", true},
		{"empty", "", "unknown recipient type", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseRecipient(tt.in)
			switch {
			case tt.wantErr == "" && (err != nil || r == nil):
				t.Fatalf("ParseRecipient(%q) = %v, want a recipient", tt.in, err)
			case tt.wantErr == "":
				return
			case err == nil:
				t.Fatalf("ParseRecipient(%q) = %v, want an error", tt.in, r)
			case !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "want an age public key"):
				t.Errorf("ParseRecipient(%q) error = %q, want it to say %q and what a good value is", tt.in, err, tt.wantErr)
			}
			var re *RecipientError
			if !errors.As(err, &re) {
				t.Errorf("ParseRecipient(%q) error is %T, want *RecipientError", tt.in, err)
			}
			if !tt.quoted && strings.TrimSpace(tt.in) != "" && strings.Contains(err.Error(), strings.TrimSpace(tt.in)[:12]) {
				t.Errorf("ParseRecipient(%s) error quotes a private key: %q", tt.name, err)
			}
		})
	}
}

// TestEncryptDecryptsWithEachIdentity: an export encrypted to several
// recipients, armored or not, decrypts to the same bytes with the identity
// of any one of them, and with no other.
func TestEncryptDecryptsWithEachIdentity(t *testing.T) {
	doc := []byte(`{"client_secret":"CANARY-encrypt-me"}` + "\n")
	x, _ := age.GenerateX25519Identity()
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	edID, err := agessh.NewEd25519Identity(edPriv)
	if err != nil {
		t.Fatal(err)
	}
	var recipients []age.Recipient
	for _, s := range []string{x.Recipient().String(), sshPublic(t, edPub)} {
		r, err := ParseRecipient(s)
		if err != nil {
			t.Fatal(err)
		}
		recipients = append(recipients, r)
	}
	stranger, _ := age.GenerateX25519Identity()
	for _, armored := range []bool{false, true} {
		out, err := EncryptBytes(doc, armored, recipients...)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(out, []byte("CANARY")) {
			t.Fatalf("the ciphertext holds the plaintext")
		}
		if got := bytes.HasPrefix(out, []byte(armor.Header)); got != armored {
			t.Errorf("armored=%v: output starts %q", armored, out[:min(len(out), 40)])
		}
		for _, id := range []age.Identity{x, edID} {
			var src io.Reader = bytes.NewReader(out)
			if armored {
				src = armor.NewReader(src)
			}
			r, err := age.Decrypt(src, id)
			if err != nil {
				t.Fatalf("armored=%v: Decrypt with %T: %v", armored, id, err)
			}
			got, _ := io.ReadAll(r)
			if !bytes.Equal(got, doc) {
				t.Errorf("armored=%v: decrypted %q, want %q", armored, got, doc)
			}
		}
		var src io.Reader = bytes.NewReader(out)
		if armored {
			src = armor.NewReader(src)
		}
		if _, err := age.Decrypt(src, stranger); err == nil {
			t.Errorf("armored=%v: a stranger's identity decrypts it", armored)
		}
	}
	if _, err := EncryptBytes(doc, true); err == nil {
		t.Error("EncryptBytes with no recipient succeeded")
	}
}

func TestWriteNewFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "auth0.json")
	if err := WriteNewFile(path, []byte("first"), false); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
			t.Errorf("mode %04o, want 0600", st.Mode().Perm())
		}
	}
	if err := WriteNewFile(path, []byte("second"), false); !errors.Is(err, fs.ErrExist) {
		t.Errorf("WriteNewFile over an existing file = %v, want fs.ErrExist", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "first" {
		t.Errorf("the existing file was changed: %q", got)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteNewFile(path, []byte("second"), true); err != nil {
		t.Fatalf("WriteNewFile with replace = %v", err)
	}
	got, _ := os.ReadFile(path)
	st, _ := os.Stat(path)
	if string(got) != "second" || (runtime.GOOS != "windows" && st.Mode().Perm() != 0o600) {
		t.Errorf("after replace: %q, mode %04o; want second, 0600", got, st.Mode().Perm())
	}
	if err := WriteNewFile(filepath.Join(dir, "missing", "x.json"), []byte("x"), false); err == nil || !strings.Contains(err.Error(), "there is no directory") {
		t.Errorf("WriteNewFile into a missing directory = %v", err)
	}
	if runtime.GOOS != "windows" {
		target := filepath.Join(dir, "target")
		link := filepath.Join(dir, "link")
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		if err := WriteNewFile(link, []byte("x"), false); !errors.Is(err, fs.ErrExist) {
			t.Errorf("WriteNewFile through a dangling symlink = %v, want fs.ErrExist", err)
		}
		if _, err := os.Stat(target); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the symlink's target was created")
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("a temporary file was left: %s", e.Name())
		}
	}
}

// FuzzParseRecipient: any value either parses or is a *RecipientError,
// and an error never repeats a value that holds a private key.
func FuzzParseRecipient(f *testing.F) {
	x, _ := age.GenerateX25519Identity()
	for _, s := range []string{x.Recipient().String(), x.String(), "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHxf0 c", "age1pq1", "", "-----BEGIN PRIVATE KEY-----"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRecipient(s)
		var re *RecipientError
		switch {
		case err == nil && r == nil:
			t.Fatalf("ParseRecipient(%q) = nil, nil", s)
		case err != nil && !errors.As(err, &re):
			t.Fatalf("ParseRecipient(%q) error is %T", s, err)
		case err != nil && looksPrivate(s) && len(strings.TrimSpace(s)) > 3 && strings.Contains(err.Error(), strings.TrimSpace(s)):
			t.Fatalf("ParseRecipient error repeats a private key: %q", err)
		}
	})
}
