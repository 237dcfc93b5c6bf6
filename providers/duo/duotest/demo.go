package duotest

import "time"

// The sandbox's demo account. These are not secrets: they exist only in
// the emulator, and `tether sandbox` prints them.
const (
	DemoHost = "api-7e7e7e7e.duosecurity.com"
	DemoIKey = "DITETHERDEMO00000001"
	DemoSKey = "SandboxOnlyDemoSecretKey7e7e7e7e00000001"
	DemoName = "tether (demo)"
)

// Demo returns the demo account: one Admin API application with grants,
// a few users, and authentication and administrator log events dated
// relative to now.
func Demo(grants []string, now time.Time) Account {
	at := func(ago time.Duration) int64 { return now.Add(-ago).Unix() }
	return Account{
		Host:         DemoHost,
		Integrations: []Integration{{IKey: DemoIKey, SKey: DemoSKey, Name: DemoName, Grants: grants}},
		Users: []User{
			{UserID: "DU3RP9I2WOC59VZX672N", Username: "jsmith", Realname: "Joe Smith", Email: "jsmith@example.com", Status: "active", Created: 1489612729},
			{UserID: "DU3KC77WJ06Y5HIV7XKQ", Username: "narroway", Realname: "Nora Arroway", Email: "narroway@example.com", Status: "active", Created: 1532951000},
			{UserID: "DUQ7D2BZ3CVGZM4SNX2V", Username: "ada", Realname: "Ada Lovelace", Email: "ada@example.com", Status: "bypass", Created: 1700000000},
		},
		AuthLogs: []AuthLog{
			{Timestamp: at(50 * time.Minute), TxID: "340a23e3-23f3-23c1-87dc-1491a23dfdbb", Username: "narroway@example.com", UserKey: "DU3KC77WJ06Y5HIV7XKQ",
				EventType: "authentication", Factor: "duo_push", Result: "success", Reason: "user_approved"},
			{Timestamp: at(20 * time.Minute), TxID: "af0ba235-0b33-23c8-bc23-a31aa0231de8", Username: "jsmith@example.com", UserKey: "DU3RP9I2WOC59VZX672N",
				EventType: "authentication", Factor: "phone_call", Result: "denied", Reason: "user_mistake"},
		},
		AdminLogs: []AdminLog{
			{Timestamp: at(3 * time.Hour), Username: "Account Owner", Action: "integration_create", Object: DemoName, Description: `{"type": "Admin API"}`},
		},
	}
}
