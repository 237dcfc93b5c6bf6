package flows

import (
	"strings"
	"testing"
)

// TestParsePrivateKeyPEMSaysWhatIsWrong: a paste that is not a key is told
// apart from a key cut short and from a key whose body was damaged, and
// the error never quotes the paste.
func TestParsePrivateKeyPEMSaysWhatIsWrong(t *testing.T) {
	key, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	good, _ := PrivateKeyPEM(key)
	lines := strings.Split(strings.TrimSpace(good), "\n")
	body := lines[1 : len(lines)-1]
	damaged := lines[0] + "\n" + strings.Join(body[:2], "\n") + "\n!!CANARYsecret%%\n" + strings.Join(body[2:], "\n") + "\n" + lines[len(lines)-1]
	truncated := strings.Join(lines[:len(lines)-3], "\n")
	tests := []struct {
		name, in, want string
	}{
		{"not PEM", "CANARY-just-a-secret-string", "the private key is not PEM: expect a block starting with -----BEGIN PRIVATE KEY-----"},
		{"no END line", truncated, "the private key has no -----END PRIVATE KEY----- line: paste the whole block"},
		{"damaged body", damaged, "the private key has a damaged body: the lines between -----BEGIN PRIVATE KEY----- and -----END PRIVATE KEY----- are not valid base64"},
		{"body cut in the middle", lines[0] + "\n" + body[0][:30] + "\n" + lines[len(lines)-1], "has a damaged body"},
		{"RSA label, damaged", "-----BEGIN RSA PRIVATE KEY-----\nCANARY*\n-----END RSA PRIVATE KEY-----", "between -----BEGIN RSA PRIVATE KEY----- and -----END RSA PRIVATE KEY-----"},
		{"broken BEGIN line", "-----BEGIN PRIVATE KEY\nCANARY\n", "has a broken BEGIN line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePrivateKeyPEM(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParsePrivateKeyPEM(%s) = %v, want an error containing %q", tt.name, err, tt.want)
			}
			if strings.Contains(err.Error(), "CANARY") || strings.Contains(err.Error(), body[1]) {
				t.Errorf("ParsePrivateKeyPEM(%s) quotes the input: %v", tt.name, err)
			}
		})
	}
}
