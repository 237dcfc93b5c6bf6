package sshd

import (
	"fmt"

	"github.com/tetherdev/tether/providers/audit"
)

// Audit actions a session records, beside the commands' own names.
const (
	ActionSession = "session" // a wizard session opened or closed
	ActionStatus  = "status"
	ActionVerify  = "verify"
	ActionSetup   = "setup"
	ActionForget  = "forget"
	ActionDenied  = "denied" // refused: an unknown key, a viewer's change, a limit
)

// record is an audit record of what id did: the key is named by its
// fingerprint, the connection by provider/name, never by a secret.
func record(id Identity, action, conn string) audit.Record {
	return audit.Record{Action: action, Connection: conn, Outcome: audit.OK,
		KeyFingerprint: id.Fingerprint, Role: string(id.Role), SSHUser: id.User, Remote: id.Remote}
}

// refused is a record of an action id was not allowed, and why.
func refused(id Identity, conn, detail, reason string) audit.Record {
	r := record(id, ActionDenied, conn)
	r.Outcome, r.Detail, r.Reason = audit.Refused, detail, reason
	return r
}

// exited is a record of a command that ran and ended with code.
func exited(id Identity, action, conn string, code int) audit.Record {
	r := record(id, action, conn)
	if code != 0 {
		r.Outcome = fmt.Sprintf("exit %d", code)
	}
	return r
}

// audit appends r to the server's audit log; a log that cannot be
// written is reported in the server log, never to the client.
func (s *Server) audit(r audit.Record) {
	if s.cfg.Audit == nil {
		return
	}
	if err := s.cfg.Audit.Append(r); err != nil {
		s.logf("%v", err)
	}
}
