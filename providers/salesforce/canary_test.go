package salesforce_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/providers/salesforce"
	"github.com/tetherdev/tether/providers/salesforce/salesforcetest"
)

// sessionMark is in every session id the emulator issues.
const sessionMark = "!AQ0AQ"

// TestSecretsNeverShow: the private key and the session never appear in
// the connection record, the checks, the warnings or an error, on the
// granted path and on refusals.
func TestSecretsNeverShow(t *testing.T) {
	f := start(t, nil, func(o *salesforcetest.Org) { o.Users[0].APIEnabled = false })
	keyBody := strings.Split(f.key, "\n")[1] // a line of the key's base64
	var outputs []string
	conn, secret := connect(t, f, f.inputs(nil))
	rec, _ := json.Marshal(conn)
	outputs = append(outputs, string(rec), fmt.Sprint(secret), fmt.Sprintf("%+v", conn))
	r := verify(t, f, conn, secret)
	for _, c := range r.checks {
		outputs = append(outputs, fmt.Sprintf("%+v", c))
	}
	outputs = append(outputs, r.warnings...)
	// A refused sign-in and a damaged key.
	bad := f.inputs(map[string]string{salesforce.InputUsername: "nobody@tether-demo.example"})
	_, _, err := f.p.Connect(context.Background(), method(t, f.p, salesforce.MethodJWTBearer), bad, flows.Interaction{})
	outputs = append(outputs, fmt.Sprint(err))
	damaged := flows.NewSecret(map[string]string{salesforce.InputPrivateKey: f.key[:len(f.key)/2]})
	err = f.p.Verify(context.Background(), conn, providers.Credential{Secret: damaged}, &reporter{})
	outputs = append(outputs, fmt.Sprint(err))
	for _, o := range outputs {
		if strings.Contains(o, keyBody) || strings.Contains(o, sessionMark) {
			t.Errorf("a secret shows in %q", o)
		}
	}
	if !strings.Contains(outputs[len(outputs)-1], "private key") {
		t.Errorf("a damaged key says %q", outputs[len(outputs)-1])
	}
}
