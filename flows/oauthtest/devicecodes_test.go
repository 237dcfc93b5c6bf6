package oauthtest

import (
	"errors"
	"regexp"
	"slices"
	"testing"
	"time"
)

func TestDeviceCodes(t *testing.T) {
	var d DeviceCodes
	now := start
	dc, uc := d.Issue(DeviceRequest{ClientID: "app", Scopes: []string{"openid"}, Audience: "https://api/"}, now, time.Minute, 5*time.Second)
	if !regexp.MustCompile(`^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$`).MatchString(uc) || dc == "" {
		t.Fatalf("Issue = %q, %q", dc, uc)
	}
	if got := d.Pending(now); !slices.Equal(got, []string{uc}) {
		t.Errorf("Pending = %q, want [%s]", got, uc)
	}
	steps := []struct {
		name    string
		advance time.Duration
		client  string
		act     func() error
		want    DevicePoll
	}{
		{"at once", 0, "app", nil, DeviceSlowDown},
		{"within the grown interval", 9 * time.Second, "app", nil, DeviceSlowDown},
		{"after it", 15 * time.Second, "app", nil, DevicePending},
		{"another client's code", 15 * time.Second, "other", nil, DeviceInvalid},
		{"approved", 15 * time.Second, "app", func() error { return d.Approve(uc[:4]+" "+uc[5:], now) }, DeviceApproved},
		{"spent", 15 * time.Second, "app", nil, DeviceInvalid},
	}
	for _, s := range steps {
		now = now.Add(s.advance)
		if s.act != nil {
			if err := s.act(); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
		}
		got, req := d.Poll(dc, s.client, now)
		if got != s.want {
			t.Errorf("%s: Poll = %v, want %v", s.name, got, s.want)
		}
		if got == DeviceApproved && (req.Audience != "https://api/" || !slices.Equal(req.Scopes, []string{"openid"})) {
			t.Errorf("approved request = %+v", req)
		}
	}
	if d.Interval(dc) != 15*time.Second {
		t.Errorf("Interval = %v after two slow_downs, want 15s", d.Interval(dc))
	}
}

// TestDeviceCodesConclude: a denial and an expiry are each reported
// once; the session is over after that.
func TestDeviceCodesConclude(t *testing.T) {
	var d DeviceCodes
	now := start
	denied, uc := d.Issue(DeviceRequest{ClientID: "app"}, now, time.Minute, time.Second)
	if err := d.Deny(uc, now); err != nil {
		t.Fatal(err)
	}
	if err := d.Approve(uc, now); !errors.Is(err, ErrUnknownUserCode) {
		t.Errorf("approving a denied code = %v, want ErrUnknownUserCode", err)
	}
	expired, uc2 := d.Issue(DeviceRequest{ClientID: "app"}, now, time.Minute, time.Second)
	now = now.Add(2 * time.Second)
	if got, _ := d.Poll(denied, "app", now); got != DeviceDenied {
		t.Errorf("denied = %v", got)
	}
	if got, _ := d.Poll(denied, "app", now.Add(2*time.Second)); got != DeviceInvalid {
		t.Errorf("denied, again = %v, want DeviceInvalid", got)
	}
	now = now.Add(time.Minute)
	if err := d.Approve(uc2, now); !errors.Is(err, ErrUnknownUserCode) {
		t.Errorf("approving an expired code = %v, want ErrUnknownUserCode", err)
	}
	if got, _ := d.Poll(expired, "app", now); got != DeviceExpired {
		t.Errorf("expired = %v", got)
	}
	if got, _ := d.Poll(expired, "app", now.Add(5*time.Second)); got != DeviceInvalid {
		t.Errorf("expired, again = %v, want DeviceInvalid", got)
	}
	if got := d.Pending(now); len(got) != 0 {
		t.Errorf("Pending = %q, want none", got)
	}
}
