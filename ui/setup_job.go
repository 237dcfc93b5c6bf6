package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

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

// drafts writes a setup's draft in the order the wizard asked, though
// each write is a command of its own and commands run concurrently: a
// write asked for before another that already landed is skipped, so the
// file never goes back to an older step, nor does a draft come back
// after it was dropped.
type drafts struct {
	mu      sync.Mutex
	asked   int // the latest write asked for (Update only)
	written int // the latest write done
}

// next numbers a write; called in Update.
func (d *drafts) next() int {
	d.asked++
	return d.asked
}

// write runs fn as write n unless a later one has been done.
func (d *drafts) write(n int, fn func() error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if n < d.written {
		return nil
	}
	d.written = n
	return fn()
}

// draft is what saveDraft records now.
func (m *setupModel) draft() providers.Draft {
	s := m.step
	if s >= stepSignIn {
		s, _ = m.prev(stepSignIn)
	}
	return providers.Draft{Provider: m.provider.ID(), Name: m.name, Method: m.methodID, Step: stepIDs[s],
		Capabilities: m.caps, Inputs: m.inputs().Values, UpdatedAt: m.c.Deps.now().UTC()}
}

// saveDraft records the step reached and every non-secret input, so that
// an interrupted setup resumes there with what was typed. A setup that
// reached its sign-in resumes at the step before it.
func (m *setupModel) saveDraft() tea.Cmd {
	write := m.saveDraftFunc()
	return func() tea.Msg { return draftSavedMsg{err: write()} }
}

// saveDraftFunc is saveDraft's write, to run where the caller needs it
// done (before a sign-in starts).
func (m *setupModel) saveDraftFunc() func() error {
	mgr, d, n := m.c.Deps.Manager, m.draft(), m.drafts.next()
	return func() error {
		return m.drafts.write(n, func() error {
			return mgr.Config.Update(func(f *providers.ConfigFile) error { f.PutDraft(d); return nil })
		})
	}
}

// dropDraft forgets the draft and what was kept for it, after any write
// asked for before.
func (m *setupModel) dropDraft() tea.Cmd {
	mgr, ctx, k, n := m.c.Deps.Manager, m.c.Deps.ctx(), m.key(), m.drafts.next()
	return func() tea.Msg {
		err := m.drafts.write(n, func() error {
			if err := mgr.Config.Update(func(f *providers.ConfigFile) error { f.RemoveDraft(k); return nil }); err != nil {
				return err
			}
			return mgr.DropGenerated(ctx, k)
		})
		return droppedMsg{err: err}
	}
}

// generate makes the values tether makes for the method (a key pair) and
// keeps them in the credential store at once, so that a resumed setup
// reuses the pair whose public half the admin registers now.
func (m *setupModel) generate() tea.Cmd {
	m.preparing = "making a key pair…"
	var ins []providers.Input
	for _, in := range m.method().Inputs {
		if in.Generate != nil && *m.values[in.Key] == "" {
			ins = append(ins, in)
		}
	}
	mgr, ctx, k := m.c.Deps.Manager, m.c.Deps.ctx(), m.key()
	usable := m.store.err == nil
	return func() tea.Msg {
		gen := map[string]providers.Generated{}
		for _, in := range ins {
			g, err := in.Generate()
			if err != nil {
				return generatedMsg{err: err}
			}
			gen[in.Key] = g
		}
		msg := generatedMsg{gen: gen}
		if !usable {
			msg.keep = errors.New("no credential store is usable")
			return msg
		}
		msg.keptIn, msg.keep = mgr.KeepGenerated(ctx, k, gen)
		return msg
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
	m.started = m.c.Deps.now()
	io := flows.Interaction{
		Events:  func(e flows.Event) { j.send(eventMsg{job: j.id, event: e}) },
		Browser: m.c.Deps.Browser,
		Paste:   m.signin.pasteCh,
		Ask:     asker(j),
	}
	save := m.saveDraftFunc()
	go func() {
		defer func() {
			if r := recover(); r != nil {
				j.send(setupDoneMsg{job: j.id, err: fmt.Errorf("internal error: %v (please report it)", r)})
			}
		}()
		// What was typed is in the draft before the sign-in, which
		// removes the draft once the connection is saved.
		if err := save(); err != nil {
			j.send(setupDoneMsg{job: j.id, err: err})
			return
		}
		res, err := mgr.Setup(ctx, plan, io, reporter{j: j})
		j.send(setupDoneMsg{job: j.id, result: res, err: err})
	}()
	return tea.Batch(j.wait(), m.list.init(), m.signin.spin.Tick, m.tickElapsed())
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

func (m *setupModel) tickRecheck() tea.Cmd {
	id := m.job.id
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return recheckTickMsg{job: id} })
}

func (m *setupModel) tickElapsed() tea.Cmd {
	id := m.job.id
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return elapsedMsg{job: id} })
}

// jobUpdate handles the messages of the setup's background job.
func (m *setupModel) jobUpdate(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case eventMsg:
		if !m.ours(msg.job) {
			return nil, true
		}
		return tea.Batch(m.signin.handle(msg.event), m.job.wait()), true
	case questionMsg:
		if !m.ours(msg.job) {
			return nil, true
		}
		m.signin.ask(msg)
		return m.job.wait(), true
	case checkMsg:
		if !m.ours(msg.job) {
			return nil, true
		}
		if m.step == stepSignIn {
			m.step = stepVerify
		}
		m.list.add(msg.check)
		return m.job.wait(), true
	case warnMsg:
		if !m.ours(msg.job) {
			return nil, true
		}
		m.list.warnings = append(m.list.warnings, msg.text)
		return m.job.wait(), true
	case setupDoneMsg:
		if !m.ours(msg.job) {
			return nil, true
		}
		if msg.err != nil {
			m.err = msg.err
			m.step = stepSignIn
			var unusable *flows.StoreUnavailableError
			if errors.As(msg.err, &unusable) {
				return m.probeStore(), true // to say what is wrong, and offer another store
			}
			return nil, true
		}
		m.result, m.conn = &msg.result, msg.result.Connection
		m.step = stepVerify
		m.list.finish(msg.result.Verification)
		m.checkedAt = m.c.Deps.now()
		// The connection holds the generated key now; the copy kept for
		// the setup in progress goes.
		mgr, ctx, k := m.c.Deps.Manager, m.c.Deps.ctx(), m.key()
		return func() tea.Msg { return droppedMsg{err: mgr.DropGenerated(ctx, k)} }, true
	case verifyDoneMsg:
		if !m.ours(msg.job) {
			return nil, true
		}
		m.list.finish(msg.result)
		m.recheckAt = time.Time{}
		m.checkedAt = m.c.Deps.now()
		return nil, true
	case recheckMsg:
		if !m.ours(msg.job) {
			return nil, true
		}
		m.list.reset()
		m.recheckAt = m.c.Deps.now().Add(msg.wait)
		m.recheckRound = fmt.Sprintf("%d of %d", msg.round, msg.rounds)
		return tea.Batch(m.job.wait(), m.tickRecheck(), m.list.init()), true
	case recheckTickMsg:
		if !m.ours(msg.job) || m.recheckAt.IsZero() || !m.c.Deps.now().Before(m.recheckAt) {
			return nil, true
		}
		return m.tickRecheck(), true
	}
	return nil, false
}

// verifyKey handles the keys of the checklist.
func (m *setupModel) verifyKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := m.c.Keys
	switch {
	case key.Matches(msg, k.Evidence):
		m.evidence = !m.evidence
		return nil, true
	case key.Matches(msg, k.CopyLink) && m.list.fixURL() != "":
		m.c.notice = copiedNote("fix link")
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
	return nil, false
}
