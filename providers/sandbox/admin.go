package sandbox

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/flows/oauthtest"
)

// DeviceApprover is an emulator whose demo admin can approve or refuse a
// device code, as the admin would on the provider's verification page.
type DeviceApprover interface {
	ApproveDevice(userCode string) error
	DenyDevice(userCode string) error
}

// Consent is the --sandbox-deny word (PROVIDER:consent) that makes a demo
// admin refuse every sign-in instead of approving it.
const Consent = "consent"

// Admin is a demo tenant's admin: it answers the sign-ins that need a
// person, so that every method of every provider runs end to end without a
// real browser. It approves a device code, a consent or admin-consent page
// and a browser sign-in after Delay (a short visible pause in the wizard,
// none in plain mode), or refuses them when Refuse is set.
type Admin struct {
	sb       *Sandbox
	provider string
	Delay    time.Duration
	Refuse   bool
}

// Admin returns the demo admin of provider's tenant; it refuses sign-ins
// when --sandbox-deny named PROVIDER:consent.
func (s *Sandbox) Admin(provider string, delay time.Duration) *Admin {
	refuse := false
	for _, d := range s.deny[provider] {
		refuse = refuse || d == Consent
	}
	return &Admin{sb: s, provider: provider, Delay: delay, Refuse: refuse}
}

// Interact returns io with the admin answering in it: device codes are
// approved in the emulator, and consent pages are opened by the admin's
// own browser, which reaches the emulators and this machine's loopback
// redirect and nothing else. io's questions and events still reach the
// person running tether.
func (a *Admin) Interact(ctx context.Context, io flows.Interaction) flows.Interaction {
	e, ok := a.sb.Emulator(a.provider)
	if !ok {
		return io
	}
	events := io.Events
	io.Events = func(ev flows.Event) {
		events.Emit(ev)
		if dc, ok := ev.(flows.DeviceCode); ok {
			if da, ok := e.Emulator.(DeviceApprover); ok {
				go a.after(ctx, func() {
					if a.Refuse {
						_ = da.DenyDevice(dc.UserCode)
					} else {
						_ = da.ApproveDevice(dc.UserCode)
					}
				})
			}
		}
	}
	decision := "approve"
	if a.Refuse {
		decision = "deny"
	}
	io.Browser = adminBrowser{a: a, ctx: ctx, b: &oauthtest.Browser{Decision: decision, Client: a.sb.adminClient()}}
	return io
}

// after runs f once the admin's delay has passed, unless ctx ends first.
func (a *Admin) after(ctx context.Context, f func()) {
	t := time.NewTimer(a.Delay)
	defer t.Stop()
	select {
	case <-t.C:
		f()
	case <-ctx.Done():
	}
}

// adminBrowser is the demo admin's browser: it opens a consent page after
// the admin's delay and clicks the decision.
type adminBrowser struct {
	a   *Admin
	ctx context.Context
	b   *oauthtest.Browser
}

func (ab adminBrowser) Open(u string) error {
	go ab.a.after(ab.ctx, func() { _ = ab.b.Open(u) })
	return nil
}

// adminClient reaches the emulators, as the sandbox's client does, and
// also this machine's loopback addresses, where a browser sign-in's
// redirect lands.
func (s *Sandbox) adminClient() *http.Client {
	hc := s.HTTPClient()
	tr := hc.Transport.(*http.Transport).Clone()
	emulated := tr.DialContext
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() && !s.serves(addr) {
			return dialer.DialContext(ctx, network, addr)
		}
		if strings.EqualFold(host, "localhost") {
			// A redirect URI that names localhost (Salesforce's and
			// Entra's registered callbacks) reaches the loopback
			// listener, which listens on 127.0.0.1.
			_, port, _ := net.SplitHostPort(addr)
			if a := net.JoinHostPort("127.0.0.1", port); !s.serves(a) {
				return dialer.DialContext(ctx, network, a)
			}
		}
		return emulated(ctx, network, addr)
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 10 {
				return fmt.Errorf("stopped after 10 redirects")
			}
			return nil
		}}
}

// serves reports whether addr is one of the emulators' own addresses.
func (s *Sandbox) serves(addr string) bool {
	for _, e := range s.Emulators {
		if e.Addr == addr {
			return true
		}
	}
	return false
}
