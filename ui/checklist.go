package ui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/ui/plain"
)

// checklist shows the permissions a connection needs, each with a spinner
// until its check arrives, grouped by capability, with the fix under each
// failure and the evidence on demand.
type checklist struct {
	common   *Common
	provider catalog.Provider
	title    string
	needs    []catalog.Need
	checks   map[string]providers.Check // by label
	extra    []providers.Check          // excess grants, and checks of no need
	warnings []string
	spin     spinner.Model
	done     bool
	err      error
}

func newChecklist(c *Common, cp catalog.Provider, enabled []string, title string) *checklist {
	return &checklist{
		common: c, provider: cp, title: title, needs: cp.Needs(enabled),
		checks: map[string]providers.Check{},
		spin:   spinner.New(spinner.WithSpinner(spinner.MiniDot)),
	}
}

// reset empties the list for a re-check.
func (l *checklist) reset() {
	l.checks, l.extra, l.warnings, l.done, l.err = map[string]providers.Check{}, nil, nil, false, nil
}

func (l *checklist) init() tea.Cmd { return l.spin.Tick }

func (l *checklist) add(c providers.Check) {
	if c.Status != providers.Excess && slices.ContainsFunc(l.needs, func(n catalog.Need) bool { return n.Permission.Name == c.Permission }) {
		l.checks[c.Label()] = c
		return
	}
	l.extra = append(l.extra, c)
}

func (l *checklist) finish(r providers.Result) {
	l.done, l.err = true, r.Err
	for _, c := range r.Checks { // a check the stream lost is still shown
		if _, ok := l.checks[c.Label()]; !ok && !slices.Contains(l.extra, c) {
			l.add(c)
		}
	}
}

func (l *checklist) update(msg tea.Msg) tea.Cmd {
	if t, ok := msg.(spinner.TickMsg); ok && t.ID == l.spin.ID() {
		var cmd tea.Cmd
		l.spin, cmd = l.spin.Update(msg)
		if l.done {
			return nil // stop ticking once everything is in
		}
		return cmd
	}
	return nil
}

// of returns the checks of a permission, by label: one for most, one per
// area where a provider proves a permission area by area (Okta's
// "/api/v1/* · users", "/api/v1/* · groups" …).
func (l *checklist) of(permission string) []providers.Check {
	var out []providers.Check
	for _, c := range l.checks {
		if c.Permission == permission {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b providers.Check) int { return strings.Compare(a.Label(), b.Label()) })
	return out
}

// fixURL returns the console link of the first failing check, if any.
func (l *checklist) fixURL() string {
	for _, n := range l.needs {
		for _, c := range l.of(n.Permission.Name) {
			if c.Status != providers.Granted && c.FixURL != "" {
				return c.FixURL
			}
		}
	}
	for _, c := range l.extra {
		if c.FixURL != "" {
			return c.FixURL
		}
	}
	return ""
}

// counts returns how many checks have each status.
func (l *checklist) counts() map[providers.Status]int {
	n := map[providers.Status]int{}
	for _, c := range l.checks {
		n[c.Status]++
	}
	for _, c := range l.extra {
		n[c.Status]++
	}
	return n
}

// failing returns the checks that are missing, in need order.
func (l *checklist) failing() []providers.Check {
	var out []providers.Check
	for _, n := range l.needs {
		for _, c := range l.of(n.Permission.Name) {
			if c.Status == providers.Missing {
				out = append(out, c)
			}
		}
	}
	return out
}

func (l *checklist) view(evidence bool) string {
	s := l.common.Styles
	width := max(l.common.Width-4, 40)
	var b strings.Builder
	if l.title != "" {
		b.WriteString(s.Bold.Render(l.title) + "\n")
	}
	nameWidth := 12
	for _, n := range l.needs {
		nameWidth = max(nameWidth, lipgloss.Width(n.Permission.Name))
	}
	for _, c := range l.checks {
		nameWidth = max(nameWidth, lipgloss.Width(c.Label()))
	}
	nameWidth = min(nameWidth, 34)
	group := ""
	for _, n := range l.needs {
		if n.Capability != group {
			group = n.Capability
			capa, _ := l.provider.Capability(group)
			b.WriteString("  " + s.Capability.Render(catalog.CapabilityLabel(capa)) + "\n")
		}
		cs := l.of(n.Permission.Name)
		if len(cs) == 0 {
			fmt.Fprintf(&b, "    %s %-*s  %s\n", l.spin.View(), nameWidth, n.Permission.Name, s.Dim.Render("checking…"))
			continue
		}
		for _, c := range cs {
			b.WriteString(l.row(c, nameWidth, width, evidence))
		}
	}
	if len(l.extra) > 0 {
		b.WriteString("  " + s.Capability.Render("beyond the enabled capabilities") + "\n")
		for _, c := range l.extra {
			b.WriteString(l.row(c, nameWidth, width, evidence))
		}
	}
	for _, w := range l.warnings {
		b.WriteString(wrap(s.Dim, "note: "+w, width-2, "  ") + "\n")
	}
	return b.String()
}

// summary counts the checks by status, and says when they were made.
func (l *checklist) summary(at time.Time) string {
	n := l.counts()
	line := fmt.Sprintf("%d granted · %d missing · %d excess · %d unknown · %d errors",
		n[providers.Granted], n[providers.Missing], n[providers.Excess], n[providers.Unknown], n[providers.Error])
	if !at.IsZero() {
		line += " · checked at " + at.Format(time.TimeOnly)
	}
	return line
}

func (l *checklist) row(c providers.Check, nameWidth, width int, evidence bool) string {
	s := l.common.Styles
	st := s.Status[c.Status]
	head := fmt.Sprintf("    %s %-*s  %s", st.Render(plain.Symbol(c.Status)), nameWidth, c.Label(), st.Render(string(c.Status)))
	var b strings.Builder
	b.WriteString(head + "\n")
	if (evidence || c.Status != providers.Granted) && c.Evidence != "" {
		// Wrapped, never cut: the evidence is the API's own answer.
		b.WriteString(wrap(s.Dim, c.Evidence, width-8, "        ") + "\n")
	}
	if c.Fix != "" {
		b.WriteString(wrap(s.Normal, "fix: "+c.Fix, width-8, "        ") + "\n")
		if c.FixURL != "" {
			b.WriteString(wrapLink(s, c.FixURL, width-8, "        ") + "\n")
		}
	}
	return b.String()
}

// wrapLink renders url whole over as many lines as it needs, each piece
// a link to the whole URL (OSC 8), so that a terminal without clickable
// links still shows every character to copy.
func wrapLink(s *Styles, url string, width int, indent string) string {
	width = max(width, 20)
	var lines []string
	for rest := url; rest != ""; {
		piece := ansi.Cut(rest, 0, width)
		rest = ansi.Cut(rest, width, ansi.StringWidth(rest))
		lines = append(lines, indent+s.LinkTo(piece, url))
	}
	return strings.Join(lines, "\n")
}

// wrap renders text in style, wrapped at spaces to width, each line
// indented. Only a word longer than the width is cut, so a URL or a
// hyphenated name stays whole whenever it fits.
func wrap(style lipgloss.Style, text string, width int, indent string) string {
	width = max(width, 20)
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		for ansi.StringWidth(word) > width {
			if line != "" {
				lines, line = append(lines, line), ""
			}
			lines = append(lines, ansi.Cut(word, 0, width))
			word = ansi.Cut(word, width, ansi.StringWidth(word))
		}
		switch {
		case line == "":
			line = word
		case ansi.StringWidth(line)+1+ansi.StringWidth(word) <= width:
			line += " " + word
		default:
			lines, line = append(lines, line), word
		}
	}
	if line != "" || len(lines) == 0 {
		lines = append(lines, line)
	}
	for i, l := range lines {
		lines[i] = indent + style.Render(l)
	}
	return strings.Join(lines, "\n")
}
