package sshd

import (
	"context"
	"fmt"
	"strings"
	"sync"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"charm.land/wish/v2"
	"github.com/charmbracelet/colorprofile"
	gossh "golang.org/x/crypto/ssh"

	"github.com/tetherdev/tether/providers/audit"
	"github.com/tetherdev/tether/ui"
)

// access runs first for every session: it reads the role of the key
// that authenticated (not of a key merely offered), applies the key's
// rate limit and the session cap, and registers the session so that
// Shutdown can end it.
func (s *Server) access(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		key := sess.PublicKey()
		if key == nil {
			wish.Fatalln(sess, "tether: only public-key authentication is accepted")
			return
		}
		id := Identity{User: sess.User(), Fingerprint: gossh.FingerprintSHA256(key), Remote: sess.RemoteAddr().String()}
		ak, err := s.keys.load()
		if err == nil {
			var k AuthorizedKey
			if k, err = ak.Lookup(key); err == nil {
				id.Role = k.Role
			}
		}
		if err != nil {
			s.logf("refused a session for %s: %v", id.Fingerprint, err)
			s.audit(refused(id, "", "", "key no longer authorized"))
			wish.Fatalln(sess, "tether: your key is not authorized on this server")
			return
		}
		if ok, why := s.limit.allow(id.Fingerprint); !ok {
			s.audit(refused(id, "", "", why))
			wish.Fatalln(sess, "tether: "+why)
			return
		}
		ctx, cancel := context.WithCancel(sess.Context())
		defer cancel()
		st := &session{id: id, key: key, ctx: ctx, cancel: cancel}
		if msg := s.register(st); msg != "" {
			s.audit(refused(id, "", "", msg))
			wish.Fatalln(sess, "tether: "+msg)
			return
		}
		defer s.unregister(st)
		sess.Context().SetValue(ctxKey{}, st)
		next(sess)
	}
}

// register adds st, or says why it may not open.
func (s *Server) register(st *session) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closing:
		return "the server is stopping; try again later"
	case s.cfg.MaxSessions > 0 && len(s.sessions) >= s.cfg.MaxSessions:
		return fmt.Sprintf("the server has its maximum of %d sessions open; try again later", s.cfg.MaxSessions)
	}
	s.sessions[st] = struct{}{}
	return ""
}

func (s *Server) unregister(st *session) {
	s.mu.Lock()
	delete(s.sessions, st)
	s.mu.Unlock()
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

func stateOf(sess ssh.Session) *session {
	st, _ := sess.Context().Value(ctxKey{}).(*session)
	return st
}

// clientEnv is what the wizard reads of the client's environment: its
// terminal and colour preferences, nothing else.
func clientEnv(sess ssh.Session, term string) []string {
	env := []string{"TERM=" + term}
	for _, kv := range sess.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if name == "NO_COLOR" || name == "COLORTERM" {
			env = append(env, kv)
		}
	}
	return env
}

// program builds the wizard for a session with a terminal and no
// command; nil hands the session to command.
func (s *Server) program(sess ssh.Session) *tea.Program {
	st := stateOf(sess)
	pty, _, ok := sess.Pty()
	if st == nil || !ok || len(sess.Command()) > 0 {
		return nil
	}
	st.mu.Lock()
	st.tui = true
	st.mu.Unlock()
	notify := func(msg string) {
		st.mu.Lock()
		p := st.prog
		st.mu.Unlock()
		if p != nil {
			p.Send(ui.Notice(msg))
		}
	}
	auditf := func(action, conn, detail string, err error) {
		r := record(st.id, action, conn)
		r.Outcome, r.Reason = audit.Outcome(err)
		r.Detail = detail
		s.audit(r)
	}
	deps, release, err := s.cfg.Deps(st.ctx, st.id, Hooks{Notify: notify, Audit: auditf})
	if err != nil {
		s.logf("session for %s: %v", st.id.Fingerprint, err)
		wish.Errorln(sess, "tether: the wizard could not start on the server; its administrator can read why in the server log")
		return nil
	}
	if release != nil {
		s.releasing.Add(1)
		stop := func() { defer s.releasing.Done(); release() }
		// Whichever ends first, the session or the server's shutdown of it.
		var once sync.Once
		context.AfterFunc(sess.Context(), func() { once.Do(stop) })
		context.AfterFunc(st.ctx, func() { once.Do(stop) })
	}
	deps.Browser = nil // the browser is on the client, not here
	deps.ReadOnly = !st.id.Role.CanChange()
	deps.Context = st.ctx
	env := clientEnv(sess, pty.Term)
	p := tea.NewProgram(ui.New(deps, ui.Options{}),
		tea.WithContext(st.ctx),
		tea.WithInput(sess), tea.WithOutput(sess),
		tea.WithEnvironment(env),
		tea.WithColorProfile(colorprofile.Env(env)),
		tea.WithWindowSize(pty.Window.Width, pty.Window.Height),
		// Suspending would stop the server, not the client.
		tea.WithFilter(func(_ tea.Model, msg tea.Msg) tea.Msg {
			if _, ok := msg.(tea.SuspendMsg); ok {
				return tea.ResumeMsg{}
			}
			return msg
		}),
	)
	st.mu.Lock()
	st.prog = p
	st.mu.Unlock()
	opened := record(st.id, ActionSession, "")
	opened.Detail = "opened"
	s.audit(opened)
	return p
}
