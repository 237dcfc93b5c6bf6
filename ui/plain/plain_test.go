package plain

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

func TestCheckLine(t *testing.T) {
	tests := []struct {
		name string
		c    providers.Check
		want []string
	}{
		{"granted", providers.Check{Capability: "collect", Permission: "read:users", Status: providers.Granted, Evidence: "GET /x → 200"},
			[]string{"  ✓ granted  collect   read:users    GET /x → 200"}},
		{"missing with fix", providers.Check{Capability: "collect", Permission: "read:logs", Status: providers.Missing, Evidence: "403", Fix: "tick it", FixURL: "https://fix"},
			[]string{"  ✗ missing  collect   read:logs     403", "      fix: tick it", "           https://fix"}},
		{"excess without capability", providers.Check{Permission: "read:clients", Status: providers.Excess, Evidence: "granted"},
			[]string{"  ⚠ excess   -         read:clients  granted"}},
		{"part", providers.Check{Capability: "collect", Permission: "/api/v1/*", Part: "users", Status: providers.Unknown, Evidence: "why"},
			[]string{"  ? unknown  collect   /api/v1/* · users  why"}},
	}
	for _, tt := range tests {
		got := strings.Split(ansi.Strip(CheckLine(tt.c, 12)), "\n")
		if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
			t.Errorf("%s: CheckLine =\n%q\nwant\n%q", tt.name, got, tt.want)
		}
	}
}

func TestStreamKeepsConnectionsTogether(t *testing.T) {
	var out bytes.Buffer
	s := NewStream(&out, []string{"first", "second", "third"}, []int{4, 4, 4})
	s.Start()
	check := func(p string) providers.Check {
		return providers.Check{Capability: "c", Permission: p, Status: providers.Granted, Evidence: "e"}
	}
	var wg sync.WaitGroup
	// The third and second finish before the first.
	for _, i := range []int{2, 1} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.Reporter(i).Check(check("p" + string(rune('0'+i))))
			s.Done(i)
		}()
	}
	wg.Wait()
	if got := out.String(); got != "first\n" {
		t.Fatalf("before the first finished, printed %q", got)
	}
	s.Reporter(0).Check(check("p0"))
	s.Reporter(0).Warn("slow")
	if !strings.Contains(out.String(), "p0") {
		t.Fatal("the first connection's check was not printed live")
	}
	s.Done(0)
	got := out.String()
	order := []string{"first", "p0", "note: slow", "second", "p1", "third", "p2"}
	at := 0
	for _, w := range order {
		i := strings.Index(got[at:], w)
		if i < 0 {
			t.Fatalf("output %q lacks %q in order", got, w)
		}
		at += i
	}
}

func TestStreamSaysARepeatedErrorOnce(t *testing.T) {
	var out bytes.Buffer
	s := NewStream(&out, []string{"h"}, []int{4})
	for _, p := range []string{"a", "b"} {
		s.Reporter(0).Check(providers.Check{Permission: p, Status: providers.Error, Evidence: "cannot reach x", Fix: "retry"})
	}
	s.Done(0)
	if n := strings.Count(out.String(), "cannot reach x"); n != 1 {
		t.Errorf("error said %d times:\n%s", n, out.String())
	}
}

func TestSummaryLineAndAgo(t *testing.T) {
	r := providers.Result{Summary: providers.Summarize([]providers.Check{{Status: providers.Granted}, {Status: providers.Missing}, {Status: providers.Error}})}
	if got, want := SummaryLine([]providers.Result{r}), "1 connection · 1 granted · 1 missing · 0 excess · 0 unknown · 1 error"; got != want {
		t.Errorf("SummaryLine = %q, want %q", got, want)
	}
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	for d, want := range map[time.Duration]string{
		10 * time.Second: "just now", 5 * time.Minute: "5 min ago", 3 * time.Hour: "3 h ago",
		50 * time.Hour: "2 days ago", 40 * 24 * time.Hour: "on 2026-10-19",
	} {
		if got := Ago(now.Add(-d), now); got != want {
			t.Errorf("Ago(-%v) = %q, want %q", d, got, want)
		}
	}
}

func TestPrompterValidatesAndRetries(t *testing.T) {
	ios, in, _, errOut := Test()
	in.WriteString("bad\ngood.example\n\n")
	p := NewPrompter(ios)
	valid := func(s string) error {
		if !strings.Contains(s, ".") {
			return errString("want a domain like acme.example")
		}
		return nil
	}
	v, err := p.Ask(providers.Input{Label: "Domain", Validate: valid})
	if err != nil || v != "good.example" {
		t.Fatalf("Ask = %q, %v", v, err)
	}
	if !strings.Contains(errOut.String(), "want a domain like acme.example") {
		t.Errorf("the validation error was not shown: %q", errOut.String())
	}
	if v, err := p.Ask(providers.Input{Label: "Optional", Optional: true}); v != "" || err != nil {
		t.Errorf("optional empty = %q, %v", v, err)
	}
	if _, err := p.Ask(providers.Input{Label: "More"}); err != ErrAborted {
		t.Errorf("at end of input: %v, want ErrAborted", err)
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func TestEventLine(t *testing.T) {
	tests := []struct {
		e    flows.Event
		want []string
	}{
		{flows.DeviceCode{UserCode: "QTZL-MCBW", VerificationURI: "https://x/activate", VerificationURIComplete: "https://x/activate?user_code=QTZL-MCBW"},
			[]string{"QTZL-MCBW", "https://x/activate", "which carries the code"}},
		{flows.BrowserUnavailable{URL: "https://x/authorize", Reason: "no display"}, []string{"open this link", "no display", "https://x/authorize"}},
		{flows.AwaitingRedirect{Paste: true}, []string{"paste the full URL"}},
		{flows.Denied{Reason: "access_denied"}, []string{"✗ denied: access_denied"}},
		{flows.Expired{}, []string{"expired"}},
		{flows.Progress{Message: "requesting"}, []string{"→ requesting"}},
	}
	for _, tt := range tests {
		got := ansi.Strip(EventLine(tt.e))
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("EventLine(%T) = %q, want %q", tt.e, got, w)
			}
		}
	}
}
