package ui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/tetherdev/tether/providers"
)

// methodSteps are the steps a setup with method shows, in order: the
// method step only when there is a choice, the console only when it has
// steps, the inputs only when there are some, and the sign-in only for a
// method that signs in with the admin (device flow, browser or admin
// consent); the others go from their credentials straight to verifying.
func methodSteps(p providers.Provider, method providers.Method) []step {
	steps := []step{stepGrant}
	if len(p.Methods()) > 1 {
		steps = append(steps, stepMethod)
	}
	if len(p.Steps(method, providers.Inputs{})) > 0 {
		steps = append(steps, stepConsole)
	}
	if len(method.Inputs) > 0 {
		steps = append(steps, stepInputs)
	}
	switch method.Kind {
	case providers.KindDeviceFlow, providers.KindBrowserConsent, providers.KindAdminConsent:
		steps = append(steps, stepSignIn)
	}
	return append(steps, stepVerify)
}

// stepNumber numbers s among the method's real steps: "step n of total";
// a step the method does not count (signing in with pasted keys) has the
// number of the step before it.
func stepNumber(p providers.Provider, method providers.Method, s step) (n, total int) {
	steps := methodSteps(p, method)
	for i, st := range steps {
		if st <= min(s, stepVerify) {
			n = i + 1
		}
	}
	return n, len(steps)
}

// next is the step after s for the chosen method; the sign-in starts the
// setup whatever the method's kind.
func (m *setupModel) next(s step) step {
	for _, st := range methodSteps(m.provider, m.method()) {
		if st > s && st < stepSignIn {
			return st
		}
	}
	return stepSignIn
}

// prev is the step before s, if any.
func (m *setupModel) prev(s step) (step, bool) {
	steps := methodSteps(m.provider, m.method())
	for i := len(steps) - 1; i >= 0; i-- {
		if steps[i] < s && steps[i] < stepSignIn {
			return steps[i], true
		}
	}
	return stepGrant, false
}

// keyPress handles the wizard's own keys; the rest go to the form, the
// list or the sign-in panel.
func (m *setupModel) keyPress(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := m.c.Keys
	if m.asking() && !key.Matches(msg, k.Back) {
		m.signin.questionKey(msg)
		return nil, true
	}
	if m.store.choosing() {
		return m.storeKey(msg)
	}
	if key.Matches(msg, k.Back) {
		switch {
		case m.step == stepSignIn && m.signin != nil && m.signin.pasting():
			m.signin.paste.Blur()
			return nil, true
		case m.step > stepGrant && m.step <= stepSignIn:
			m.stop()
			if s, ok := m.prev(m.step); ok {
				return m.enter(s), true
			}
		case m.step == stepGrant:
			return m.leave(), true
		}
	}
	switch m.step {
	case stepGrant:
		if m.choices == nil && key.Matches(msg, k.Enter) {
			return m.enter(m.next(m.step)), true
		}
	case stepConsole:
		if m.form != nil {
			return nil, false
		}
		if key.Matches(msg, k.Enter) {
			return m.enter(m.next(m.step)), true
		}
		if key.Matches(msg, k.Copy) {
			for _, g := range m.generated {
				if a, ok := g.CopyArtifact(); ok {
					m.c.notice = copiedNote(g.Noun())
					return tea.SetClipboard(a.Text), true
				}
			}
		}
	case stepSignIn:
		if m.err != nil && key.Matches(msg, k.Enter) {
			return m.enter(stepSignIn), true
		}
	case stepVerify:
		return m.verifyKey(msg)
	case stepSaved:
		if key.Matches(msg, k.Enter) {
			m.c.navigate(backHomeMsg{})
			return nil, true
		}
	}
	return nil, false
}

// leave goes back Home from step 1. A draft holding nothing the admin
// typed is dropped: there is nothing to resume.
func (m *setupModel) leave() tea.Cmd {
	m.stop()
	if m.typedAnything() {
		m.c.navigate(backHomeMsg{notice: "the setup of " + m.key().String() + " is kept: enter resumes it, d drops it"})
		return nil
	}
	m.c.navigate(backHomeMsg{before: m.dropDraft()})
	return nil
}

// help returns the keys that apply now.
func (m *setupModel) help() []key.Binding {
	k := m.c.Keys
	enter := func(what string) key.Binding {
		return key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", what))
	}
	switch {
	case m.busy():
		return []key.Binding{k.ForceQuit}
	case m.store.choosing():
		return []key.Binding{enter("choose"), k.Back, k.ForceQuit}
	}
	switch m.step {
	case stepVerify:
		// Most useful first: a narrow window drops from the end.
		var keys []key.Binding
		if m.list.done {
			if m.result != nil {
				keys = append(keys, enter("done"))
			}
			if m.c.Deps.SandboxFix != nil && len(m.list.failing()) > 0 {
				keys = append(keys, k.SandboxFix)
			}
			keys = append(keys, k.Recheck)
		}
		if m.list.fixURL() != "" {
			keys = append(keys, k.CopyLink)
		}
		return append(keys, k.Evidence, k.Quit)
	case stepSignIn:
		var keys []key.Binding
		if m.err != nil {
			keys = append(keys, enter("try again"))
		}
		if m.signin != nil && m.signin.device != nil {
			keys = append(keys, k.Copy, k.QR)
		}
		if m.signin != nil && m.signin.awaiting != nil && m.signin.awaiting.Paste {
			keys = append(keys, k.Paste)
		}
		back := k.Back
		if m.err != nil {
			back = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "change the credentials"))
		}
		return append(keys, back, k.ForceQuit)
	case stepSaved:
		return []key.Binding{enter("done"), k.ForceQuit}
	case stepConsole:
		if m.form == nil && len(m.generated) > 0 {
			return []key.Binding{enter("done in the console"), key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy the "+m.artifactNoun())), k.Back, k.Quit}
		}
	}
	keys := []key.Binding{enter("continue"), k.Back}
	if m.capturesKeys() {
		return append(keys, k.ForceQuit)
	}
	return append(keys, k.Help, k.Quit)
}
