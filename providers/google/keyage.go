package google

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

// MaxKeyAge is the age past which verify asks for the key to be rotated.
const MaxKeyAge = 90 * 24 * time.Hour

// age is what Google's public certificates say of a key.
type age struct {
	keyID   string
	created time.Time
	// deleted means the service account's certificates do not include
	// the key: Google no longer knows it.
	deleted bool
	err     error
}

// keyAge reads when the key was created from the service account's public
// certificates, which Google publishes without authentication at the key
// file's client_x509_cert_url (this endpoint is not in the wire
// contract's sources; its shape is {"<key id>": "<PEM certificate>"}):
// each key's certificate starts when the key was made. A key missing from
// them was deleted. Nothing depends on it but the age and a clearer
// sentence: a failure only warns.
func (p *Provider) keyAge(ctx context.Context, pr *providers.Prober, k *ServiceAccountKey) age {
	out := age{keyID: k.PrivateKeyID}
	a := pr.Get(ctx, certBase+url.PathEscape(k.ClientEmail))
	if !a.OK() {
		out.err = fmt.Errorf("the service account's public certificates could not be read: %s", a)
		return out
	}
	var certs map[string]string
	if err := json.Unmarshal(a.Body, &certs); err != nil {
		out.err = fmt.Errorf("the service account's public certificates are not a JSON object of key id → certificate")
		return out
	}
	pemCert, ok := certs[k.PrivateKeyID]
	if !ok {
		out.deleted = true
		out.err = &providers.SignInError{
			Reason: "key " + k.PrivateKeyID + " is not among the keys of " + k.ClientEmail + ": it was deleted",
			Fix:    "create a new JSON key on the service account's Keys tab (" + keysLink(k.ClientID, k.ProjectID) + ") and run tether setup google again with it",
		}
		return out
	}
	cert, err := flows.ParseCertificatePEM(pemCert)
	if err != nil {
		out.err = fmt.Errorf("the certificate of key %s does not parse: %w", k.PrivateKeyID, err)
		return out
	}
	if pub, ok := cert.PublicKey.(*rsa.PublicKey); !ok || !pub.Equal(k.key.Public()) {
		out.err = &providers.SignInError{
			Reason: "the private key in the file is not key " + k.PrivateKeyID + " of " + k.ClientEmail + ": the file was edited or mixes two keys",
			Fix:    "download the key again from the service account's Keys tab (" + keysLink(k.ClientID, k.ProjectID) + ")",
		}
		return out
	}
	out.created = cert.NotBefore
	return out
}

// days is a whole number of days in words.
func days(d time.Duration) string {
	n := int(d / (24 * time.Hour))
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

// describe says how old the key is.
func (a age) describe(now time.Time) string {
	return fmt.Sprintf("key %s was created %s (%s ago)", a.keyID, a.created.UTC().Format("2006-01-02"), days(now.Sub(a.created)))
}

// warning is the rotation advice for a key older than MaxKeyAge, or "".
func (a age) warning(k *ServiceAccountKey, now time.Time) string {
	if a.err != nil || now.Sub(a.created) <= MaxKeyAge {
		return ""
	}
	return a.describe(now) + ", more than 90 days: rotate it — create a new JSON key (" + keysLink(k.ClientID, k.ProjectID) +
		"), run tether setup google --replace with it, then delete the old key"
}
