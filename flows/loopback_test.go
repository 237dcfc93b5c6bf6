package flows

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestLoopbackRefusals: requests from another machine, or naming another
// host (DNS rebinding), or with another state, are refused with an error
// page, reported, and never reach accept; the right one does, once.
func TestLoopbackRefusals(t *testing.T) {
	lb, err := listenLoopback(Loopback{Path: "/cb"})
	if err != nil {
		t.Fatal(err)
	}
	defer lb.close()
	host := "127.0.0.1:" + lb.port
	rec := &recorder{}
	var accepted atomic.Int32
	done := make(chan error, 1)
	go func() {
		done <- lb.await(bounded(t), Interaction{Events: rec.Events(), Browser: openerFunc(func(string) error { return nil })},
			Clock{}, time.Minute, "https://login.example.com/authorize", "the-state",
			func(_ context.Context, q url.Values) error {
				accepted.Add(1)
				if q.Get("code") != "good" {
					t.Errorf("accept got code %q", q.Get("code"))
				}
				return nil
			})
	}()

	for _, tc := range []struct {
		name, remote, host, path string
		status                   int
		reason                   string
	}{
		{"another machine", "192.0.2.7:50000", host, "/cb?state=the-state&code=evil", 403, "not this machine"},
		{"IPv6 another machine", "[2001:db8::1]:50000", host, "/cb?state=the-state&code=evil", 403, "not this machine"},
		{"DNS rebinding", "127.0.0.1:50000", "attacker.example:" + lb.port, "/cb?state=the-state&code=evil", 403, "DNS rebinding"},
		{"another port", "127.0.0.1:50000", "127.0.0.1:1", "/cb?state=the-state&code=evil", 403, "DNS rebinding"},
		{"wrong state", "127.0.0.1:50000", host, "/cb?state=other&code=evil", 400, "state"},
		{"no state", "127.0.0.1:50000", host, "/cb?code=evil", 400, "state"},
		{"error without the state", "127.0.0.1:50000", host, "/cb?error=access_denied", 400, "state"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := len(rec.find("RedirectRejected"))
			r := httptest.NewRequest(http.MethodGet, "http://"+tc.host+tc.path, nil)
			r.RemoteAddr = tc.remote
			w := httptest.NewRecorder()
			lb.ServeHTTP(w, r)
			if w.Code != tc.status || !strings.Contains(w.Body.String(), `data-result="failure"`) {
				t.Errorf("status %d, want %d with the failure page", w.Code, tc.status)
			}
			rej := rec.find("RedirectRejected")
			if len(rej) != n+1 || !strings.Contains(rej[n].(RedirectRejected).Reason, tc.reason) {
				t.Errorf("RedirectRejected = %v, want one more about %q", rej, tc.reason)
			}
			if strings.Contains(rej[len(rej)-1].(RedirectRejected).Reason, "evil") {
				t.Error("a refusal quotes the request")
			}
		})
	}
	if accepted.Load() != 0 {
		t.Fatal("a refused request reached accept")
	}
	// Not the redirect path: 404, not reported.
	r := httptest.NewRequest(http.MethodGet, "http://"+host+"/favicon.ico", nil)
	r.RemoteAddr = "127.0.0.1:50000"
	w := httptest.NewRecorder()
	lb.ServeHTTP(w, r)
	if w.Code != 404 {
		t.Errorf("favicon: %d", w.Code)
	}

	r = httptest.NewRequest(http.MethodGet, "http://"+host+"/cb?state=the-state&code=good", nil)
	r.RemoteAddr = "[::1]:50000"
	w = httptest.NewRecorder()
	lb.ServeHTTP(w, r)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `data-result="success"`) {
		t.Errorf("the right redirect got %d", w.Code)
	}
	if err := <-done; err != nil || accepted.Load() != 1 {
		t.Fatalf("await = %v, accepted %d times", err, accepted.Load())
	}
}

// TestLoopbackListensOnLoopbackOnly: the listener is bound to 127.0.0.1
// and, for localhost, [::1]; never to all interfaces.
func TestLoopbackListensOnLoopbackOnly(t *testing.T) {
	for _, host := range []string{"", "127.0.0.1", "localhost"} {
		lb, err := listenLoopback(Loopback{Host: host})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(lb.redirectURI, "http://") || !isLoopbackHost(strings.Split(strings.TrimPrefix(lb.redirectURI, "http://"), ":")[0]) {
			t.Errorf("redirect URI %s", lb.redirectURI)
		}
		lb.close()
	}
	if _, err := listenLoopback(Loopback{Host: "0.0.0.0"}); err == nil {
		t.Error("listenLoopback(0.0.0.0) succeeded")
	}
}

func TestLoopbackPostRefused(t *testing.T) {
	lb, err := listenLoopback(Loopback{})
	if err != nil {
		t.Fatal(err)
	}
	defer lb.close()
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:"+lb.port+"/", strings.NewReader("code=x&state=y"))
	r.RemoteAddr = "127.0.0.1:1234"
	w := httptest.NewRecorder()
	lb.ServeHTTP(w, r)
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", w.Code)
	}
}
