package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tetherdev/tether/providers"
)

type forgetOptions struct {
	ref string
	yes bool
}

func newForgetCmd(a *app) *cobra.Command {
	opts := &forgetOptions{}
	cmd := &cobra.Command{
		Use:   "forget PROVIDER[/NAME]",
		Short: "Delete a connection's credential and metadata",
		Long: `Delete a connection: its credential from the store (every piece of it) and its
metadata. The app or token in the provider's console is left alone; revoke it
there too if it is no longer needed. On a terminal tether asks first; without
one (a script, a pipe) it deletes only with --yes.`,
		Example: `  tether forget auth0/prod
  tether forget auth0 --yes`,
		Args: oneArg(func() string {
			return "the connection to delete, as PROVIDER[/NAME] (tether status lists them)"
		}),
		ValidArgsFunction: completeConnections(a),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ref = connectionRef(args[0])
			return forgetRun(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

func forgetRun(ctx context.Context, a *app, opts *forgetOptions) error {
	m, err := a.managerFor(false)
	if err != nil {
		return err
	}
	if err := a.checkRefs(m, []string{opts.ref}); err != nil {
		return err
	}
	if err := m.Config.CheckPrivate(); err != nil {
		fmt.Fprintln(a.ios.Stderr(), "tether: warning: "+err.Error())
	}
	conns, err := m.Resolve([]string{opts.ref})
	if err != nil {
		return err
	}
	if len(conns) > 1 {
		names := make([]string, len(conns))
		for i, c := range conns {
			names[i] = c.Key().String()
		}
		return providers.Usagef("%s has %d connections (%s): name one", opts.ref, len(conns), strings.Join(names, ", "))
	}
	k := conns[0].Key()
	if !opts.yes && !a.ios.CanPrompt() {
		// Deleting a credential is not undone: without a terminal to ask
		// on, only --yes says that it is meant.
		return providers.Usagef("forget deletes %s (%s) and its credential: pass --yes to confirm, as there is no terminal to ask on", k, conns[0].Tenant)
	}
	if !opts.yes {
		fmt.Fprintf(a.ios.Stderr(), "Delete %s (%s) and its credential? [y/N] ", k, conns[0].Tenant)
		answer, _ := a.ios.Lines().ReadString('\n')
		if reply := strings.ToLower(strings.TrimSpace(answer)); reply != "y" && reply != "yes" {
			fmt.Fprintln(a.ios.Stderr(), "kept "+k.String())
			return nil
		}
	}
	c, err := m.Forget(ctx, k)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.ios.Stdout(), "forgot %s (%s); revoke the credential in the provider's console if it is no longer used\n", k, c.Tenant)
	return nil
}
