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
	c       *Common
	rows    []homeRow
	cursor  int
	loaded  bool
	loading bool // a load is under way: keys wait for the rows
	placed  bool // the cursor has been put on its first row
	err     error
	// problems are shown above the rows (see loadedMsg).
	problems []error
	notice   string
	confirm  *providers.Connection // forget, awaiting y/n
	discard  *providers.Draft      // drop a setup in progress, awaiting y/n
	naming   *textinput.Model      // name of an added connection
	replace  *openSetupMsg         // a setup over an existing connection, awaiting y/n
}

func newHome(c *Common) *homeModel { return &homeModel{c: c} }

// load reads the connections and drafts.
func (h *homeModel) load() tea.Cmd {
	h.loading = true
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
	h.loaded, h.loading, h.err, h.problems = true, false, msg.err, msg.problems
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
	if !h.placed {
		// Start on the first provider tether can connect, not on one
		// that would only say it cannot.
		h.placed = true
		for i, r := range rows {
			if r.supported {
				h.cursor = i
				break
			}
		}
	}
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
		return h.key(msg)
	case tea.PasteMsg:
		if h.naming != nil {
			*h.naming, _ = h.naming.Update(msg)
		}
	}
	return nil
}

func (h *homeModel) key(msg tea.KeyPressMsg) tea.Cmd {
	k := h.c.Keys
	switch {
	case h.naming != nil:
		return h.nameKey(msg)
	case h.replace != nil:
		open := *h.replace
		h.replace = nil
		if key.Matches(msg, k.Yes) {
			h.c.navigate(open)
			return nil
		}
		h.notice = "kept " + flowsKey(open.provider, open.name).String() + "; a to add one under another name"
		return nil
	case h.discard != nil:
		d := *h.discard
		h.discard = nil
		if !key.Matches(msg, k.Yes) {
			h.notice = "kept the setup in progress"
			return nil
		}
		return forgetDraft(h.c, flowsKey(d.Provider, d.Name))
	case h.confirm != nil:
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
	case len(h.rows) == 0:
		return nil
	}
	row := h.rows[h.cursor]
	cannot := "tether cannot connect " + row.cat.Name + " yet; tether catalog " + row.cat.ID + " lists what it needs"
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
			h.notice = cannot
		case row.conn != nil:
			h.c.navigate(openVerifyMsg{conns: []providers.Connection{*row.conn}})
		case row.draft != nil:
			d := *row.draft
			h.c.navigate(openSetupMsg{provider: d.Provider, name: d.Name, draft: &d})
		default:
			h.c.navigate(openSetupMsg{provider: row.cat.ID, name: "default"})
		}
	case key.Matches(msg, k.Verify):
		switch {
		case row.conn != nil:
			h.c.navigate(openVerifyMsg{conns: []providers.Connection{*row.conn}})
		case !row.supported:
			h.notice = cannot
		case row.draft != nil:
			h.notice = "nothing to verify yet: the setup of " + flowsKey(row.draft.Provider, row.draft.Name).String() + " is not finished (enter resumes it)"
		default:
			h.notice = "nothing to verify: " + row.cat.Name + " is not connected (enter sets it up)"
		}
	case key.Matches(msg, k.VerifyAll):
		if conns := h.connections(); len(conns) > 0 {
			h.c.navigate(openVerifyMsg{conns: conns})
			return nil
		}
		h.notice = "no connections yet: enter on a provider sets one up"
	case key.Matches(msg, k.Forget):
		switch {
		case row.conn != nil:
			c := *row.conn
			h.confirm = &c
		case row.draft != nil:
			d := *row.draft
			h.discard = &d
		case !row.supported:
			h.notice = "nothing to forget: " + cannot
		default:
			h.notice = "nothing to forget: " + row.cat.Name + " is not connected"
		}
	case key.Matches(msg, k.Add):
		if !row.supported {
			h.notice = cannot
			return nil
		}
		ti := textinput.New()
		ti.Prompt = "name for the new " + row.cat.Name + " connection › "
		ti.Placeholder = "e.g. prod"
		ti.KeyMap.Paste.SetEnabled(false)
		ti.SetWidth(max(h.c.Width-len(ti.Prompt)-6, 12))
		h.naming = &ti
		h.naming.Focus()
	}
	return nil
}

// forgetDraft forgets a setup in progress: its record, and what tether
// kept for it in the credential store (a generated key pair).
func forgetDraft(c *Common, k flows.Key) tea.Cmd {
	mgr, ctx := c.Deps.Manager, c.Deps.ctx()
	return func() tea.Msg {
		err := mgr.Config.Update(func(f *providers.ConfigFile) error { f.RemoveDraft(k); return nil })
		if err == nil {
			err = mgr.DropGenerated(ctx, k)
		}
		return forgotMsg{key: k, err: err, draft: true}
	}
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
		row := h.rows[h.cursor]
		h.naming, h.notice = nil, ""
		open := openSetupMsg{provider: row.cat.ID, name: name}
		for _, r := range h.rows {
			switch {
			case r.conn != nil && r.conn.Key() == flowsKey(open.provider, name):
				h.replace = &open // ask before a new setup replaces it
				return nil
			case r.draft != nil && r.draft.Provider == open.provider && r.draft.Name == name:
				d := *r.draft
				open.draft = &d // that setup is under way: resume it
			}
		}
		h.c.navigate(open)
		return nil
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

func (h *homeModel) view() (string, int) {
	s := h.c.Styles
	var b strings.Builder
	if !h.loaded {
		return s.Dim.Render("loading…") + "\n", -1
	}
	focus := -1
	if h.err != nil {
		b.WriteString(wrap(s.Error, "✗ "+h.c.Deps.errText(h.err), h.c.Width-4, "") + "\n\n")
	}
	for _, p := range h.problems {
		b.WriteString(wrap(s.Error, "✗ "+h.c.Deps.errText(p), h.c.Width-4, "") + "\n")
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
		if i == h.cursor {
			focus = strings.Count(b.String(), "\n")
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
	if h.replace != nil {
		b.WriteString("\n" + wrap(s.Badge, fmt.Sprintf("%s already exists. Set it up again and replace it once the new credential is stored? y/n",
			flowsKey(h.replace.provider, h.replace.name)), h.c.Width-4, "") + "\n")
	}
	if h.naming != nil {
		b.WriteString("\n" + h.naming.View() + "\n")
	}
	if h.notice != "" {
		b.WriteString("\n" + wrap(s.Dim, h.c.Deps.safe(h.notice), h.c.Width-4, "") + "\n")
	}
	return b.String(), focus
}

func (h *homeModel) help() []key.Binding {
	k := h.c.Keys
	if h.confirm != nil || h.discard != nil || h.replace != nil {
		return []key.Binding{k.Yes, k.No}
	}
	if h.naming != nil {
		return []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "set up")), k.Back, k.ForceQuit}
	}
	return []key.Binding{k.Enter, k.Verify, k.VerifyAll, k.Forget, k.Add, k.Help, k.Quit}
}
