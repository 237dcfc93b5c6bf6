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

type page int

const (
	pageHome page = iota
	pageSetup
	pageVerify
)

// Notice is a message from outside the program for the admin (the
// keyring is waiting for an unlock, say), shown above the footer until
// the next key.
type Notice string

// Options choose where the TUI starts.
type Options struct {
	// Setup opens the wizard for this provider at once ("tether setup
	// auth0" on a terminal); empty opens Home.
	Setup string
	// Name is the connection name for Setup.
	Name string
}

// Model is the TUI's one root model. The local program and every SSH
// session build theirs with New; nothing in it is shared between two.
type Model struct {
	c        *Common
	opts     Options
	page     page
	home     *homeModel
	setup    *setupModel
	verify   *verifyModel
	help     help.Model
	showHelp bool

	// offset scrolls a body taller than the window; screen names the
	// screen it belongs to, so a new screen starts at the top.
	offset int
	screen string
	notice string
}

var _ tea.Model = (*Model)(nil)

// New returns the root model for one session.
func New(deps Deps, opts Options) *Model {
	c := &Common{Width: 80, Height: 24, Styles: NewStyles(true), Keys: DefaultKeyMap(), Deps: deps, Dark: true}
	m := &Model{c: c, opts: opts, home: newHome(c), help: help.New()}
	m.help.Styles = help.DefaultStyles(true)
	return m
}

// Init loads Home (and opens the wizard when asked to) and asks the
// terminal for its background colour, to pick the palette.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{tea.RequestBackgroundColor, m.home.load()}
	if m.opts.Setup != "" {
		name := m.opts.Name
		if name == "" {
			name = "default"
		}
		mgr, provider := m.c.Deps.Manager, m.opts.Setup
		cmds = append(cmds, func() tea.Msg {
			msg := openSetupMsg{provider: provider, name: name}
			if f, err := mgr.Records(); err == nil { // resume a setup left unfinished
				if d, ok := f.Draft(flowsKey(provider, name)); ok {
					msg.draft = &d
				}
			}
			return msg
		})
	}
	return tea.Batch(cmds...)
}

// Update handles msg, and starts a new screen scrolled to the top.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	_, cmd := m.update(msg)
	if id := m.screenID(); id != m.screen {
		m.screen, m.offset = id, 0
	}
	return m, cmd
}

func (m *Model) screenID() string {
	if m.page == pageSetup {
		return fmt.Sprint(m.page, m.setup.step)
	}
	return fmt.Sprint(m.page)
}

func (m *Model) update(msg tea.Msg) (tea.Model, tea.Cmd) {
	k := m.c.Keys
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.c.Width, m.c.Height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width - 2)
	case tea.BackgroundColorMsg:
		m.c.Dark = msg.IsDark()
		m.c.Styles = NewStyles(m.c.Dark)
		m.help.Styles = help.DefaultStyles(m.c.Dark)
	case Notice:
		m.notice = string(msg)
		return m, nil
	case tea.KeyPressMsg:
		m.notice = ""
		if key.Matches(msg, k.ForceQuit) {
			m.stopJobs()
			return m, tea.Quit
		}
		switch msg.String() {
		case "pgdown", "shift+down":
			m.offset += max(m.c.Height/2, 1)
			return m, nil
		case "pgup", "shift+up":
			m.offset = max(m.offset-max(m.c.Height/2, 1), 0)
			return m, nil
		}
		if !m.capturesKeys() {
			switch {
			case key.Matches(msg, k.Quit):
				m.stopJobs()
				return m, tea.Quit
			case key.Matches(msg, k.Help):
				m.showHelp = !m.showHelp
				return m, nil
			}
		}
	case openSetupMsg:
		if m.c.Deps.ReadOnly {
			m.page = pageHome
			m.home.notice = ReadOnlyNotice
			return m, nil
		}
		mgr := m.c.Deps.Manager
		p, cp, err := mgr.Lookup(msg.provider)
		if err != nil {
			m.page = pageHome
			m.home.notice = err.Error()
			return m, nil
		}
		m.setup = newSetup(m.c, p, cp, msg.name, msg.draft)
		m.page = pageSetup
		return m, m.setup.init()
	case openVerifyMsg:
		m.verify = newVerify(m.c, msg.conns)
		m.page = pageVerify
		return m, m.verify.start()
	case backHomeMsg:
		m.stopJobs()
		m.page = pageHome
		return m, m.home.load()
	case loadedMsg, forgotMsg:
		return m, m.home.update(msg)
	}
	switch m.page {
	case pageSetup:
		return m, m.setup.update(msg)
	case pageVerify:
		return m, m.verify.update(msg)
	}
	return m, m.home.update(msg)
}

func (m *Model) capturesKeys() bool {
	switch m.page {
	case pageSetup:
		return m.setup.capturesKeys()
	case pageHome:
		return m.home.capturesKeys()
	}
	return false
}

func (m *Model) stopJobs() {
	if m.setup != nil {
		m.setup.stop()
	}
	if m.verify != nil {
		m.verify.stop()
	}
}

// View renders the header, the page and the help footer, fitted to the
// window.
func (m *Model) View() tea.View {
	s := m.c.Styles
	w := max(m.c.Width, 40)
	left := s.Title.Render("tether") + s.Subtitle.Render(" · connect your identity providers")
	right := ""
	if m.c.Deps.Sandbox {
		right = s.Badge.Render("sandbox ◆")
	}
	gap := max(w-2-lipgloss.Width(left)-lipgloss.Width(right), 1)
	header := left + strings.Repeat(" ", gap) + right
	rule := s.Rule.Render(strings.Repeat("─", w-2))

	var body string
	var keys []key.Binding
	switch m.page {
	case pageSetup:
		body, keys = m.setup.view(), m.setup.help()
	case pageVerify:
		body, keys = m.verify.view(), m.verify.help()
	default:
		body, keys = m.home.view(), m.home.help()
	}
	footer := m.help.ShortHelpView(keys)
	if m.notice != "" {
		footer = s.Badge.Render(ansi.Truncate(m.notice, w-2, "…")) + "\n" + footer
	}
	if m.showHelp {
		footer = m.help.FullHelpView([][]key.Binding{keys, {m.c.Keys.Up, m.c.Keys.Down, m.c.Keys.Back, m.c.Keys.Help, m.c.Keys.ForceQuit}})
		if m.notice != "" {
			footer = s.Badge.Render(ansi.Truncate(m.notice, w-2, "…")) + "\n" + footer
		}
	}
	// Fit the body between header and footer, scrolled by pgup/pgdown.
	room := max(m.c.Height-4-lipgloss.Height(footer), 3)
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
	// line as wide as the window must not wrap.
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
