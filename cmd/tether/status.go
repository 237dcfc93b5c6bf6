package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/ui/plain"
)

type statusOptions struct {
	output *output
}

func newStatusCmd(a *app) *cobra.Command {
	opts := &statusOptions{}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "List stored connections and how they last verified (no network)",
		Long: `List stored connections: tenant, method, capabilities, where the credential is
and whether it is there, the last verification and the secret's expiry. It makes
no network call; tether verify checks the permissions live.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return statusRun(cmd.Context(), a, opts)
		},
	}
	opts.output = addOutputFlags(cmd, "table", "json")
	return cmd
}

func statusRun(ctx context.Context, a *app, opts *statusOptions) error {
	if _, err := opts.output.Format(); err != nil {
		return err
	}
	m, err := a.managerFor(false)
	if err != nil {
		return err
	}
	f, err := m.Records()
	if err != nil {
		return err
	}
	conns := f.Connections
	// Through a config dir others can write, no credential is read, not
	// even to say whether it is there.
	unsafe := m.Config.CheckPrivate()
	if unsafe != nil {
		fmt.Fprintln(a.ios.Stderr(), "tether: warning: "+unsafe.Error())
	}
	// A record that is not used is named, and the others listed.
	badErr := recordsError(f.Unusable)
	if badErr != nil {
		printError(a.ios.Stderr(), badErr)
		badErr = &silentError{badErr}
	}
	doc := plain.StatusDocument{Connections: []plain.StatusConnection{}}
	for _, c := range conns {
		state := string(c.Store) + ": not checked"
		if unsafe == nil {
			state = credentialState(ctx, a, c)
		}
		doc.Connections = append(doc.Connections, plain.StatusConnection{Connection: c, Credential: state})
	}
	if opts.output.JSON() {
		if err := plain.WriteJSON(a.ios.Out, doc); err != nil {
			return err
		}
		return badErr
	}
	if len(conns) == 0 {
		if badErr == nil {
			fmt.Fprintln(a.ios.Stderr(), "no connections yet: tether setup PROVIDER creates one (tether catalog lists the providers)")
		}
		return badErr
	}
	tw := tabwriter.NewWriter(a.ios.Stdout(), 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CONNECTION\tTENANT\tMETHOD\tCAPABILITIES\tLAST VERIFIED\tCREDENTIAL")
	now := time.Now()
	for _, sc := range doc.Connections {
		c := sc.Connection
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.Key(), c.Tenant, c.Method,
			strings.Join(c.Capabilities, ","), lastVerified(c, now), sc.Credential)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return badErr
}

// lastVerified summarizes a connection's last verification in words.
func lastVerified(c providers.Connection, now time.Time) string {
	v := c.LastVerification
	if v == nil {
		return "never"
	}
	ago := plain.Ago(v.At, now)
	switch v.Verdict {
	case providers.VerdictOK:
		return fmt.Sprintf("✓ ok, %d granted, %s", v.Counts[providers.Granted], ago)
	case providers.VerdictMissing:
		return fmt.Sprintf("✗ %d missing (%s), %s", len(v.Missing), strings.Join(v.Missing, ", "), ago)
	}
	return "! no verdict, " + ago
}

// credentialState says where the secret is and whether it is there,
// without reading it where the store can tell (no passphrase needed).
func credentialState(ctx context.Context, a *app, c providers.Connection) string {
	store, err := a.store(c.Store)
	if err != nil {
		return string(c.Store) + ": unavailable"
	}
	err = flows.Present(ctx, store, c.Key())
	switch {
	case err == nil:
		return string(c.Store) + ": present"
	case errors.Is(err, flows.ErrNotFound):
		return string(c.Store) + ": missing"
	case errors.Is(err, flows.ErrCorrupt):
		return string(c.Store) + ": damaged"
	case errors.Is(err, flows.ErrWrongKey):
		return string(c.Store) + ": another key"
	}
	return string(c.Store) + ": unavailable"
}
