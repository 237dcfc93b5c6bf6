package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/tetherdev/tether/providers"
)

// verifyModel re-verifies connections concurrently, live.
type verifyModel struct {
	c        *Common
	conns    []providers.Connection
	lists    []*checklist
	job      *job
	cancel   context.CancelFunc
	pending  int
	evidence bool
	done     []time.Time // when each connection's verification finished
}

func newVerify(c *Common, conns []providers.Connection) *verifyModel {
	v := &verifyModel{c: c, conns: conns}
	for _, conn := range conns {
		cp, _ := c.Deps.Manager.Catalog.Provider(conn.Provider)
		title := conn.Key().String() + "  " + conn.Tenant
		v.lists = append(v.lists, newChecklist(c, cp, conn.Capabilities, title))
	}
	return v
}

func (v *verifyModel) start() tea.Cmd {
	mgr := v.c.Deps.Manager
	ctx, cancel := context.WithCancel(v.c.Deps.ctx())
	v.stop()
	v.cancel = cancel
	j := newJob(ctx, v.c.nextJob())
	v.job, v.pending = j, len(v.conns)
	v.done = make([]time.Time, len(v.conns))
	cmds := []tea.Cmd{j.wait()}
	for _, l := range v.lists {
		l.reset()
		cmds = append(cmds, l.init())
	}
	conns := v.conns
	go func() {
		defer func() {
			if r := recover(); r != nil {
				for i := range conns {
					j.send(verifyDoneMsg{job: j.id, index: i, result: providers.Result{Err: fmt.Errorf("internal error: %v (please report it)", r)}})
				}
			}
		}()
		mgr.VerifyAll(ctx, conns, func(i int) providers.Reporter { return reporter{j: j, index: i} },
			func(i int, r providers.Result) { j.send(verifyDoneMsg{job: j.id, index: i, result: r}) })
	}()
	return tea.Batch(cmds...)
}

func (v *verifyModel) stop() {
	if v.cancel != nil {
		v.cancel()
	}
}

func (v *verifyModel) update(msg tea.Msg) tea.Cmd {
	k := v.c.Keys
	switch msg := msg.(type) {
	case checkMsg:
		if v.job == nil || msg.job != v.job.id {
			return nil
		}
		v.lists[msg.index].add(msg.check)
		return v.job.wait()
	case warnMsg:
		if v.job == nil || msg.job != v.job.id {
			return nil
		}
		v.lists[msg.index].warnings = append(v.lists[msg.index].warnings, msg.text)
		return v.job.wait()
	case verifyDoneMsg:
		if v.job == nil || msg.job != v.job.id {
			return nil
		}
		v.lists[msg.index].finish(msg.result)
		v.done[msg.index] = v.c.Deps.now()
		v.pending--
		if v.pending > 0 {
			return v.job.wait()
		}
		return nil
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, k.Evidence):
			v.evidence = !v.evidence
		case key.Matches(msg, k.CopyLink):
			for _, l := range v.lists {
				if u := l.fixURL(); u != "" {
					v.c.notice = copiedNote("fix link")
					return tea.SetClipboard(u)
				}
			}
			v.c.notice = "no fix link to copy: nothing is missing"
			if v.pending > 0 {
				v.c.notice = "no fix link to copy yet: the checks are still running"
			}
		case key.Matches(msg, k.Recheck) && v.pending == 0:
			return v.start()
		case key.Matches(msg, k.Back):
			v.stop()
			v.c.navigate(backHomeMsg{})
			return nil
		}
	}
	var cmds []tea.Cmd
	for _, l := range v.lists {
		cmds = append(cmds, l.update(msg))
	}
	return tea.Batch(cmds...)
}

func (v *verifyModel) view() string {
	s := v.c.Styles
	var b strings.Builder
	title := "verifying"
	if v.pending == 0 {
		title = "verified"
	}
	if len(v.conns) > 1 {
		title += " every connection"
	}
	b.WriteString(s.Title.Render(title) + "\n\n")
	for i, l := range v.lists {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(l.view(v.evidence))
		if l.done && l.err != nil {
			b.WriteString(wrap(s.Error, "! "+v.c.Deps.errText(l.err), v.c.Width-8, "  ") + "\n")
		}
		if l.done {
			b.WriteString("  " + l.summary(v.done[i]) + "\n")
		}
	}
	return b.String()
}

func (v *verifyModel) help() []key.Binding {
	k := v.c.Keys
	keys := []key.Binding{k.Evidence, k.CopyLink}
	if v.pending == 0 {
		keys = append(keys, k.Recheck)
	}
	return append(keys, k.Back, k.Quit)
}
