package main

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/providers/audit"
)

// connectionArg says what the one argument of token, export and exec is.
func connectionArg() string {
	return "the connection to hand over, as PROVIDER[/NAME] (tether status lists them)"
}

// completeConnection completes the connection argument of token, export
// and exec; what follows exec's -- is the shell's to complete.
func completeConnection(a *app) cobra.CompletionFunc {
	connections := completeConnections(a)
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		switch {
		case len(args) == 0:
			return connections(cmd, args, toComplete)
		case cmd.Name() == "exec":
			return nil, cobra.ShellCompDirectiveDefault
		}
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
}

// handover runs a command that hands the connection ref names over (token,
// export, exec), and records it in the audit log however it ends.
func (a *app) handover(e *auditEntry, ref string, run func(*providers.Manager, providers.Connection) error) error {
	e.connection = ref
	err := func() error {
		m, err := a.managerFor(true)
		if err != nil {
			return err
		}
		if err := a.checkRefs(m, []string{ref}); err != nil {
			return err
		}
		conn, err := m.ResolveOne(ref)
		if err != nil {
			return err
		}
		e.connection = conn.Key().String()
		return run(m, conn)
	}()
	a.record(e, err)
	return err
}

// auditEntry is what a command that hands a credential over records of
// itself; the command fills in what it learns as it goes.
type auditEntry struct {
	action     string
	connection string // PROVIDER/NAME once resolved, the reference as given before
	detail     string
	refused    bool   // declined on purpose (a terminal without --reveal)
	outcome    string // set when the outcome is neither ok nor an error (exec's exit status)
}

// record appends e's line to the audit log in the config directory. A log
// that cannot be written is said on stderr: the action has happened, and
// the admin must know that it went unrecorded.
func (a *app) record(e *auditEntry, err error) {
	r := audit.Record{Action: e.action, Connection: e.connection, Detail: e.detail}
	r.Outcome, r.Reason = audit.Outcome(err)
	var silent *silentError
	switch {
	case e.refused:
		r.Outcome = audit.Refused
	case e.outcome != "":
		r.Outcome = e.outcome
		if errors.As(err, &silent) {
			r.Reason = "" // the command's own exit status
		}
	}
	dir, derr := a.configDir()
	if derr == nil {
		log := &audit.Log{Path: filepath.Join(dir, audit.FileName)}
		derr = log.Append(r)
	}
	if derr != nil {
		fmt.Fprintln(a.ios.Stderr(), "tether: warning: this "+e.action+" is not in the audit log: "+derr.Error())
	}
}
