package google

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

// maxKeyFile bounds a key file: a real one is about 2.3 KiB.
const maxKeyFile = 64 << 10

// The token endpoints a key file may name in token_uri: the current one,
// and the two older ones that old key files still carry (§2.1).
const (
	TokenURL        = "https://oauth2.googleapis.com/token"
	legacyTokenURL  = "https://accounts.google.com/o/oauth2/token"
	legacyTokenURL4 = "https://www.googleapis.com/oauth2/v4/token"
)

var tokenURLs = []string{TokenURL, legacyTokenURL, legacyTokenURL4}

// ServiceAccountKey is a service account's JSON key file, as the Cloud
// console's Keys tab downloads it (x/oauth2 google credentialsFile, §2.2).
type ServiceAccountKey struct {
	Type           string `json:"type"`
	ProjectID      string `json:"project_id"`
	PrivateKeyID   string `json:"private_key_id"`
	PrivateKey     string `json:"private_key"`
	ClientEmail    string `json:"client_email"`
	ClientID       string `json:"client_id"`
	TokenURI       string `json:"token_uri"`
	UniverseDomain string `json:"universe_domain"`

	key *rsa.PrivateKey
}

var (
	saEmailPattern  = regexp.MustCompile(`^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z0-9.-]+\.gserviceaccount\.com$`)
	clientIDPattern = regexp.MustCompile(`^[0-9]{15,30}$`)
	keyIDPattern    = regexp.MustCompile(`^[0-9a-f]{40}$`)
	projectPattern  = regexp.MustCompile(`^[a-z][a-z0-9-]{4,28}[a-z0-9]$`)
)

// keyHelp is what a good key looks like, for every key error.
const keyHelp = "use the JSON key downloaded from the service account's Keys tab (Add key → Create new key → JSON)"

// ReadKey reads a service account key given either as the JSON itself or
// as the path of the file that holds it. It never quotes the value: a
// key pasted by mistake into the wrong field must not reach an error.
func ReadKey(value string) (*ServiceAccountKey, error) {
	data := []byte(strings.TrimSpace(value))
	if len(data) == 0 {
		return nil, errors.New("the service account key is empty: " + keyHelp)
	}
	if data[0] != '{' {
		if bytes.ContainsAny(data, "\r\n") || len(data) > 4096 {
			return nil, errors.New("this is neither a JSON key nor the path of a key file: " + keyHelp)
		}
		var err error
		if data, err = readKeyFile(string(data)); err != nil {
			return nil, err
		}
	}
	return ParseKey(data)
}

func readKeyFile(path string) ([]byte, error) {
	if strings.HasPrefix(path, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			path = filepath.Join(home, path[2:])
		}
	}
	f, err := os.Open(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, errors.New("there is no key file at the path given: give the path of the downloaded JSON key (like ./my-project-1a2b3c4d5e6f.json), or pipe the key with --secret-stdin")
	case errors.Is(err, fs.ErrPermission):
		return nil, errors.New("the key file at the path given cannot be read (permission denied): run tether as the file's owner, or pipe the key with --secret-stdin")
	case err != nil:
		return nil, fmt.Errorf("the key file at the path given cannot be opened: %w", unwrapPath(err))
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, errors.New("the path given is a folder: give the path of the JSON key file in it")
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("reading the key file: %w", unwrapPath(err))
	case len(data) > maxKeyFile:
		return nil, fmt.Errorf("the file at the path given is larger than %d KiB, so it is not a service account key: %s", maxKeyFile>>10, keyHelp)
	}
	return bytes.TrimSpace(data), nil
}

// unwrapPath drops the path from an *fs.PathError.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ParseKey parses and validates a JSON key: a service_account key with
// the service account's address, its numeric client id (the one
// domain-wide delegation lists), the key's id and an RSA private key, for
// Google's token endpoint.
func ParseKey(data []byte) (*ServiceAccountKey, error) {
	if len(data) > maxKeyFile {
		return nil, fmt.Errorf("the key is larger than %d KiB, so it is not a service account key: %s", maxKeyFile>>10, keyHelp)
	}
	var k ServiceAccountKey
	if err := json.Unmarshal(data, &k); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("the key is not valid JSON (at byte %d): %s", se.Offset, keyHelp)
		}
		return nil, errors.New("the key is not a JSON object of strings: " + keyHelp)
	}
	switch {
	case k.Type == "authorized_user":
		return nil, errors.New("this is a user's credentials (gcloud auth application-default login), not a service account key: " + keyHelp)
	case k.Type == "external_account":
		return nil, errors.New("this is a workload identity federation configuration, which has no private key to sign with: " + keyHelp)
	case k.Type != "service_account":
		return nil, errors.New(`the key's "type" is not "service_account": ` + keyHelp)
	case !saEmailPattern.MatchString(k.ClientEmail):
		return nil, errors.New(`the key's "client_email" is not a service account address like tether@my-project.iam.gserviceaccount.com: ` + keyHelp)
	case !clientIDPattern.MatchString(k.ClientID):
		return nil, errors.New(`the key's "client_id" is not the service account's numeric client id (21 digits, like 104455667788990011223): ` + keyHelp)
	case !keyIDPattern.MatchString(k.PrivateKeyID):
		return nil, errors.New(`the key's "private_key_id" is not a key id (40 hexadecimal digits): ` + keyHelp)
	case k.ProjectID != "" && !projectPattern.MatchString(k.ProjectID):
		return nil, errors.New(`the key's "project_id" is not a Cloud project id like my-project-123456: ` + keyHelp)
	case k.UniverseDomain != "" && k.UniverseDomain != "googleapis.com":
		return nil, fmt.Errorf("the key is for the universe %s; tether connects to Google Workspace on googleapis.com", k.UniverseDomain)
	}
	if k.TokenURI == "" {
		k.TokenURI = TokenURL
	}
	if !validTokenURL(k.TokenURI) {
		return nil, fmt.Errorf(`the key's "token_uri" is not Google's token endpoint (%s): a key file that sends its assertion elsewhere is refused`, TokenURL)
	}
	signer, err := flows.ParsePrivateKeyPEM(k.PrivateKey)
	if err != nil {
		return nil, errors.New(`the key's "private_key" is not a PEM private key: ` + keyHelp)
	}
	rk, ok := signer.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New(`the key's "private_key" is not RSA: Google signs service account assertions with RS256 only; ` + keyHelp)
	}
	k.key = rk
	return &k, nil
}

func validTokenURL(u string) bool {
	for _, t := range tokenURLs {
		if u == t {
			return true
		}
	}
	return false
}

// JSON is the key as Google wrote it, normalised: what the store keeps.
func (k *ServiceAccountKey) JSON() string {
	b, _ := json.Marshal(map[string]string{
		"type": k.Type, "project_id": k.ProjectID, "private_key_id": k.PrivateKeyID, "private_key": k.PrivateKey,
		"client_email": k.ClientEmail, "client_id": k.ClientID, "token_uri": k.TokenURI,
	})
	return string(b)
}

// validKey is the key input's validator.
func validKey(s string) error { _, err := ReadKey(s); return err }

// ParseAdmin normalizes the address of the admin to impersonate: a bare
// address ("Admin@Acme.com" → "admin@acme.com") in a domain, not a
// service account.
func ParseAdmin(s string) (string, error) {
	s = strings.TrimSpace(s)
	a, err := mail.ParseAddress(s)
	bad := fmt.Errorf("%s is not an email address: give the primary address of a Workspace admin, like admin@acme.com", providers.Shown(s))
	if err != nil || a.Address != s || a.Name != "" {
		return "", bad
	}
	local, domain, _ := strings.Cut(strings.ToLower(a.Address), "@")
	switch {
	case local == "" || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, "."):
		return "", bad
	case strings.HasSuffix(domain, "gserviceaccount.com"):
		return "", fmt.Errorf("%s is a service account: domain-wide delegation impersonates a Workspace admin, like admin@acme.com", s)
	}
	return local + "@" + domain, nil
}

func validAdmin(s string) error { _, err := ParseAdmin(s); return err }
