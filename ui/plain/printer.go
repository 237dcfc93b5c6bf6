package plain

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"charm.land/lipgloss/v2"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

// Symbol returns a status's symbol. Every status has its own, so meaning is
// never carried by colour alone.
func Symbol(s providers.Status) string {
	switch s {
	case providers.Granted:
		return "✓"
	case providers.Missing:
		return "✗"
	case providers.Excess:
		return "⚠"
	case providers.Unknown:
		return "?"
	}
	return "!"
}

var (
	green  = lipgloss.Color("2")
	red    = lipgloss.Color("1")
	yellow = lipgloss.Color("3")
	blue   = lipgloss.Color("4")
)

func statusStyle(s providers.Status) lipgloss.Style {
	st := lipgloss.NewStyle().Bold(true)
	switch s {
	case providers.Granted:
		return st.Foreground(green)
	case providers.Missing, providers.Error:
		return st.Foreground(red)
	case providers.Excess:
		return st.Foreground(yellow)
	}
	return st.Foreground(blue)
}

var (
	dim  = lipgloss.NewStyle().Faint(true)
	bold = lipgloss.NewStyle().Bold(true)
)

// CheckLine renders one check as the plain output shows it:
//
//	✗ missing  collect  read:logs   token … lacks read:logs; GET … → 403
//	    fix: tick read:logs …
//	         https://manage.auth0.com/…
//
// width pads the permission column.
func CheckLine(c providers.Check, width int) string {
	capa := c.Capability
	if capa == "" {
		capa = "-"
	}
	st := statusStyle(c.Status)
	head := fmt.Sprintf("  %s %s %-9s %-*s  %s",
		st.Render(Symbol(c.Status)), st.Render(fmt.Sprintf("%-8s", c.Status)),
		capa, width, c.Label(), c.Evidence)
	var b strings.Builder
	b.WriteString(strings.TrimRight(head, " "))
	if c.Fix != "" {
		b.WriteString("\n      fix: " + c.Fix)
		if c.FixURL != "" {
			b.WriteString("\n           " + lipgloss.NewStyle().Underline(true).Hyperlink(c.FixURL).Render(c.FixURL))
		}
	}
	return b.String()
}

// Header renders the line that opens a connection's checks: the
// connection, its tenant, the method, who tether acts as and the host the
// credential goes to.
func Header(conn providers.Connection, d providers.Description, method string) string {
	tenant := d.Tenant
	if tenant == "" {
		tenant = conn.Tenant
	}
	parts := []string{bold.Render(conn.Key().String()), tenant}
	var detail []string
	for _, s := range []string{method, d.Principal} {
		if s != "" {
			detail = append(detail, s)
		}
	}
	if d.APIHost != "" {
		detail = append(detail, "via "+d.APIHost)
	}
	if len(detail) > 0 {
		parts = append(parts, "("+strings.Join(detail, " · ")+")")
	}
	return strings.Join(parts, "  ")
}

// PermissionWidth is the width of the permission column for a connection:
// the longest label of the checks it will report.
func PermissionWidth(cp catalog.Provider, enabled []string) int {
	w := 12
	for _, n := range cp.Needs(enabled) {
		l := len(n.Permission.Name)
		for _, part := range n.Permission.Parts {
			l = max(l, len(n.Permission.Name+" · "+part))
		}
		w = max(w, l)
	}
	return min(w, 40)
}

// SummaryLine counts the results: "2 connections · 27 granted · 1 missing …".
func SummaryLine(results []providers.Result) string {
	counts := map[providers.Status]int{}
	for _, r := range results {
		for s, n := range r.Summary.Counts {
			counts[s] += n
		}
	}
	noun := "connections"
	if len(results) == 1 {
		noun = "connection"
	}
	parts := []string{fmt.Sprintf("%d %s", len(results), noun)}
	for _, s := range providers.Statuses {
		word := string(s)
		if s == providers.Error {
			word = "errors"
			if counts[s] == 1 {
				word = "error"
			}
		}
		parts = append(parts, fmt.Sprintf("%d %s", counts[s], word))
	}
	return strings.Join(parts, " · ")
}

// Ago says how long ago t was, for people: "just now", "5 min ago",
// "3 h ago", "2 days ago", or the date.
func Ago(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	case d < 14*24*time.Hour:
		return fmt.Sprintf("%d days ago", int(d.Hours()/24))
	}
	return "on " + t.Format(time.DateOnly)
}

// Stream prints the checks of several connections verified concurrently,
// keeping each connection's lines together: the first connection prints
// live, the others are held until those before them are done. It
// implements a providers.Reporter per connection.
type Stream struct {
	mu      sync.Mutex
	w       io.Writer
	slots   []*slot
	current int
}

type slot struct {
	s       *Stream
	i       int
	width   int
	buf     strings.Builder
	done    bool
	lastErr string
}

// NewStream returns a stream for n connections. widths gives each
// connection's permission column width; headers its opening line.
func NewStream(w io.Writer, headers []string, widths []int) *Stream {
	s := &Stream{w: w}
	for i := range headers {
		sl := &slot{s: s, i: i, width: widths[i]}
		sl.buf.WriteString(headers[i] + "\n")
		s.slots = append(s.slots, sl)
	}
	return s
}

// Start prints the first connection's header at once; otherwise it waits
// for the first check, so that a sign-in that fails prints none.
func (s *Stream) Start() { s.flush() }

// Reporter returns the reporter of connection i.
func (s *Stream) Reporter(i int) providers.Reporter { return s.slots[i] }

func (sl *slot) write(text string) {
	sl.s.mu.Lock()
	defer sl.s.mu.Unlock()
	sl.buf.WriteString(text + "\n")
	if sl.i == sl.s.current {
		sl.s.flushLocked()
	}
}

func (sl *slot) Check(c providers.Check) {
	// A connection-wide error repeats on every check; say it once.
	if c.Status == providers.Error && c.Evidence == sl.lastErr {
		c.Evidence = "(as above)"
		c.Fix = ""
	} else if c.Status == providers.Error {
		sl.lastErr = c.Evidence
	}
	sl.write(CheckLine(c, sl.width))
}

func (sl *slot) Warn(msg string) { sl.write("  " + dim.Render("note: "+msg)) }

// Recheck says that tether waits for grants to reach new tokens before
// it checks again; the next round's checks follow.
func (sl *slot) Recheck(round, rounds int, wait time.Duration, missing []string) {
	sl.write(fmt.Sprintf("\n  still missing: %s. New grants can take a while to reach new tokens:\n  checking again in %s (%d of %d)…",
		strings.Join(missing, ", "), wait, round, rounds))
}

// Done marks connection i finished, with its trailing lines.
func (s *Stream) Done(i int, trailer ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range trailer {
		s.slots[i].buf.WriteString(t + "\n")
	}
	s.slots[i].done = true
	s.flushLocked()
}

func (s *Stream) flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flushLocked()
}

func (s *Stream) flushLocked() {
	for s.current < len(s.slots) {
		sl := s.slots[s.current]
		_, _ = io.WriteString(s.w, sl.buf.String())
		sl.buf.Reset()
		if !sl.done {
			return
		}
		s.current++
	}
}

// Steps renders console steps as a numbered list with their links.
func Steps(steps []providers.Step) string {
	var b strings.Builder
	for i, s := range steps {
		fmt.Fprintf(&b, "%2d. %s\n", i+1, bold.Render(s.Title))
		if s.Detail != "" {
			fmt.Fprintf(&b, "    %s\n", s.Detail)
		}
		if s.URL != "" {
			fmt.Fprintf(&b, "    %s\n", lipgloss.NewStyle().Underline(true).Hyperlink(s.URL).Render(s.URL))
		}
	}
	if b.Len() > 0 {
		b.WriteString("\n")
	}
	return b.String()
}

// EventLine renders a sign-in event as a line for stderr, or "" for one
// that needs no line. The device code and the links are always printed,
// even when a browser was opened or the code copied, so that the admin can
// always finish by hand.
func EventLine(e flows.Event) string {
	switch e := e.(type) {
	case flows.Progress:
		return "→ " + e.Message
	case flows.DeviceCode:
		s := fmt.Sprintf("! First copy your one-time code: %s\n  then open %s", bold.Render(e.UserCode), e.VerificationURI)
		if e.VerificationURIComplete != "" {
			s += "\n  (or " + e.VerificationURIComplete + ", which carries the code)"
		}
		if !e.ExpiresAt.IsZero() {
			s += fmt.Sprintf("\n  the code expires at %s", e.ExpiresAt.Local().Format(time.Kitchen))
		}
		return s
	case flows.BrowserOpened:
		return "→ opened your browser on " + e.URL
	case flows.BrowserUnavailable:
		return "! open this link in a browser (" + e.Reason + "):\n  " + e.URL
	case flows.AwaitingRedirect:
		if e.Paste {
			return "! after you approve, paste the full URL your browser ends on (it may not load), then press enter:"
		}
		return "→ waiting for the browser to come back to " + e.RedirectURI
	case flows.RedirectRejected:
		return "! a redirect was refused: " + e.Reason
	case flows.Approved:
		return "✓ approved"
	case flows.Denied:
		return "✗ denied: " + e.Reason
	case flows.Expired:
		return "✗ the code expired unused; run the command again"
	}
	return ""
}
