package ui

import (
	"fmt"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/tetherdev/tether/flows"
)

type page int

const (
	pageHome page = iota
	pageSetup
	pageVerify
)

// The smallest window the screens fit in; a smaller one asks to be
// enlarged.
const (
	minWidth  = 40
	minHeight = 12
)

// maxTyped bounds the keys held while a screen gets ready.
const maxTyped = 4096

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

// Interruption is a setup the admin quit before it finished. Its draft
// (what was typed, never a secret) is kept, and opening the same setup
// again resumes it.
type Interruption struct {
	Key flows.Key
	// Step says where it stopped ("step 4 of 5: credentials").
	Step string
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

	// opening is set while the setup asked for on the command line is
	// being opened (its draft read from disk).
	opening bool
	// typed holds the keys and pastes that arrived while the screen was
	// getting ready (Home loading, a setup opening, a key pair being
	// made), to be applied in order once it is: typing ahead then lands
	// where it would have landed typed slowly.
	typed    []tea.Msg
	quitting bool
	stopped  *Interruption
}

var _ tea.Model = (*Model)(nil)

// New returns the root model for one session.
func New(deps Deps, opts Options) *Model {
	c := &Common{Width: 80, Height: 24, Styles: NewStyles(true), Keys: DefaultKeyMap(), Deps: deps, Dark: true}
	m := &Model{c: c, opts: opts, home: newHome(c), help: help.New()}
	m.help.Styles = help.DefaultStyles(true)
	return m
}

// Interrupted returns the setup that quitting left unfinished, if any.
func (m *Model) Interrupted() (Interruption, bool) {
	if m.stopped == nil {
		return Interruption{}, false
	}
	return *m.stopped, true
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
		m.opening = true
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

// typing reports whether msg is the admin's input, which must be applied
// in the order it was typed.
func typing(msg tea.Msg) bool {
	switch msg.(type) {
	case tea.KeyPressMsg, tea.PasteMsg:
		return true
	}
	return false
}

// Update handles msg. Input that arrives while the screen is getting
// ready waits, in order, until it is; ctrl+c never waits.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if typing(msg) {
		if m.quitting {
			return m, nil
		}
		kp, isKey := msg.(tea.KeyPressMsg)
		if m.busy() && !(isKey && key.Matches(kp, m.c.Keys.ForceQuit)) {
			if len(m.typed) < maxTyped {
				m.typed = append(m.typed, msg)
			}
			return m, nil
		}
	}
	cmds := []tea.Cmd{m.dispatch(msg)}
	for len(m.typed) > 0 && !m.busy() && !m.quitting {
		next := m.typed[0]
		m.typed = m.typed[1:]
		cmds = append(cmds, m.dispatch(next))
	}
	return m, tea.Batch(cmds...)
}

// dispatch applies one message, then any page change it asked for, and
// keeps the focused line of a form in the window.
func (m *Model) dispatch(msg tea.Msg) tea.Cmd {
	cmd := m.update(msg)
	for m.c.nav != nil {
		nav := m.c.nav
		m.c.nav = nil
		cmd = tea.Batch(cmd, m.update(nav))
	}
	if id := m.screenID(); id != m.screen {
		m.screen, m.offset = id, 0
	}
	if kp, ok := msg.(tea.KeyPressMsg); ok && !scrollKey(kp) {
		m.follow()
	}
	return cmd
}

// busy reports whether the screen is getting ready and cannot take keys
// yet.
func (m *Model) busy() bool {
	switch {
	case m.opening:
		return true
	case m.page == pageHome:
		return m.home.loading
	case m.page == pageSetup:
		return m.setup.busy()
	}
	return false
}

func (m *Model) screenID() string {
	if m.page == pageSetup {
		return fmt.Sprint(m.page, m.setup.step)
	}
	return fmt.Sprint(m.page)
}

func scrollKey(kp tea.KeyPressMsg) bool {
	switch kp.String() {
	case "pgdown", "shift+down", "pgup", "shift+up":
		return true
	}
	return false
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
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
		m.c.notice = string(msg)
		return nil
	case tea.KeyPressMsg:
		m.c.notice = ""
		if key.Matches(msg, k.ForceQuit) {
			return m.quit()
		}
		switch msg.String() {
		case "pgdown", "shift+down":
			m.offset += max(m.c.Height/2, 1)
			return nil
		case "pgup", "shift+up":
			m.offset = max(m.offset-max(m.c.Height/2, 1), 0)
			return nil
		}
		if m.tooSmall() {
			if key.Matches(msg, k.Quit) {
				return m.quit()
			}
			return nil
		}
		if !m.capturesKeys() {
			switch {
			case key.Matches(msg, k.Quit):
				return m.quit()
			case key.Matches(msg, k.Help):
				m.showHelp = !m.showHelp
				return nil
			}
		}
	case openSetupMsg:
		m.opening = false
		mgr := m.c.Deps.Manager
		p, cp, err := mgr.Lookup(msg.provider)
		if err != nil {
			m.page = pageHome
			m.home.notice = err.Error()
			return nil
		}
		m.setup = newSetup(m.c, p, cp, msg.name, msg.draft)
		m.page = pageSetup
		return m.setup.init()
	case openVerifyMsg:
		m.verify = newVerify(m.c, msg.conns)
		m.page = pageVerify
		return m.verify.start()
	case backHomeMsg:
		m.stopJobs()
		m.page = pageHome
		if msg.notice != "" {
			m.home.notice = msg.notice
		}
		if msg.before != nil {
			return tea.Sequence(msg.before, m.home.load())
		}
		return m.home.load()
	case loadedMsg, forgotMsg:
		return m.home.update(msg)
	case droppedMsg:
		if msg.err != nil {
			m.c.notice = "tether could not delete what the setup kept: " + msg.err.Error()
		}
		return nil
	}
	switch m.page {
	case pageSetup:
		return m.setup.update(msg)
	case pageVerify:
		return m.verify.update(msg)
	}
	return m.home.update(msg)
}

// quit ends the program. A setup left unfinished keeps its draft, what
// was typed included, and is reported as interrupted.
func (m *Model) quit() tea.Cmd {
	m.quitting = true
	var save tea.Cmd
	if m.page == pageSetup && m.setup.unfinished() {
		m.stopped = &Interruption{Key: flowsKey(m.setup.provider.ID(), m.setup.name), Step: m.setup.where()}
		save = m.setup.saveDraft()
	}
	m.stopJobs()
	if save != nil {
		return tea.Sequence(save, tea.Quit)
	}
	return tea.Quit
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
