package ui

import (
	"errors"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/tetherdev/tether/flows"
)

// storeState is what the wizard knows of the credential store its
// credential will go to. The store is checked when the wizard opens,
// before anything is asked, so that a machine without a usable OS
// keyring is found out before a secret is typed, and the encrypted file
// store can be chosen then and there.
type storeState struct {
	opened  bool // the first check is done and the first step shown
	kind    flows.StoreKind
	err     error  // the store cannot be used
	fileAt  string // where the encrypted file store would keep it
	later   bool   // the admin goes on and chooses before signing in
	chosen  bool   // the admin chose: a sign-in that failed on the store starts again
	choices *list
}

type storeMsg struct {
	kind   flows.StoreKind
	err    error
	fileAt string
}

// choosing reports whether the wizard waits for the admin to choose a
// store.
func (s *storeState) choosing() bool { return s.err != nil && !s.later && s.choices != nil }

// storeChoices are the ways on from an unusable store.
func storeChoices(c *Common, s *storeState) *list {
	var options []option
	if s.kind == flows.StoreKeyring && s.fileAt != "" {
		options = append(options, option{label: "Keep it in an encrypted file instead: " + s.fileAt, value: "file"})
	}
	what := "the OS keyring"
	if s.kind == flows.StoreFile {
		what = "the encrypted file store"
	}
	options = append(options, option{label: "Check " + what + " again", value: "retry"},
		option{label: "Go on for now; choose before signing in", value: "later"})
	return &list{c: c, title: "Where should tether keep the credential?", hint: "↑/↓ choose · enter confirm",
		options: options, picked: map[string]bool{}}
}

// probeStore checks the store that new credentials go to, and where the
// encrypted file store would keep them if it cannot be used.
func (m *setupModel) probeStore() tea.Cmd {
	m.preparing = "checking where the credential will be kept…"
	mgr, ctx, k := m.c.Deps.Manager, m.c.Deps.ctx(), m.key()
	return func() tea.Msg {
		store, err := mgr.ProbeStore(ctx)
		if err == nil {
			return storeMsg{kind: store.Kind()}
		}
		msg := storeMsg{kind: mgr.StoreKind, err: err}
		if mgr.StoreKind != flows.StoreFile {
			if file, ferr := mgr.Store(flows.StoreFile); ferr == nil {
				msg.fileAt = file.Location(k)
			}
		}
		return msg
	}
}

// storeChecked takes the store's answer: the wizard opens its first step,
// or asks where the credential should go.
func (m *setupModel) storeChecked(msg storeMsg) tea.Cmd {
	m.preparing = ""
	m.store.kind, m.store.err, m.store.fileAt, m.store.later = msg.kind, msg.err, msg.fileAt, false
	if msg.err != nil {
		m.store.choices = storeChoices(m.c, &m.store)
		return nil // the first step opens once a store is chosen
	}
	m.store.choices = nil
	chosen := m.store.chosen
	m.store.chosen = false
	switch {
	case !m.store.opened:
		m.store.opened = true
		return m.ready()
	case chosen && m.step == stepSignIn && m.err != nil:
		return m.enter(stepSignIn) // the sign-in failed on the store: try again with what was typed
	}
	return nil
}

// storeKey handles the keys of the store choice.
func (m *setupModel) storeKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	l := m.store.choices
	if key.Matches(msg, m.c.Keys.Back) {
		m.store.later = true
		if !m.store.opened || m.step == stepGrant {
			return m.leave(), true
		}
		return nil, true
	}
	l.update(msg)
	if !l.done {
		return nil, true
	}
	l.done = false
	m.store.chosen = true
	switch l.value() {
	case "file":
		// This session's setups go to the encrypted file store; the
		// Manager is copied so that no other session is affected.
		mgr := *m.c.Deps.Manager
		mgr.StoreKind = flows.StoreFile
		m.c.Deps.Manager = &mgr
		return m.probeStore(), true
	case "retry":
		return m.probeStore(), true
	}
	m.store.later = true
	if !m.store.opened {
		m.store.opened = true
		return m.ready(), true
	}
	return nil, true
}

// storeView shows what is wrong with the store and the ways on.
func (m *setupModel) storeView() (string, int) {
	s := m.c.Styles
	var b strings.Builder
	what := m.store.err.Error()
	var unusable *flows.StoreUnavailableError
	if errors.As(m.store.err, &unusable) {
		what = "The " + unusable.Store + " cannot be used: " + unusable.Cause + "."
		if len(unusable.Fixes) > 0 && m.store.kind == flows.StoreKeyring {
			what += " To use it, " + unusable.Fixes[0] + ", then check it again."
		}
	}
	b.WriteString(wrap(s.Error, "✗ "+m.c.Deps.safe(what), m.c.Width-4, "") + "\n\n")
	list, focus := m.store.choices.view()
	b.WriteString(list)
	return b.String(), focus + strings.Count(b.String(), "\n") - strings.Count(list, "\n")
}

// storeName names the store in use, for the sentences that say where a
// secret is kept.
func (m *setupModel) storeName() string { return storeWords(m.store.kind) }
