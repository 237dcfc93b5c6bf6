package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/ui/plain"
)

type tokenOptions struct {
	ref    string
	output *output
	reveal bool
}

func newTokenCmd(a *app) *cobra.Command {
	opts := &tokenOptions{}
	cmd := &cobra.Command{
		Use:   "token PROVIDER[/NAME]",
		Short: "Print a fresh access token for a connection, for a program to use",
		Long: `Mint a fresh access token with a connection's stored credential and print it,
alone, for the program it is piped to. The token is a secret: on a terminal
tether prints it only with --reveal. --json adds its type, expiry and scopes.

Providers whose API takes the key itself (Duo's Admin API signs each request)
have no token: tether export or tether exec hands their credential over.
Every call is recorded in the audit log (audit.log in the config directory).`,
		Example: `  # the token on curl's stdin, never on a command line the process list shows
  tether token auth0 | sed 's/^/Authorization: Bearer /' | curl -sH @- https://acme.us.auth0.com/api/v2/users
  tether token auth0/prod --json | jq -r .expires_at`,
		Args:              oneArg(connectionArg),
		ValidArgsFunction: completeConnection(a),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ref = connectionRef(args[0])
			return tokenRun(cmd.Context(), a, opts)
		},
	}
	opts.output = addOutputFlags(cmd, "text", "json")
	cmd.Flags().BoolVar(&opts.reveal, "reveal", false, "print the token even though stdout is a terminal")
	return cmd
}

func tokenRun(ctx context.Context, a *app, opts *tokenOptions) error {
	if _, err := opts.output.Format(); err != nil {
		return err
	}
	e := &auditEntry{action: "token"}
	return a.handover(e, opts.ref, func(m *providers.Manager, conn providers.Connection) error {
		return printToken(ctx, a, opts, m, conn, e)
	})
}

func printToken(ctx context.Context, a *app, opts *tokenOptions, m *providers.Manager, conn providers.Connection, e *auditEntry) error {
	if a.ios.IsStdoutTTY() && !opts.reveal && m.HasTokens(conn) {
		e.refused = true
		return providers.Usagef("the access token is a secret and stdout is a terminal: pipe it to the program that needs it (tether token %s | …), or pass --reveal to print it here", conn.Key())
	}
	t, err := m.Token(ctx, conn)
	if err != nil {
		return ctxErr(ctx, err)
	}
	if opts.output.JSON() {
		e.detail = "json"
		return plain.WriteJSON(a.ios.Out, plain.NewTokenDocument(t))
	}
	_, err = a.ios.Out.Write([]byte(t.Token.AccessToken + "\n"))
	return err
}
