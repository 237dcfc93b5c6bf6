package ui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

// Deps is what the TUI drives: the Manager (every provider, store and
// record), and what differs between a local terminal and an SSH session.
type Deps struct {
	Manager *providers.Manager
	// Browser opens links on the admin's machine; nil where none may be
	// opened (an SSH session: the browser is on the client).
	Browser flows.Opener
	// Sandbox marks the sandbox, shown in the header.
	Sandbox bool
	// SandboxFix grants a withheld permission in the sandbox's demo tenant,
	// as the admin would in the console (sandbox only; nil otherwise).
	SandboxFix func(provider, permission string) error
	// Defaults returns the demo tenant's inputs in the sandbox (nil
	// otherwise), to prefill the credentials step.
	Defaults func(provider string) map[string]string
	// Reverify says the command that re-verifies a connection.
	Reverify func(providers.Connection) string
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Context ends every background job (the session's, over SSH).
	Context context.Context
	// ReadOnly is a session that may look and verify but not set up or
	// forget (an SSH viewer key).
	ReadOnly bool
	// Scrub makes a message safe to show to this session's user (nil:
	// shown as is). Over SSH it takes the server's own paths out of errors
	// and notices: the user is not the server's operator.
	Scrub func(string) string
}

// ReadOnlyNotice is what a read-only session is told when it asks to set
// up or forget a connection.
const ReadOnlyNotice = "your key is a viewer: ask an admin to set up or forget connections"

func (d Deps) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// safe is msg as this session's user may see it: printable, and
// scrubbed.
func (d Deps) safe(msg string) string {
	msg = flows.Printable(msg) // it may quote a server
	if d.Scrub != nil {
		return d.Scrub(msg)
	}
	return msg
}

// errText is err's message as this session's user may see it.
func (d Deps) errText(err error) string { return d.safe(err.Error()) }

func (d Deps) ctx() context.Context {
	if d.Context != nil {
		return d.Context
	}
	return context.Background()
}

// Common is the per-session state every screen shares: size, palette,
// keys. There is one per program, so concurrent SSH sessions never share
// anything mutable.
type Common struct {
	Width, Height int
	Styles        *Styles
	Keys          KeyMap
	Deps          Deps
	// Dark reports a dark terminal background.
	Dark bool

	jobs int
	// nav is a screen's request to change page (open a setup, go back
	// Home), which the root acts on before the next message: a key typed
	// right after the one that asked must reach the new page.
	nav tea.Msg
	// notice is one transient line for the admin (a link was copied),
	// shown above the footer until the next key.
	notice string
}

// navigate asks the root to change page once the current message is
// handled.
func (c *Common) navigate(msg tea.Msg) { c.nav = msg }

// nextJob returns a fresh job id.
func (c *Common) nextJob() int {
	c.jobs++
	return c.jobs
}

// job streams the messages of one background task (a setup, a
// verification) into the program: each message re-arms the wait.
type job struct {
	id  int
	ch  chan tea.Msg
	ctx context.Context
}

func newJob(ctx context.Context, id int) *job {
	return &job{id: id, ch: make(chan tea.Msg, 64), ctx: ctx}
}

// send delivers msg unless the job's context has ended (the UI is gone).
func (j *job) send(msg tea.Msg) {
	select {
	case j.ch <- msg:
	case <-j.ctx.Done():
	}
}

// wait is the command that receives the job's next message.
func (j *job) wait() tea.Cmd {
	return func() tea.Msg {
		select {
		case msg, ok := <-j.ch:
			if !ok {
				return nil
			}
			return msg
		case <-j.ctx.Done():
			return nil
		}
	}
}

// Messages of background jobs. Each carries its job id, so a message from
// a job the admin has left behind is ignored.
type (
	checkMsg struct {
		job   int
		index int // the connection, in a multi-connection verification
		check providers.Check
	}
	warnMsg struct {
		job   int
		index int
		text  string
	}
	eventMsg struct {
		job   int
		event flows.Event
	}
	setupDoneMsg struct {
		job    int
		result providers.SetupResult
		err    error
	}
	verifyDoneMsg struct {
		job    int
		index  int
		result providers.Result
	}
	jobEndMsg struct{ job int }
)

// reporter forwards a verification's findings to a job.
type reporter struct {
	j     *job
	index int
}

func (r reporter) Check(c providers.Check) { r.j.send(checkMsg{job: r.j.id, index: r.index, check: c}) }
func (r reporter) Warn(w string)           { r.j.send(warnMsg{job: r.j.id, index: r.index, text: w}) }

// Recheck passes on the Manager's consent-lag rounds.
func (r reporter) Recheck(round, rounds int, wait time.Duration, missing []string) {
	r.j.send(recheckMsg{job: r.j.id, round: round, rounds: rounds, wait: wait, missing: missing})
}

// recheckMsg says that the Manager waits before checking again.
type recheckMsg struct {
	job           int
	round, rounds int
	wait          time.Duration
	missing       []string
}

func flowsKey(provider, name string) flows.Key { return flows.Key{Provider: provider, Name: name} }
