package ui

import (
	"context"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

// step is a screen of the setup wizard.
type step int

const (
	stepGrant step = iota
	stepMethod
	stepConsole
	stepInputs
	stepSignIn
	stepVerify
	stepSaved
)

// stepIDs name the steps in a saved draft.
var stepIDs = [...]string{"grant", "method", "console", "inputs", "signin", "verify", "saved"}

var stepTitles = [...]string{"what will be granted", "how to connect", "in the console", "credentials", "sign in", "verifying", "saved"}

// setupModel is the setup wizard for one provider.
type setupModel struct {
	c        *Common
	provider providers.Provider
	cat      catalog.Provider
	name     string
	step     step

	caps     []string
	methodID string
	values   map[string]*string
	// prefilled are the values the wizard filled in (the sandbox's demo
	// tenant): a draft holding only these has nothing the admin typed.
	prefilled map[string]string
	resumed   bool // opened from a draft

	form    *form // the inputs; on the console step, what its links need
	choices *list // the capabilities, or the methods

	// preparing says what the wizard does before the step can take keys
	// (checking the credential store, making a key pair); keys typed
	// meanwhile wait.
	preparing string
	store     storeState

	signin   *signin
	list     *checklist
	job      *job
	cancel   context.CancelFunc
	result   *providers.SetupResult
	conn     providers.Connection
	err      error
	evidence bool
	started  time.Time // the sign-in's start, for its elapsed time

	recheckAt    time.Time // the Manager re-checks then (consent lag)
	recheckRound string
	checkedAt    time.Time // when the last verification finished

	// generated holds what tether made for inputs (a key pair), by key;
	// the value itself is in values and is never shown.
	generated map[string]providers.Generated
	// keptIn says where the generated values are kept while the setup
	// is under way ("" when they could not be kept).
	keptIn   string
	keptNote string

	drafts *drafts
}

type (
	generatedMsg struct {
		gen    map[string]providers.Generated
		keptIn string
		err    error // making the values; keeping them is keep
		keep   error
	}
	keptLoadedMsg struct {
		gen map[string]providers.Generated
		err error
	}
	elapsedMsg    struct{ job int }
	draftSavedMsg struct{ err error }
	// droppedMsg says whether what a setup kept (its draft, a key pair)
	// was deleted.
	droppedMsg struct{ err error }
	// backHomeMsg asks the root to show Home, with a notice there, once
	// before (a write Home must see) is done.
	backHomeMsg struct {
		notice string
		before tea.Cmd
	}
	recheckTickMsg struct{ job int }
)

// newSetup starts the wizard, at the step a draft reached if there is one.
func newSetup(c *Common, p providers.Provider, cp catalog.Provider, name string, draft *providers.Draft) *setupModel {
	m := &setupModel{c: c, provider: p, cat: cp, name: name, values: map[string]*string{},
		prefilled: map[string]string{}, generated: map[string]providers.Generated{}, drafts: &drafts{}}
	m.methodID = p.Methods()[0].ID
	var defaults map[string]string
	if c.Deps.Defaults != nil {
		defaults = c.Deps.Defaults(p.ID())
	}
	for _, method := range p.Methods() {
		for _, in := range method.Inputs {
			if _, ok := m.values[in.Key]; !ok {
				v := ""
				if !in.Optional {
					v = defaults[in.Key]
				}
				m.values[in.Key] = &v
				if v != "" && !in.Secret {
					m.prefilled[in.Key] = v
				}
			}
		}
	}
	if draft != nil {
		m.resumed = true
		m.caps = draft.Capabilities
		if _, err := providers.FindMethod(p, draft.Method); err == nil && draft.Method != "" {
			m.methodID = draft.Method
		}
		for k, v := range draft.Inputs {
			if ptr, ok := m.values[k]; ok {
				*ptr = v
			}
		}
		for i, id := range stepIDs {
			if id == draft.Step {
				m.step = min(step(i), stepInputs) // a failed sign-in resumes at its inputs
			}
		}
	}
	return m
}

func (m *setupModel) method() providers.Method {
	method, err := providers.FindMethod(m.provider, m.methodID)
	if err != nil {
		return m.provider.Methods()[0]
	}
	return method
}

func (m *setupModel) key() flows.Key { return flowsKey(m.provider.ID(), m.name) }

// init checks the credential store before anything is asked, then opens
// the step the setup starts at.
func (m *setupModel) init() tea.Cmd { return m.probeStore() }

// ready opens the first step once the store is known: a resumed setup
// first looks for the key pair it generated before.
func (m *setupModel) ready() tea.Cmd {
	if m.resumed && m.needsGenerated() {
		m.preparing = "looking for the key pair generated earlier…"
		mgr, ctx, k := m.c.Deps.Manager, m.c.Deps.ctx(), m.key()
		return func() tea.Msg {
			gen, err := mgr.KeptGenerated(ctx, k)
			return keptLoadedMsg{gen: gen, err: err}
		}
	}
	return m.enter(m.step)
}

// needsGenerated reports whether the method has an input tether makes
// that has no value yet.
func (m *setupModel) needsGenerated() bool {
	for _, in := range m.method().Inputs {
		if in.Generate != nil && *m.values[in.Key] == "" {
			return true
		}
	}
	return false
}

// enter moves to step s, building what it asks, and saves the draft.
func (m *setupModel) enter(s step) tea.Cmd {
	m.step, m.form, m.choices, m.err = s, nil, nil, nil
	var cmds []tea.Cmd
	switch s {
	case stepGrant:
		if opt := m.cat.Optional(); len(opt) > 0 {
			options := make([]option, len(opt))
			for i, capa := range opt {
				options[i] = option{label: capa.Name + " (" + capa.ID + ")", value: capa.ID}
			}
			m.choices = newList(m.c, "Optional capabilities", options, true, m.caps...)
		}
	case stepMethod:
		methods := m.provider.Methods()
		options := make([]option, len(methods))
		for i, method := range methods {
			options[i] = option{label: method.Name + "  ·  " + method.Summary, value: method.ID}
		}
		m.choices = newList(m.c, "How to connect", options, false, m.methodID)
	case stepConsole:
		if links := m.linkInputs(); len(links) > 0 {
			m.form = newForm(m.c, links, m.values, true)
		}
		if m.needsGenerated() {
			cmds = append(cmds, m.generate())
		}
	case stepInputs:
		var inputs []providers.Input
		for _, in := range m.method().Inputs {
			if !m.kept(in) { // made by tether, or a key block already given: never shown
				inputs = append(inputs, in)
			}
		}
		m.form = newForm(m.c, inputs, m.values, false)
	case stepSignIn:
		return m.start() // which saves the draft first
	}
	if s > stepGrant {
		cmds = append(cmds, m.saveDraft()) // step 1 alone is nothing to resume
	}
	return tea.Batch(cmds...)
}

// linkInputs are the inputs the console steps' links are built from that
// have no valid value yet: the console step asks for them first.
func (m *setupModel) linkInputs() []providers.Input {
	var out []providers.Input
	for _, in := range providers.LinkInputs(m.method(), providers.StepsOf(m.provider, m.method())) {
		v := *m.values[in.Key]
		if v == "" || (in.Validate != nil && in.Validate(v) != nil) {
			out = append(out, in)
		}
	}
	return out
}

// kept reports whether an input's value is kept out of the form: a value
// tether generated, or a secret block (a PEM key) already given, which a
// masked field would show as a screenful of dots.
func (m *setupModel) kept(in providers.Input) bool {
	if _, ok := m.generated[in.Key]; ok {
		return true
	}
	return in.Secret && in.Multiline && *m.values[in.Key] != ""
}

func (m *setupModel) stop() {
	if m.cancel != nil {
		m.cancel()
	}
}

// busy reports whether keys must wait: the store is being checked, a key
// pair made, or a kept one read.
func (m *setupModel) busy() bool { return m.preparing != "" }

// unfinished reports whether quitting now leaves the setup to resume:
// nothing has been saved as a connection yet (the Manager saves it
// before its first check).
func (m *setupModel) unfinished() bool { return m.result == nil && m.step < stepVerify }

// artifactNoun names what the admin registers in the console for the
// key pairs tether made ("public key", "certificate").
func (m *setupModel) artifactNoun() string {
	for _, g := range m.generated {
		return g.Noun()
	}
	return "public key" // none made yet: what most methods register
}

// where says the step reached, for the note on quitting.
func (m *setupModel) where() string {
	s := m.step
	if s >= stepSignIn {
		s, _ = m.prev(stepSignIn)
	}
	n, total := stepNumber(m.provider, m.method(), s)
	return fmt.Sprintf("step %d of %d: %s", n, total, stepTitles[s])
}

// typedAnything reports whether the admin gave a value the wizard did
// not fill in itself.
func (m *setupModel) typedAnything() bool {
	for k, v := range m.inputs().Values {
		if m.prefilled[k] != v {
			return true
		}
	}
	return false
}

func (m *setupModel) ours(id int) bool { return m.job != nil && m.job.id == id }

func (m *setupModel) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		if m.form != nil {
			m.form.resize()
		}
		return nil
	case storeMsg:
		return m.storeChecked(msg)
	case generatedMsg:
		m.preparing = ""
		if msg.err != nil {
			m.err = fmt.Errorf("making a key pair: %w", msg.err)
			return nil
		}
		for k, g := range msg.gen {
			m.generated[k] = g
			*m.values[k] = g.Value
		}
		m.keptIn = msg.keptIn
		if msg.keep != nil {
			m.keptNote = "tether could not keep the key pair while the setup is under way (" + msg.keep.Error() +
				"): if you quit before signing in, register the new " + m.artifactNoun() + " that a resumed setup makes"
		}
		return m.saveDraft()
	case keptLoadedMsg:
		m.preparing = ""
		if msg.err != nil && m.step > stepConsole {
			m.keptNote = "the key pair made when this setup began could not be read from " + m.storeName() + " (" + msg.err.Error() +
				"); tether made a new one: register its " + m.artifactNoun() + " again"
			m.step = stepConsole
			return m.enter(m.step)
		}
		if msg.err == nil && len(msg.gen) > 0 {
			for k, g := range msg.gen {
				m.generated[k] = g
				*m.values[k] = g.Value
			}
			m.keptNote = "tether reuses the key pair it made when this setup began, kept in " + m.storeName() +
				": the " + m.artifactNoun() + " you registered still matches"
			return m.enter(m.step)
		}
		if m.step > stepConsole {
			// Nothing kept (another store, or it was removed): make a new
			// pair and show its public half to register again.
			m.keptNote = "the key pair made when this setup began was not found in " + m.storeName() +
				"; tether made a new one: register its " + m.artifactNoun() + " again"
			m.step = stepConsole
		}
		return m.enter(m.step)
	case draftSavedMsg:
		if msg.err != nil {
			m.c.notice = "the setup in progress could not be saved: " + msg.err.Error()
		}
		return nil
	case elapsedMsg:
		if !m.ours(msg.job) || m.step != stepSignIn || m.err != nil || m.result != nil {
			return nil
		}
		return m.tickElapsed()
	}
	if cmd, handled := m.jobUpdate(msg); handled {
		return cmd
	}
	if kp, ok := msg.(tea.KeyPressMsg); ok {
		if cmd, handled := m.keyPress(kp); handled {
			return cmd
		}
	}
	if m.list != nil {
		if cmd := m.list.update(msg); cmd != nil {
			return cmd
		}
	}
	if m.step == stepSignIn && m.signin != nil {
		if cmd := m.signin.update(msg); cmd != nil {
			return cmd
		}
	}
	return m.fieldsUpdate(msg)
}

// fieldsUpdate gives typing to the step's form or list, and moves on
// when it is complete.
func (m *setupModel) fieldsUpdate(msg tea.Msg) tea.Cmd {
	switch {
	case m.store.choosing():
		return nil
	case m.choices != nil:
		m.choices.update(msg)
		if !m.choices.done {
			return nil
		}
		if m.choices.multi {
			m.caps = m.choices.values()
		} else {
			m.methodID = m.choices.value()
		}
		return m.enter(m.next(m.step))
	case m.form != nil:
		m.form.update(msg)
		if !m.form.done {
			return nil
		}
		if m.step == stepConsole {
			m.form = nil // the links are built; the steps take the keys now
			return m.saveDraft()
		}
		return m.enter(m.next(m.step))
	}
	return nil
}

// copiedNote says what the copy key did, without claiming more than
// tether can know: OSC 52 asks the terminal, which may ignore it.
func copiedNote(what string) string {
	return "sent the " + what + " to your clipboard (OSC 52); a terminal without OSC 52 ignores this: it is shown above"
}

// capturesKeys reports whether typing goes to a field, so that single
// letters must not quit or navigate.
func (m *setupModel) capturesKeys() bool {
	return m.form != nil || (m.step == stepSignIn && m.signin != nil && m.signin.pasting()) || m.asking()
}

// asking reports whether the sign-in waits for the admin's answer.
func (m *setupModel) asking() bool { return m.signin != nil && m.signin.question != nil }
