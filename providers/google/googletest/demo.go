package googletest

import (
	"crypto"
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"time"
)

// The sandbox's demo domain. None of these is a secret: they exist only in
// the emulator, and `tether sandbox` prints them.
const (
	DemoDomain        = "tether-demo.example"
	DemoCustomerID    = "C03tthr0d"
	DemoAdmin         = "admin@" + DemoDomain
	DemoUser          = "ada@" + DemoDomain
	DemoProject       = "tether-demo-project"
	DemoProjectNumber = "406672361802"
	DemoClientEmail   = "tether@" + DemoProject + ".iam.gserviceaccount.com"
	DemoClientID      = "104455667788990011223"
	// The demo project's Desktop app OAuth client; Google says such a
	// secret "is not treated as a secret".
	DemoOAuthClientID     = DemoProjectNumber + "-tthrdemo0desktop0client01.apps.googleusercontent.com"
	DemoOAuthClientSecret = "GOCSPX-sandbox-only-demo-secret-0001"
)

// KeyID is a key's private_key_id as Google derives one: 40 hex digits
// (here the SHA-1 of the public key, so that it is stable for a key).
func KeyID(pub crypto.PublicKey) string {
	der, _ := x509.MarshalPKIXPublicKey(pub)
	sum := sha1.Sum(der)
	return hex.EncodeToString(sum[:])
}

// KeyFile is the JSON key file of a service account key, as the Keys tab
// downloads it.
func KeyFile(email, clientID, project, privateKeyPEM string, pub crypto.PublicKey) string {
	b, _ := json.MarshalIndent(map[string]string{
		"type": "service_account", "project_id": project, "private_key_id": KeyID(pub), "private_key": privateKeyPEM,
		"client_email": email, "client_id": clientID,
		"auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": "https://oauth2.googleapis.com/token",
		"auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
		"client_x509_cert_url":        "https://www.googleapis.com/robot/v1/metadata/x509/" + email,
		"universe_domain":             "googleapis.com",
	}, "", "  ")
	return string(b) + "\n"
}

// Demo returns the demo domain: a super admin and a user, a group, the
// demo service account with the key pub (made at created), and
// domain-wide delegation of scopes to its client id.
func Demo(scopes []string, pub crypto.PublicKey, created time.Time) Domain {
	return Domain{
		Name: DemoDomain, CustomerID: DemoCustomerID, ProjectNumber: DemoProjectNumber,
		Users: []User{
			{Email: DemoAdmin, ID: "100000000000000000001", Name: "Grace Hopper", Admin: true},
			{Email: DemoUser, ID: "100000000000000000002", Name: "Ada Lovelace"},
			{Email: "alan@" + DemoDomain, ID: "100000000000000000003", Name: "Alan Turing"},
		},
		Groups: []Group{{ID: "03ep43zb2k1w8yq", Email: "engineering@" + DemoDomain, Name: "Engineering",
			Members: []string{DemoUser, "alan@" + DemoDomain}}},
		Delegation:   map[string][]string{DemoClientID: scopes},
		OAuthClients: []OAuthClient{{ID: DemoOAuthClientID, Secret: DemoOAuthClientSecret, Name: "tether (demo)"}},
		ServiceAccounts: []ServiceAccount{{Email: DemoClientEmail, ClientID: DemoClientID,
			Keys: []Key{{ID: KeyID(pub), Public: pub, Created: created}}}},
	}
}
