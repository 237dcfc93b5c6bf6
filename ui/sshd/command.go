package sshd

import (
	"fmt"
	"strings"

	"charm.land/ssh"
	"charm.land/wish/v2"
)

// serverFlags are the global flags the server's operator chooses; a
// client may not change them for its command.
var serverFlags = []string{"--sandbox", "--sandbox-deny", "--sandbox-fault", "--store", "--no-browser"}

// commandRoles are the commands a session without a terminal may run,
// and the role each needs.
var commandRoles = map[string]Role{
	"status": RoleViewer,
	"verify": RoleViewer,
	"help":   RoleViewer,
	"setup":  RoleAdmin,
	"forget": RoleAdmin,
}

// CheckCommand says whether role may run args over SSH, and if not, the
// one-line reason.
func CheckCommand(role Role, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("no command: ssh -t HOST opens the wizard; without a terminal run ssh HOST status --json or ssh HOST verify --json")
	}
	need, ok := commandRoles[args[0]]
	if !ok {
		return fmt.Errorf("%q cannot be run over SSH; the commands are status, verify, setup and forget", args[0])
	}
	for _, a := range args[1:] {
		for _, f := range serverFlags {
			if a == f || strings.HasPrefix(a, f+"=") {
				return fmt.Errorf("%s is chosen by the server; leave it out", f)
			}
		}
	}
	if need == RoleAdmin && !role.CanChange() {
		return fmt.Errorf("your key is a viewer: %s needs an admin key; ask an admin", args[0])
	}
	return nil
}

// connectionArg is the connection or provider a command names, for the
// audit log: the first argument that is not a flag, and for setup the
// connection's name from --name (PROVIDER/NAME).
func connectionArg(args []string) string {
	var conn, name string
	for i := 1; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--name" && i+1 < len(args):
			name = args[i+1]
			i++
		case strings.HasPrefix(a, "--name="):
			name = strings.TrimPrefix(a, "--name=")
		case conn == "" && !strings.HasPrefix(a, "-"):
			conn = a
		}
	}
	if args[0] == ActionSetup && conn != "" && !strings.Contains(conn, "/") {
		if name == "" {
			name = "default"
		}
		conn += "/" + name
	}
	return conn
}

// command runs last: the end of a wizard session, or one plain command
// for a session without a terminal.
func (s *Server) command(sess ssh.Session) {
	st := stateOf(sess)
	if st == nil {
		return
	}
	st.mu.Lock()
	tui := st.tui
	st.mu.Unlock()
	if tui {
		closed := record(st.id, ActionSession, "")
		closed.Detail = "closed"
		s.audit(closed)
		if why := st.endedBecause(); why != "" {
			wish.Fatalln(sess, "tether: "+why)
			return
		}
		if s.isClosing() {
			wish.Println(sess, "tether: the server is stopping; your session has ended")
		}
		return
	}
	args := sess.Command()
	if err := CheckCommand(st.id.Role, args); err != nil {
		if len(args) > 0 {
			s.audit(refused(st.id, connectionArg(args), args[0], err.Error()))
		}
		wish.Fatalln(sess, "tether: "+err.Error())
		return
	}
	term := "dumb"
	if pty, _, ok := sess.Pty(); ok {
		term = pty.Term
	}
	code := s.cfg.Exec(st.ctx, st.id, args, clientEnv(sess, term), sess, sess, sess.Stderr())
	action := args[0]
	if action == "help" {
		_ = sess.Exit(code)
		return
	}
	s.audit(exited(st.id, action, connectionArg(args), code))
	if why := st.endedBecause(); why != "" {
		wish.Errorln(sess, "tether: "+why)
	} else if s.isClosing() {
		wish.Errorln(sess, "tether: the server is stopping")
	}
	_ = sess.Exit(code)
}

// endedBecause is why the server ended the session, if it did.
func (st *session) endedBecause() string {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.ended
}
