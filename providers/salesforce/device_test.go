package salesforce_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/flows/oauthtest"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/providers/salesforce"
	"github.com/tetherdev/tether/providers/salesforce/salesforcetest"
)

// deviceConnect runs the device sign-in; decide answers the code as the
// user would (nil: never).
func deviceConnect(t *testing.T, f fixture, decide func(e *salesforcetest.Emulator, userCode string) error) (providers.Connection, flows.Secret, error) {
	t.Helper()
	in := providers.Inputs{Values: map[string]string{
		salesforce.InputLoginHost: salesforcetest.ProductionHost,
		salesforce.InputClientID:  salesforcetest.DemoConsumerKey,
	}}
	var codes []flows.DeviceCode
	io := flows.Interaction{Events: func(ev flows.Event) {
		if dc, ok := ev.(flows.DeviceCode); ok {
			codes = append(codes, dc)
			if decide != nil {
				if err := decide(f.emu(), dc.UserCode); err != nil {
					t.Errorf("deciding %s: %v", dc.UserCode, err)
				}
			}
		}
	}}
	conn, secret, err := f.p.Connect(context.Background(), method(t, f.p, salesforce.MethodDevice), in, io)
	if len(codes) > 0 && !strings.HasSuffix(codes[0].VerificationURI, "/setup/connect") {
		t.Errorf("verification page %q", codes[0].VerificationURI)
	}
	conn.Capabilities = []string{"collect"}
	return conn, secret, err
}

func approve(e *salesforcetest.Emulator, code string) error { return e.ApproveDevice(code) }

// TestDeviceSignIn: an approved device code signs in with a refresh token,
// and verification refreshes it.
func TestDeviceSignIn(t *testing.T) {
	f := startClocked(t, oauthtest.NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)), nil)
	conn, secret, err := deviceConnect(t, f, approve)
	if err != nil {
		t.Fatalf("Connect() = %v", err)
	}
	if tok, _ := flows.SecretToken(secret); tok == nil || tok.RefreshToken == "" {
		t.Fatal("no refresh token stored")
	}
	if r := verify(t, f, conn, secret); r.check(apiPerm).Status != providers.Granted {
		t.Errorf("checks = %+v", r.checks)
	}
}

// TestDeviceRefusals: a denial, an expired code, and an app without the
// device flow, which offers the web sign-in.
func TestDeviceRefusals(t *testing.T) {
	clock := oauthtest.NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	f := startClocked(t, clock, nil)
	deny := func(e *salesforcetest.Emulator, code string) error { return e.DenyDevice(code) }
	if _, _, err := deviceConnect(t, f, deny); !errors.Is(err, flows.ErrDenied) {
		t.Errorf("denied: %v", err)
	}
	if _, _, err := deviceConnect(t, f, nil); !errors.Is(err, flows.ErrExpired) {
		t.Errorf("never approved: %v", err)
	}
	f = startClocked(t, clock, nil, func(o *salesforcetest.Org) { o.Apps[0].DeviceFlow = false })
	_, _, err := deviceConnect(t, f, approve)
	var se *providers.SignInError
	if !errors.As(err, &se) || !strings.Contains(se.Fix, "Enable Device Flow") || !strings.Contains(se.Fix, "--method web") {
		t.Errorf("device flow disabled: %v", err)
	}
	f = startClocked(t, clock, nil, func(o *salesforcetest.Org) { o.Apps[0].Permitted = nil })
	if _, _, err := deviceConnect(t, f, approve); !errors.As(err, &se) || !strings.Contains(se.Fix, "pre-authorized") {
		t.Errorf("not permitted: %v", err)
	}
}
