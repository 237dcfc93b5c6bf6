package sshd

import (
	"context"
	"fmt"
	"time"
)

// watchKeys reads the authorized keys again every Config.KeysCheck until
// ctx ends, and ends the open sessions they no longer allow.
func (s *Server) watchKeys(ctx context.Context) {
	every := s.cfg.KeysCheck
	if every <= 0 {
		every = 2 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.revalidate()
		}
	}
}

// revalidate ends each open session whose key the authorized keys file
// no longer lists, or lists with another role: the role a session
// started with is the one its wizard was built for, so a changed role
// applies from the next connection. A file that cannot be read ends
// nothing; the server log says why.
func (s *Server) revalidate() {
	ak, err := s.keys.load()
	if err != nil {
		s.logf("%v", err)
		return
	}
	s.mu.Lock()
	open := make([]*session, 0, len(s.sessions))
	for st := range s.sessions {
		open = append(open, st)
	}
	s.mu.Unlock()
	for _, st := range open {
		var why string
		switch k, err := ak.Lookup(st.key); {
		case err != nil:
			why = "your key was removed from this server's authorized keys; the session has ended"
		case k.Role != st.id.Role:
			why = fmt.Sprintf("your key's role changed to %s; connect again to continue", k.Role)
		default:
			continue
		}
		st.mu.Lock()
		already := st.ended != ""
		if !already {
			st.ended = why
		}
		st.mu.Unlock()
		if already {
			continue
		}
		s.logf("ended the session of %s for %q from %s: %s", st.id.Fingerprint, st.id.User, st.id.Remote, why)
		s.audit(refused(st.id, "", "session", why))
		st.cancel()
	}
}
