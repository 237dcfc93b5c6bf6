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
	json bool
}

func newStatusCmd(a *app) *cobra.Command {
	opts := &statusOptions{}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "List stored connections and how they last verified (no network)",
		Long: `List stored connections: tenant, method, capabilities, where the credential is
and whether it is there, the last verification and the secret's expiry. It makes
no network call; tether verify checks the permissions live.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return statusRun(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.json, "json", false, "print one JSON document (stable: fields may be added, none renamed)")
	return cmd
}

func statusRun(ctx context.Context, a *app, opts *statusOptions) error {
	m, err := a.managerFor(false)
	if err != nil {
		return err
	}
	conns, err := m.Connections()
	if err != nil {
		return err
	}
	doc := plain.StatusDocument{Connections: []plain.StatusConnection{}}
	for _, c := range conns {
		doc.Connections = append(doc.Connections, plain.StatusConnection{Connection: c, Credential: credentialState(ctx, a, c)})
	}
	if opts.json {
		return plain.WriteJSON(a.ios.Out, doc)
	}
	if len(conns) == 0 {
		fmt.Fprintln(a.ios.Stderr(), "no connections yet: tether setup PROVIDER creates one (tether catalog lists the providers)")
		return nil
	}
	tw := tabwriter.NewWriter(a.ios.Stdout(), 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CONNECTION\tTENANT\tMETHOD\tCAPABILITIES\tLAST VERIFIED\tCREDENTIAL")
	now := time.Now()
	for _, sc := range doc.Connections {
		c := sc.Connection
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.Key(), c.Tenant, c.Method,
			strings.Join(c.Capabilities, ","), lastVerified(c, now), sc.Credential)
	}
	return tw.Flush()
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
