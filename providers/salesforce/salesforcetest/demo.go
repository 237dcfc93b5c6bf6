package salesforcetest

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"time"
)

// The sandbox's demo org. These are not secrets: they exist only in the
// emulator, and `tether sandbox` prints them.
const (
	DemoOrgID          = "00DTT0000000DEMOAQ"
	DemoMyDomain       = "tether-demo.my.salesforce.com"
	DemoConsumerKey    = "3MVG9TetherDemo.ExternalClientApp.0000000000000000000000000000000000000000000000001"
	DemoConsumerSecret = "sandbox-only-demo-consumer-secret-5D1E0C8A7B"
	DemoAppName        = "tether (demo)"
	DemoUsername       = "tether-integration@tether-demo.example"
	DemoUserID         = "005TT0000000INTGAQ"
	DemoAdminUsername  = "admin@tether-demo.example"
	DemoAdminUserID    = "005TT0000000ADMNAQ"
	// DemoPermissionSet pre-authorizes the integration user for the app
	// and grants it API Enabled.
	DemoPermissionSet = "Tether API Access"
	// DemoCallbackURL is the demo app's callback URL.
	DemoCallbackURL = "http://localhost:1717/OauthRedirect"
	// DemoProfile is the integration user's profile.
	DemoProfile = "Minimum Access - API Only Integrations"
)

// Demo returns the demo org: an External Client App with the scopes
// given, the JWT bearer flow set up with the certificates of keys, and
// admin-approved users; a dedicated integration user pre-authorized by a
// permission set with API Enabled, and a System Administrator.
func Demo(scopes []string, keys ...crypto.Signer) (Org, error) {
	app := App{Name: DemoAppName, ConsumerKey: DemoConsumerKey, ConsumerSecret: DemoConsumerSecret,
		Scopes: scopes, AdminApproved: true, Permitted: []string{DemoPermissionSet, "System Administrator"},
		CallbackURLs: []string{DemoCallbackURL}, RotateRefreshTokens: true, DeviceFlow: true}
	for _, k := range keys {
		c, err := Certificate(k)
		if err != nil {
			return Org{}, err
		}
		app.Certificates = append(app.Certificates, c)
	}
	return Org{ID: DemoOrgID, MyDomain: DemoMyDomain, Apps: []App{app}, Users: []User{
		{ID: DemoUserID, Username: DemoUsername, Name: "Tether Integration", Email: "it@tether-demo.example",
			Profile: DemoProfile, PermissionSets: []string{DemoPermissionSet}, APIEnabled: true, Integration: true},
		{ID: DemoAdminUserID, Username: DemoAdminUsername, Name: "Demo Admin", Email: "admin@tether-demo.example",
			Profile: "System Administrator", APIEnabled: true},
	}}, nil
}

// Certificate returns a self-signed certificate of key, as an admin
// uploads it under "Use digital signatures".
func Certificate(key crypto.Signer) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: "tether"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("salesforcetest: certificate: %w", err)
	}
	return x509.ParseCertificate(der)
}
