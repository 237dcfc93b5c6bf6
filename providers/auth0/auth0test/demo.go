package auth0test

import "crypto"

// The sandbox's demo tenant. These are not secrets: they exist only in the
// emulator, and `tether sandbox` prints them.
const (
	DemoDomain       = "tether-demo.us.auth0.com"
	DemoClientID     = "TthrDemoM2MClient0000000000000001"
	DemoClientSecret = "sandbox-only-demo-secret-1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
	DemoClientName   = "tether (demo)"
	// DemoCustomDomain also reaches the demo tenant, to try the custom
	// domain path.
	DemoCustomDomain = "login.tether-demo.test"
)

// Demo returns the demo tenant: one Machine to Machine application granted
// scopes on the Management API (and registered with publicKeys for
// private_key_jwt), a few users and log events.
func Demo(scopes []string, publicKeys ...crypto.PublicKey) Tenant {
	t := Tenant{Domain: DemoDomain, CustomDomains: []string{DemoCustomDomain}}
	t.Clients = []Client{{
		ID: DemoClientID, Name: DemoClientName, Secret: DemoClientSecret, PublicKeys: publicKeys,
		Grants: map[string][]string{t.Audience(): scopes},
	}}
	t.Users = []User{
		{ID: "auth0|65f0c0ffee0000000000a001", Email: "ada@example.com", Name: "Ada Lovelace"},
		{ID: "auth0|65f0c0ffee0000000000a002", Email: "grace@example.com", Name: "Grace Hopper"},
		{ID: "google-oauth2|104455667788990011223", Email: "alan@example.com", Name: "Alan Turing"},
	}
	t.Logs = []Log{
		{ID: "90020240301000000000000000000000000000000000000001", Date: "2026-11-27T09:12:44.101Z", Type: "s", UserID: "auth0|65f0c0ffee0000000000a001"},
		{ID: "90020240301000000000000000000000000000000000000002", Date: "2026-11-27T09:13:02.553Z", Type: "gd_auth_succeed", UserID: "auth0|65f0c0ffee0000000000a001"},
		{ID: "90020240301000000000000000000000000000000000000003", Date: "2026-11-27T10:40:17.930Z", Type: "f", UserID: "auth0|65f0c0ffee0000000000a002"},
		{ID: "90020240301000000000000000000000000000000000000004", Date: "2026-11-27T11:02:09.412Z", Type: "seccft"},
	}
	return t
}
