package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

func (m *Model) tooSmall() bool { return m.c.Width < minWidth || m.c.Height < minHeight }

// body renders the page, and the line of its focus (-1 for none).
func (m *Model) body() (string, []key.Binding, int) {
	switch m.page {
	case pageSetup:
		body, focus := m.setup.view()
		return body, m.setup.help(), focus
	case pageVerify:
		return m.verify.view(), m.verify.help(), -1
	}
	body, focus := m.home.view()
	return body, m.home.help(), focus
}

// room is how many body lines fit between the header and the footer.
func (m *Model) room(footer string) int {
	return max(m.c.Height-4-lipgloss.Height(footer), 3)
}

// follow scrolls the body so that the focused line stays in the window.
func (m *Model) follow() {
	if m.tooSmall() {
		return
	}
	body, keys, focus := m.body()
	lines := strings.Count(strings.TrimRight(body, "\n"), "\n") + 1
	room := m.room(m.footer(keys))
	if focus < 0 || lines <= room {
		return
	}
	visible := room - 1 // one line says that there is more
	switch {
	case focus < m.offset:
		m.offset = focus
	case focus >= m.offset+visible:
		m.offset = focus - visible + 1
	}
}

// footer renders the notice and the keys that apply, fitted to the width.
func (m *Model) footer(keys []key.Binding) string {
	s := m.c.Styles
	w := max(m.c.Width, minWidth)
	var footer string
	if m.showHelp {
		footer = m.help.FullHelpView([][]key.Binding{keys, m.moreKeys(keys)})
	} else {
		footer = m.help.ShortHelpView(fitKeys(m.help, keys, w-2))
	}
	if m.c.notice != "" {
		footer = wrap(s.Badge, m.c.Deps.safe(m.c.notice), w-2, "") + "\n" + footer
	}
	return footer
}

// moreKeys are the keys every screen has, less those it already lists.
func (m *Model) moreKeys(keys []key.Binding) []key.Binding {
	k := m.c.Keys
	var out []key.Binding
	for _, b := range []key.Binding{k.Up, k.Down, k.Back, k.Help, k.ForceQuit} {
		dup := false
		for _, have := range keys {
			dup = dup || have.Help().Key == b.Help().Key
		}
		if !dup {
			out = append(out, b)
		}
	}
	return out
}

// fitKeys drops keys until the short help fits the width, from the end
// but never the first (what enter does), the last (quit), nor "? help"
// before it: a screen lists its keys most useful first.
func fitKeys(h help.Model, keys []key.Binding, width int) []key.Binding {
	h.SetWidth(0)
	keys = append([]key.Binding(nil), keys...)
	tail := 1
	if n := len(keys); n >= 2 && keys[n-2].Help().Key == "?" {
		tail = 2
	}
	for len(keys) > tail+1 && lipgloss.Width(h.ShortHelpView(keys)) > width {
		i := len(keys) - tail - 1
		keys = append(keys[:i], keys[i+1:]...)
	}
	return keys
}

// View renders the header, the page and the help footer, fitted to the
// window.
func (m *Model) View() tea.View {
	s := m.c.Styles
	if m.tooSmall() {
		msg := fmt.Sprintf("tether needs a window of at least %d×%d; this one is %d×%d. Enlarge the window, or press q to quit.",
			minWidth, minHeight, m.c.Width, m.c.Height)
		v := tea.NewView(wrap(s.Normal, msg, max(m.c.Width-1, 1), ""))
		v.AltScreen = true
		v.WindowTitle = "tether"
		return v
	}
	w := m.c.Width
	left := s.Title.Render("tether") + s.Subtitle.Render(" · connect your identity providers")
	right := ""
	if m.c.Deps.Sandbox {
		right = s.Badge.Render("sandbox ◆")
	}
	gap := max(w-2-lipgloss.Width(left)-lipgloss.Width(right), 1)
	header := left + strings.Repeat(" ", gap) + right
	rule := s.Rule.Render(strings.Repeat("─", w-2))

	body, keys, _ := m.body()
	footer := m.footer(keys)
	// Fit the body between header and footer, scrolled by pgup/pgdown.
	room := m.room(footer)
	lines := strings.Split(strings.TrimRight(body, "\n"), "\n")
	if len(lines) > room {
		off := min(m.offset, len(lines)-(room-1))
		more := len(lines) - off - (room - 1)
		lines = lines[off : off+room-1]
		switch {
		case more > 0:
			noun := "lines"
			if more == 1 {
				noun = "line"
			}
			lines = append(lines, s.Dim.Render(fmt.Sprintf("↓ %d more %s: pgdown (pgup goes back)", more, noun)))
		default:
			lines = append(lines, s.Dim.Render("↑ pgup for the lines above"))
		}
	}
	content := header + "\n" + rule + "\n" + strings.Join(lines, "\n") + "\n"
	pad := max(m.c.Height-lipgloss.Height(content)-lipgloss.Height(footer)-1, 0)
	content += strings.Repeat("\n", pad) + rule + "\n" + footer + "\n"
	// One column of margin, without padding lines to a common width: a
	// line as wide as the window must not wrap. Screens wrap their own
	// text; the cut is a last resort that should never show.
	out := strings.Split(content, "\n")
	for i, l := range out {
		if l != "" {
			out[i] = " " + ansi.Truncate(l, w-1, "…")
		}
	}
	v := tea.NewView(strings.Join(out, "\n"))
	v.AltScreen = true
	v.WindowTitle = "tether"
	return v
}
