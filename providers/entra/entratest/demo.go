package entratest

import (
	"crypto/x509"
	"time"
)

// The sandbox's demo tenant. These are not secrets: they exist only in
// the emulator, and `tether sandbox` prints them.
const (
	DemoTenantID     = "7d3c5e9a-1b2f-4c6d-8e0a-5f4b3c2d1e0f"
	DemoDomain       = "tether-demo.onmicrosoft.com"
	DemoClientID     = "0e5f6a7b-8c9d-4e1f-a2b3-c4d5e6f70819"
	DemoObjectID     = "3a4b5c6d-7e8f-4a0b-9c1d-2e3f4a5b6c7d"
	DemoSPID         = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
	DemoClientSecret = "sbx8Q~tether-demo-only.Secret-0123456789ab"
	DemoSecretKeyID  = "f0b0b335-1d71-4883-8f98-567911bfdca6"
	DemoAppName      = "tether (demo)"
)

// Demo returns the demo tenant: one app registration that requests
// every permission in required as an application permission, is
// assigned roles, and has a client secret valid from now for 180 days
// and the given certificates.
func Demo(required, roles []string, now time.Time, certs ...*x509.Certificate) Tenant {
	var assigned []Assignment
	for _, r := range roles {
		assigned = append(assigned, Assignment{ID: newID(), Role: r, Created: now.Add(-24 * time.Hour)})
	}
	return Tenant{ID: DemoTenantID, Domains: []string{DemoDomain}, Apps: []App{{
		AppID: DemoClientID, ObjectID: DemoObjectID, SPID: DemoSPID, DisplayName: DemoAppName,
		Secrets:      []Secret{{KeyID: DemoSecretKeyID, DisplayName: "tether", Value: DemoClientSecret, Start: now.Add(-24 * time.Hour), End: now.Add(180 * 24 * time.Hour)}},
		Certificates: certs,
		RedirectURIs: []string{"http://localhost"},
		Required:     ApplicationAccess(required...),
		Assigned:     assigned,
	}}}
}
