package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"github.com/charmbracelet/x/ansi"

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

type (
	generatedMsg struct {
		key string
		gen providers.Generated
		err error
	}
	recheckTickMsg struct{ job int }
	backHomeMsg    struct{}
	draftSavedMsg  struct{ err error }
)

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
	form     *huh.Form

	signin   *signin
	list     *checklist
	job      *job
	cancel   context.CancelFunc
	result   *providers.SetupResult
	conn     providers.Connection
	err      error
	evidence bool

	recheckAt    time.Time // the Manager re-checks then (consent lag)
	recheckRound string

	// generated holds what tether made for inputs (a key pair), by key;
	// the value itself is in values and is never shown.
	generated map[string]providers.Generated
	copied    bool
}

// newSetup starts the wizard, at the step a draft reached if there is one.
func newSetup(c *Common, p providers.Provider, cp catalog.Provider, name string, draft *providers.Draft) *setupModel {
	m := &setupModel{c: c, provider: p, cat: cp, name: name, values: map[string]*string{}, generated: map[string]providers.Generated{}}
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
			}
		}
	}
	if draft != nil {
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
		// A generated key is not in the draft: make a new one, and show
		// its public half to register again.
		for _, in := range m.method().Inputs {
			if in.Generate != nil && *m.values[in.Key] == "" && m.step > stepConsole {
				m.step = stepConsole
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

func (m *setupModel) init() tea.Cmd { return m.enter(m.step) }

// enter moves to step s, building its form, and saves the draft.
func (m *setupModel) enter(s step) tea.Cmd {
	m.step, m.form = s, nil
	var cmds []tea.Cmd
	switch s {
	case stepGrant:
		if opt := m.cat.Optional(); len(opt) > 0 {
			options := make([]huh.Option[string], len(opt))
			for i, capa := range opt {
				options[i] = huh.NewOption(capa.Name+" ("+capa.ID+")", capa.ID)
			}
			m.form = m.newForm(huh.NewGroup(huh.NewMultiSelect[string]().
				Title("Optional capabilities").Description("space to toggle, enter to continue").
				Options(options...).Value(&m.caps)))
		}
	case stepMethod:
		methods := m.provider.Methods()
		options := make([]huh.Option[string], len(methods))
		for i, method := range methods {
			options[i] = huh.NewOption(method.Name+"  ·  "+method.Summary, method.ID)
		}
		m.form = m.newForm(huh.NewGroup(huh.NewSelect[string]().Title("How to connect").Options(options...).Value(&m.methodID)))
	case stepConsole:
		// Make what tether can make (a key pair) before the console steps,
		// which ask the admin to register its public half.
		for _, in := range m.method().Inputs {
			if in.Generate != nil && *m.values[in.Key] == "" {
				gen := in.Generate
				key := in.Key
				cmds = append(cmds, func() tea.Msg {
					g, err := gen()
					return generatedMsg{key: key, gen: g, err: err}
				})
			}
		}
	case stepInputs:
		var fields []huh.Field
		for _, in := range m.method().Inputs {
			if m.kept(in) {
				continue // made by tether, or a key block already given: never shown
			}
			fields = append(fields, m.field(in))
		}
		m.form = m.newForm(huh.NewGroup(fields...))
	case stepSignIn:
		cmds = append(cmds, m.start())
	}
	if m.form != nil {
		cmds = append(cmds, m.form.Init())
	}
	if s < stepSignIn { // the sign-in's own outcome ends or keeps the draft
		cmds = append(cmds, m.saveDraft())
	}
	return tea.Batch(cmds...)
}

func (m *setupModel) newForm(groups ...*huh.Group) *huh.Form {
	return huh.NewForm(groups...).WithShowHelp(false).WithShowErrors(false).WithTheme(huh.ThemeFunc(huh.ThemeCharm)).
		WithWidth(max(m.c.Width-4, 40)).WithHeight(max(m.c.Height-9, 8))
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

// field is the form field for an input, with its validation inline.
func (m *setupModel) field(in providers.Input) huh.Field {
	validate := func(v string) error {
		v = strings.TrimSpace(v)
		switch {
		case v == "" && in.Optional:
			return nil
		case v == "":
			return errors.New(in.Label + " is required")
		case in.Validate != nil:
			return in.Validate(v)
		}
		return nil
	}
	desc := in.Help
	if in.Optional {
		desc += " (optional)"
	}
	if in.Multiline && !in.Secret { // a secret is always masked; a pasted PEM keeps its shape
		return huh.NewText().Title(in.Label).Description(desc).Placeholder(in.Placeholder).
			Value(m.values[in.Key]).Validate(validate)
	}
	f := huh.NewInput().Title(in.Label).Description(desc).Placeholder(in.Placeholder).
		Value(m.values[in.Key]).Validate(validate)
	if in.Secret {
		f = f.EchoMode(huh.EchoModePassword)
	}
	return f
}

// inputs splits the typed values into the method's non-secret values and
// its secret.
func (m *setupModel) inputs() providers.Inputs {
	values, secrets := map[string]string{}, map[string]string{}
	for _, in := range m.method().Inputs {
		v := *m.values[in.Key]
		if !in.Multiline {
			v = strings.TrimSpace(v)
		}
		if v == "" {
			continue
		}
		if in.Secret {
			secrets[in.Key] = v
		} else {
			values[in.Key] = v
		}
	}
	return providers.Inputs{Values: values, Secret: flows.NewSecret(secrets)}
}

// saveDraft records the step reached and the non-secret inputs, so that
// an interrupted setup resumes there.
func (m *setupModel) saveDraft() tea.Cmd {
	mgr := m.c.Deps.Manager
	d := providers.Draft{Provider: m.provider.ID(), Name: m.name, Method: m.methodID, Step: stepIDs[m.step],
		Capabilities: m.caps, Inputs: m.inputs().Values, UpdatedAt: m.c.Deps.now().UTC()}
	return func() tea.Msg {
		return draftSavedMsg{err: mgr.Config.Update(func(f *providers.ConfigFile) error { f.PutDraft(d); return nil })}
	}
}

// start runs the setup in the background: sign-in events feed the panel,
// checks feed the checklist.
func (m *setupModel) start() tea.Cmd {
	mgr := m.c.Deps.Manager
	m.err, m.result = nil, nil
	plan, err := mgr.Plan(providers.SetupRequest{Provider: m.provider.ID(), Name: m.name, Method: m.methodID,
		Capabilities: m.caps, Inputs: m.inputs()})
	if err != nil {
		m.err = err
		return nil
	}
	m.signin = newSignin(m.c)
	m.list = newChecklist(m.c, m.cat, plan.Capabilities, "")
	ctx, cancel := context.WithCancel(m.c.Deps.ctx())
	m.cancel = cancel
	j := newJob(ctx, m.c.nextJob())
	m.job = j
	io := flows.Interaction{
		Events:  func(e flows.Event) { j.send(eventMsg{job: j.id, event: e}) },
		Browser: m.c.Deps.Browser,
		Paste:   m.signin.pasteCh,
		Ask:     asker(j),
	}
	go func() {
		defer func() {
			if r := recover(); r != nil {
				j.send(setupDoneMsg{job: j.id, err: fmt.Errorf("internal error: %v (please report it)", r)})
			}
		}()
		res, err := mgr.Setup(ctx, plan, io, reporter{j: j})
		j.send(setupDoneMsg{job: j.id, result: res, err: err})
	}()
	return tea.Batch(j.wait(), m.list.init())
}

// recheck verifies the saved connection again.
func (m *setupModel) recheck() tea.Cmd {
	mgr := m.c.Deps.Manager
	m.list.reset()
	ctx, cancel := context.WithCancel(m.c.Deps.ctx())
	if m.cancel != nil {
		m.cancel()
	}
	m.cancel = cancel
	j := newJob(ctx, m.c.nextJob())
	m.job = j
	conn, method := m.conn, m.method()
	go func() {
		r := reporter{j: j}
		res := mgr.Settle(ctx, method, mgr.Verify(ctx, conn, r), r)
		j.send(verifyDoneMsg{job: j.id, result: res})
	}()
	return tea.Batch(j.wait(), m.list.init())
}

func (m *setupModel) stop() {
	if m.cancel != nil {
		m.cancel()
	}
}

func (m *setupModel) ours(id int) bool { return m.job != nil && m.job.id == id }

func (m *setupModel) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case generatedMsg:
		if msg.err != nil {
			m.err = msg.err
			return nil
		}
		m.generated[msg.key] = msg.gen
		*m.values[msg.key] = msg.gen.Value
		return nil
	case eventMsg:
		if !m.ours(msg.job) {
			return nil
		}
		return tea.Batch(m.signin.handle(msg.event), m.job.wait())
	case questionMsg:
		if !m.ours(msg.job) {
			return nil
		}
		m.signin.ask(msg)
		return m.job.wait()
	case checkMsg:
		if !m.ours(msg.job) {
			return nil
		}
		if m.step == stepSignIn {
			m.step = stepVerify
		}
		m.list.add(msg.check)
		return m.job.wait()
	case warnMsg:
		if !m.ours(msg.job) {
			return nil
		}
		m.list.warnings = append(m.list.warnings, msg.text)
		return m.job.wait()
	case setupDoneMsg:
		if !m.ours(msg.job) {
			return nil
		}
		if msg.err != nil {
			m.err = msg.err
			m.step = stepSignIn
			return nil
		}
		m.result, m.conn = &msg.result, msg.result.Connection
		m.step = stepVerify
		m.list.finish(msg.result.Verification)
		return nil
	case verifyDoneMsg:
		if !m.ours(msg.job) {
			return nil
		}
		m.list.finish(msg.result)
		m.recheckAt = time.Time{}
		return nil
	case recheckMsg:
		if !m.ours(msg.job) {
			return nil
		}
		m.list.reset()
		m.recheckAt = m.c.Deps.now().Add(msg.wait)
		m.recheckRound = fmt.Sprintf("%d of %d", msg.round, msg.rounds)
		return tea.Batch(m.job.wait(), m.tickRecheck(), m.list.init())
	case recheckTickMsg:
		if !m.ours(msg.job) || m.recheckAt.IsZero() || !m.c.Deps.now().Before(m.recheckAt) {
			return nil
		}
		return m.tickRecheck()
	case tea.KeyPressMsg:
		if cmd, handled := m.key(msg); handled {
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
	if m.form != nil {
		fm, cmd := m.form.Update(msg)
		if f, ok := fm.(*huh.Form); ok {
			m.form = f
		}
		if m.form.State == huh.StateCompleted {
			return m.enter(m.step + 1)
		}
		return cmd
	}
	return nil
}

func (m *setupModel) tickRecheck() tea.Cmd {
	id := m.job.id
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return recheckTickMsg{job: id} })
}

// key handles the wizard's own keys; the rest go to the form or panel.
func (m *setupModel) key(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := m.c.Keys
	if m.asking() && !key.Matches(msg, k.Back) {
		m.signin.questionKey(msg)
		return nil, true
	}
	if key.Matches(msg, k.Back) {
		switch {
		case m.step == stepSignIn && m.signin != nil && m.signin.pasting():
			m.signin.paste.Blur()
			return nil, true
		case m.step > stepGrant && m.step <= stepSignIn:
			m.stop()
			return m.enter(m.step - 1), true
		case m.step == stepGrant:
			return func() tea.Msg { return backHomeMsg{} }, true
		}
	}
	switch m.step {
	case stepGrant, stepConsole:
		if m.form == nil && key.Matches(msg, k.Enter) {
			return m.enter(m.step + 1), true
		}
		if m.step == stepConsole && key.Matches(msg, k.Copy) {
			for _, g := range m.generated {
				if a, ok := g.CopyArtifact(); ok {
					m.copied = true
					return tea.SetClipboard(a.Text), true
				}
			}
		}
	case stepSignIn:
		if m.err != nil && key.Matches(msg, k.Enter) {
			return m.enter(stepSignIn), true
		}
	case stepVerify:
		switch {
		case key.Matches(msg, k.Evidence):
			m.evidence = !m.evidence
			return nil, true
		case key.Matches(msg, k.CopyLink) && m.list.fixURL() != "":
			m.list.warnings = append(m.list.warnings, "fix link copied to your clipboard (OSC 52)")
			return tea.SetClipboard(m.list.fixURL()), true
		case m.list.done && key.Matches(msg, k.Recheck):
			return m.recheck(), true
		case m.list.done && m.c.Deps.SandboxFix != nil && key.Matches(msg, k.SandboxFix) && len(m.list.failing()) > 0:
			for _, c := range m.list.failing() {
				if err := m.c.Deps.SandboxFix(m.provider.ID(), c.Permission); err != nil {
					m.list.warnings = append(m.list.warnings, err.Error())
				}
			}
			m.list.warnings = append(m.list.warnings, "granted in the sandbox tenant; press r to re-check")
			return nil, true
		case m.list.done && m.result != nil && key.Matches(msg, k.Enter):
			m.stop()
			m.step = stepSaved
			return nil, true
		}
	case stepSaved:
		if key.Matches(msg, k.Enter) {
			return func() tea.Msg { return backHomeMsg{} }, true
		}
	}
	return nil, false
}

// capturesKeys reports whether typing goes to a field, so that single
// letters must not quit or navigate.
func (m *setupModel) capturesKeys() bool {
	return m.form != nil || (m.step == stepSignIn && m.signin != nil && m.signin.pasting()) || m.asking()
}

// asking reports whether the sign-in waits for the admin's answer.
func (m *setupModel) asking() bool { return m.signin != nil && m.signin.question != nil }

func (m *setupModel) header() string {
	s := m.c.Styles
	title := m.cat.Name
	if m.name != "default" {
		title += " (" + m.name + ")"
	}
	if m.step == stepSaved {
		return s.Title.Render(title) + s.Subtitle.Render(" · saved")
	}
	n, total := stepNumber(m.provider, m.method(), m.step)
	return s.Title.Render(title) + s.Subtitle.Render(fmt.Sprintf(" · step %d of %d · %s", n, total, stepTitles[m.step]))
}

func (m *setupModel) view() string {
	s := m.c.Styles
	var b strings.Builder
	b.WriteString(m.header() + "\n\n")
	switch m.step {
	case stepGrant:
		b.WriteString(m.grantView())
	case stepMethod:
	case stepConsole:
		b.WriteString(m.consoleView())
	case stepInputs:
		for _, in := range m.method().Inputs {
			if m.kept(in) {
				how := "given"
				if _, ok := m.generated[in.Key]; ok {
					how = "generated by tether"
				}
				b.WriteString(s.Dim.Render(in.Label+": "+how+", kept secret") + "\n")
			}
		}
	case stepSignIn:
		if m.signin != nil {
			b.WriteString(m.signin.view())
		}
		if m.err == nil && (m.signin == nil || len(m.signin.progress) == 0) {
			b.WriteString(s.Dim.Render("signing in…") + "\n")
		}
	case stepVerify:
		b.WriteString(m.list.view(m.evidence))
		b.WriteString(m.verifyFooter())
	case stepSaved:
		b.WriteString(m.savedView())
	}
	if m.form != nil {
		// Validation errors above the form, where the window never cuts them.
		for _, err := range m.form.Errors() {
			b.WriteString(wrap(s.Error, "✗ "+err.Error(), m.c.Width-4, "") + "\n")
		}
		b.WriteString(m.form.View() + "\n")
	}
	if m.err != nil {
		b.WriteString("\n" + wrap(s.Error, "✗ "+m.err.Error(), m.c.Width-4, "") + "\n")
		if m.step == stepSignIn {
			b.WriteString(s.Dim.Render("enter: try again · esc: change the credentials") + "\n")
		}
	}
	return b.String()
}

func (m *setupModel) grantView() string {
	s := m.c.Styles
	var b strings.Builder
	nameW := 0
	for _, p := range m.cat.Permissions {
		nameW = min(max(nameW, len(p.Name)), 40)
	}
	for _, capa := range m.cat.Capabilities {
		label := catalog.CapabilityLabel(capa)
		if !capa.Required() && slices.Contains(m.caps, capa.ID) {
			label += "  [enabled]"
		}
		b.WriteString(s.Capability.Render(label) + "\n")
		for _, name := range capa.Permissions {
			perm, _ := m.cat.Permission(name)
			line := fmt.Sprintf("  %-*s", nameW, perm.Name)
			about := perm.Description
			if perm.Purpose != "" {
				about += " · " + perm.Purpose
			}
			if about != "" {
				line += s.Dim.Render("  " + about)
			}
			b.WriteString(truncate(line, m.c.Width-4) + "\n")
			if perm.Flagged() {
				b.WriteString(wrap(s.Badge, "⚑ "+perm.Flag, m.c.Width-8, "    ") + "\n")
			}
		}
	}
	b.WriteString("\n" + wrap(s.Normal, "tether will request exactly: "+strings.Join(m.cat.Scopes(m.caps), ", "), m.c.Width-4, "") + "\n")
	if m.form == nil {
		b.WriteString(s.Dim.Render("enter: continue") + "\n")
	}
	return b.String()
}

func (m *setupModel) consoleView() string {
	s := m.c.Styles
	var b strings.Builder
	for i, st := range m.provider.Steps(m.method(), m.inputs()) {
		fmt.Fprintf(&b, "%d. %s\n", i+1, s.Bold.Render(st.Title))
		if st.Detail != "" {
			b.WriteString(wrap(s.Normal, st.Detail, m.c.Width-8, "   ") + "\n")
		}
		if st.URL != "" {
			b.WriteString("   " + s.LinkTo(truncate(st.URL, m.c.Width-8), st.URL) + "\n")
		}
	}
	for _, in := range m.method().Inputs {
		g, ok := m.generated[in.Key]
		if !ok {
			continue
		}
		b.WriteString("\n" + s.Bold.Render("tether generated a key pair; its private key is kept in "+m.c.Deps.Manager.StoreKind.Describe()+".") + "\n")
		for _, a := range g.Show {
			b.WriteString(a.Label + ":\n" + s.Dim.Render(strings.TrimRight(a.Text, "\n")) + "\n")
		}
		if m.copied {
			b.WriteString(s.Dim.Render("copied to your clipboard (OSC 52)") + "\n")
		}
	}
	hint := "enter: I have done this · esc: back"
	if len(m.generated) > 0 {
		hint = "c: copy the public key · " + hint
	}
	b.WriteString("\n" + s.Dim.Render(hint) + "\n")
	return b.String()
}

func (m *setupModel) verifyFooter() string {
	s := m.c.Styles
	if !m.recheckAt.IsZero() && m.c.Deps.now().Before(m.recheckAt) {
		left := max(m.recheckAt.Sub(m.c.Deps.now()).Round(time.Second), 0)
		return "\n" + s.Badge.Render(fmt.Sprintf("still missing; checking again in %s (%s): new grants can take a while to reach new tokens", left, m.recheckRound)) + "\n"
	}
	if !m.list.done {
		return ""
	}
	var b strings.Builder
	n := m.list.counts()
	fmt.Fprintf(&b, "\n%d granted · %d missing · %d excess · %d unknown · %d errors\n",
		n[providers.Granted], n[providers.Missing], n[providers.Excess], n[providers.Unknown], n[providers.Error])
	return b.String()
}

func (m *setupModel) savedView() string {
	s := m.c.Styles
	var b strings.Builder
	if m.result != nil {
		b.WriteString(wrap(s.Normal, "credential  "+m.result.Location, m.c.Width-4, "") + "\n")
		cmd := "tether verify " + m.conn.Key().String()
		if m.c.Deps.Reverify != nil {
			cmd = m.c.Deps.Reverify(m.conn)
		}
		fmt.Fprintf(&b, "%s   %s\n", s.Bold.Render("re-verify"), cmd)
	}
	b.WriteString("\n" + s.Dim.Render("enter: back to the providers") + "\n")
	return b.String()
}

// help returns the keys that apply now.
func (m *setupModel) help() []key.Binding {
	k := m.c.Keys
	switch m.step {
	case stepVerify:
		keys := []key.Binding{k.Evidence}
		if m.list.fixURL() != "" {
			keys = append(keys, k.CopyLink)
		}
		if m.list.done {
			keys = append(keys, k.Recheck)
			if m.c.Deps.SandboxFix != nil && len(m.list.failing()) > 0 {
				keys = append(keys, k.SandboxFix)
			}
			if m.result != nil {
				keys = append(keys, key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "done")))
			}
		}
		return append(keys, k.Quit)
	case stepSignIn:
		var keys []key.Binding
		if m.signin != nil && m.signin.device != nil {
			keys = append(keys, k.Copy, k.QR)
		}
		if m.signin != nil && m.signin.awaiting != nil && m.signin.awaiting.Paste {
			keys = append(keys, k.Paste)
		}
		return append(keys, k.Back, k.ForceQuit)
	case stepSaved:
		return []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "done")), k.ForceQuit}
	}
	return []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "continue")), k.Back, k.ForceQuit}
}

func truncate(s string, w int) string {
	if w < 10 {
		w = 10
	}
	return ansi.Truncate(s, w, "…")
}
