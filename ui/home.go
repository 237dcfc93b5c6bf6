package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/ui/plain"
)

// homeRow is one line of Home: a provider's connection, a setup in
// progress, or the provider alone.
type homeRow struct {
	cat       catalog.Provider
	conn      *providers.Connection
	draft     *providers.Draft
	supported bool
	provider  providers.Provider // nil when not supported
}

type (
	loadedMsg struct {
		conns  []providers.Connection
		drafts []providers.Draft
		err    error
		// problems are records not used and a config dir others can
		// write: shown, while the rest works.
		problems []error
	}
	forgotMsg struct {
		key   flows.Key
		err   error
		draft bool // a setup in progress was dropped
	}
	// openSetupMsg asks the root to start the wizard.
	openSetupMsg struct {
		provider string
		name     string
		draft    *providers.Draft
	}
	// openVerifyMsg asks the root to verify connections.
	openVerifyMsg struct{ conns []providers.Connection }
)

// homeModel lists every catalog provider with its connections and their
// state.
type homeModel struct {
	c      *Common
	rows   []homeRow
	cursor int
	loaded bool
	err    error
	// problems are shown above the rows (see loadedMsg).
	problems []error
	notice   string
	confirm  *providers.Connection // forget, awaiting y/n
	discard  *providers.Draft      // drop a setup in progress, awaiting y/n
	naming   *textinput.Model      // name of an added connection
}

func newHome(c *Common) *homeModel { return &homeModel{c: c} }

// load reads the connections and drafts.
func (h *homeModel) load() tea.Cmd {
	mgr := h.c.Deps.Manager
	return func() tea.Msg {
		f, err := mgr.Records()
		if err != nil {
			return loadedMsg{err: err}
		}
		msg := loadedMsg{conns: f.Connections, drafts: f.Drafts}
		if err := mgr.Config.CheckPrivate(); err != nil {
			msg.problems = append(msg.problems, err)
		}
		for _, u := range f.Unusable {
			msg.problems = append(msg.problems, u)
		}
		return msg
	}
}

func (h *homeModel) setRows(msg loadedMsg) {
	h.loaded, h.err, h.problems = true, msg.err, msg.problems
	mgr := h.c.Deps.Manager
	var rows []homeRow
	for _, cp := range mgr.Catalog.Providers {
		impl, supported := mgr.Provider(cp.ID)
		n := 0
		for i := range msg.conns {
			if c := msg.conns[i]; c.Provider == cp.ID {
				rows = append(rows, homeRow{cat: cp, conn: &c, supported: supported})
				n++
			}
		}
		for i := range msg.drafts {
			d := msg.drafts[i]
			if d.Provider != cp.ID {
				continue
			}
			exists := false
			for _, c := range msg.conns {
				exists = exists || (c.Provider == d.Provider && c.Name == d.Name)
			}
			if !exists {
				rows = append(rows, homeRow{cat: cp, draft: &d, supported: supported, provider: impl})
				n++
			}
		}
		if n == 0 {
			rows = append(rows, homeRow{cat: cp, supported: supported})
		}
	}
	h.rows = rows
	h.cursor = min(h.cursor, max(len(rows)-1, 0))
}

func (h *homeModel) connections() []providers.Connection {
	var out []providers.Connection
	for _, r := range h.rows {
		if r.conn != nil {
			out = append(out, *r.conn)
		}
	}
	return out
}

func (h *homeModel) capturesKeys() bool { return h.naming != nil }

func (h *homeModel) update(msg tea.Msg) tea.Cmd {
	k := h.c.Keys
	switch msg := msg.(type) {
	case loadedMsg:
		h.setRows(msg)
		return nil
	case forgotMsg:
		switch {
		case msg.err != nil:
			h.notice = "could not forget " + msg.key.String() + ": " + msg.err.Error()
		case msg.draft:
			h.notice = "dropped the setup in progress for " + msg.key.String()
		default:
			h.notice = "forgot " + msg.key.String() + "; revoke it in the provider's console if it is no longer used"
		}
		return h.load()
	case tea.KeyPressMsg:
		if h.naming != nil {
			return h.nameKey(msg)
		}
		if h.discard != nil {
			d := *h.discard
			h.discard = nil
			if !key.Matches(msg, k.Yes) {
				h.notice = "kept the setup in progress"
				return nil
			}
			mgr := h.c.Deps.Manager
			return func() tea.Msg {
				k := flows.Key{Provider: d.Provider, Name: d.Name}
				err := mgr.Config.Update(func(f *providers.ConfigFile) error { f.RemoveDraft(k); return nil })
				return forgotMsg{key: k, err: err, draft: true}
			}
		}
		if h.confirm != nil {
			c := *h.confirm
			h.confirm = nil
			if key.Matches(msg, k.Yes) {
				mgr := h.c.Deps.Manager
				ctx := h.c.Deps.ctx()
				return func() tea.Msg {
					_, err := mgr.Forget(ctx, c.Key())
					return forgotMsg{key: c.Key(), err: err}
				}
			}
			h.notice = "kept " + c.Key().String()
			return nil
		}
		if len(h.rows) == 0 {
			return nil
		}
		row := h.rows[h.cursor]
		if h.c.Deps.ReadOnly && (key.Matches(msg, k.Forget, k.Add) || key.Matches(msg, k.Enter) && row.conn == nil && row.supported) {
			h.notice = ReadOnlyNotice
			return nil
		}
		switch {
		case key.Matches(msg, k.Up):
			h.cursor = max(h.cursor-1, 0)
		case key.Matches(msg, k.Down):
			h.cursor = min(h.cursor+1, len(h.rows)-1)
		case key.Matches(msg, k.Enter):
			h.notice = ""
			switch {
			case !row.supported:
				h.notice = "tether cannot connect " + row.cat.Name + " yet; tether catalog " + row.cat.ID + " lists what it needs"
			case row.conn != nil:
				return func() tea.Msg { return openVerifyMsg{conns: []providers.Connection{*row.conn}} }
			case row.draft != nil:
				d := *row.draft
				return func() tea.Msg { return openSetupMsg{provider: d.Provider, name: d.Name, draft: &d} }
			default:
				return func() tea.Msg { return openSetupMsg{provider: row.cat.ID, name: "default"} }
			}
		case key.Matches(msg, k.Verify) && row.conn != nil:
			return func() tea.Msg { return openVerifyMsg{conns: []providers.Connection{*row.conn}} }
		case key.Matches(msg, k.VerifyAll):
			if conns := h.connections(); len(conns) > 0 {
				return func() tea.Msg { return openVerifyMsg{conns: conns} }
			}
			h.notice = "no connections yet: enter on a provider sets one up"
		case key.Matches(msg, k.Forget) && row.conn != nil:
			c := *row.conn
			h.confirm = &c
		case key.Matches(msg, k.Forget) && row.draft != nil:
			d := *row.draft
			h.discard = &d
		case key.Matches(msg, k.Add) && row.supported:
			ti := textinput.New()
			ti.Prompt = "name for the new " + row.cat.Name + " connection › "
			ti.Placeholder = "prod"
			ti.KeyMap.Paste.SetEnabled(false)
			h.naming = &ti
			return h.naming.Focus()
		}
	}
	return nil
}

func (h *homeModel) nameKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "esc":
		h.naming = nil
		return nil
	case "enter":
		name := strings.TrimSpace(h.naming.Value())
		if err := flows.ValidName(name); err != nil {
			h.notice = err.Error()
			return nil
		}
		prov := h.rows[h.cursor].cat.ID
		h.naming, h.notice = nil, ""
		return func() tea.Msg { return openSetupMsg{provider: prov, name: name} }
	}
	var cmd tea.Cmd
	*h.naming, cmd = h.naming.Update(msg)
	return cmd
}

// state describes a row's connection in words, with its symbol.
func (h *homeModel) state(r homeRow) string {
	s := h.c.Styles
	now := h.c.Deps.now()
	switch {
	case !r.supported && r.conn == nil:
		return s.Dim.Render("not supported yet")
	case r.draft != nil:
		label := r.draft.Step
		for i, id := range stepIDs {
			if id == r.draft.Step && r.provider != nil {
				if method, err := providers.FindMethod(r.provider, r.draft.Method); err == nil {
					n, total := stepNumber(r.provider, method, step(i))
					label = fmt.Sprintf("step %d of %d: %s", n, total, stepTitles[i])
				}
			}
		}
		return s.Badge.Render("… setup in progress (" + label + ")")
	case r.conn == nil:
		return s.Dim.Render("not connected")
	}
	c := r.conn
	var parts []string
	if c.SecretExpiresAt != nil {
		left := c.SecretExpiresAt.Sub(now)
		switch {
		case left <= 0:
			parts = append(parts, s.Status[providers.Missing].Render("✗ secret expired"))
		case left < providers.DefaultExpiryWarning:
			parts = append(parts, s.Status[providers.Excess].Render(fmt.Sprintf("⚠ secret expires in %d days", providers.DaysLeft(left))))
		}
	}
	v := c.LastVerification
	switch {
	case v == nil:
		parts = append(parts, s.Dim.Render("not verified yet"))
	case v.Verdict == providers.VerdictMissing:
		parts = append(parts, s.Status[providers.Missing].Render(fmt.Sprintf("✗ %d missing (%s)", len(v.Missing), strings.Join(v.Missing, ", "))))
	case v.Verdict == providers.VerdictNone:
		parts = append(parts, s.Status[providers.Error].Render("! no verdict "+plain.Ago(v.At, now)))
	case now.Sub(v.At) > 7*24*time.Hour:
		parts = append(parts, s.Badge.Render("⚠ not verified since "+v.At.Format(time.DateOnly)))
	default:
		total := 0
		for _, n := range v.Counts {
			total += n
		}
		parts = append(parts, s.Status[providers.Granted].Render(fmt.Sprintf("✓ %d/%d verified %s", v.Counts[providers.Granted], total-v.Counts[providers.Excess], plain.Ago(v.At, now))))
	}
	return strings.Join(parts, "  ")
}

func (h *homeModel) view() string {
	s := h.c.Styles
	var b strings.Builder
	if !h.loaded {
		return s.Dim.Render("loading…") + "\n"
	}
	if h.err != nil {
		b.WriteString(wrap(s.Error, "✗ "+h.err.Error(), h.c.Width-4, "") + "\n\n")
	}
	for _, p := range h.problems {
		b.WriteString(wrap(s.Error, "✗ "+p.Error(), h.c.Width-4, "") + "\n")
	}
	if len(h.problems) > 0 {
		b.WriteString("\n")
	}
	nameW := 0
	for _, r := range h.rows {
		nameW = max(nameW, len(r.cat.Name))
	}
	for i, r := range h.rows {
		cursor, style := "  ", s.Normal
		if i == h.cursor {
			cursor, style = s.Selected.Render("▸ "), s.Selected
		}
		conn := "—"
		if r.conn != nil {
			conn = r.conn.Name
		} else if r.draft != nil {
			conn = r.draft.Name
		}
		line := fmt.Sprintf("%s%s  %-9s %s", cursor, style.Render(fmt.Sprintf("%-*s", nameW, r.cat.Name)), conn, h.state(r))
		b.WriteString(ansi.Truncate(line, h.c.Width-2, "…") + "\n")
		if i == h.cursor && r.conn != nil && r.conn.Tenant != "" {
			b.WriteString(s.Dim.Render(fmt.Sprintf("  %*s  %s · %s", nameW, "", r.conn.Tenant, r.conn.Method)) + "\n")
		}
	}
	if h.confirm != nil {
		b.WriteString("\n" + s.Badge.Render(fmt.Sprintf("Forget %s (%s) and delete its credential? y/n", h.confirm.Key(), h.confirm.Tenant)) + "\n")
	}
	if h.discard != nil {
		b.WriteString("\n" + s.Badge.Render(fmt.Sprintf("Drop the setup in progress for %s/%s? y/n", h.discard.Provider, h.discard.Name)) + "\n")
	}
	if h.naming != nil {
		b.WriteString("\n" + h.naming.View() + "\n")
	}
	if h.notice != "" {
		b.WriteString("\n" + wrap(s.Dim, h.notice, h.c.Width-4, "") + "\n")
	}
	return b.String()
}

func (h *homeModel) help() []key.Binding {
	k := h.c.Keys
	if h.confirm != nil || h.discard != nil {
		return []key.Binding{k.Yes, k.No}
	}
	return []key.Binding{k.Enter, k.Verify, k.VerifyAll, k.Forget, k.Add, k.Help, k.Quit}
}
