package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/ui/plain"
)

type verifyOptions struct {
	refs   []string
	output *output
	deep   bool
}

func newVerifyCmd(a *app) *cobra.Command {
	opts := &verifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify [PROVIDER[/NAME]]...",
		Short: "Re-verify stored connections: every permission, with evidence",
		Long: `Re-verify stored connections concurrently, printing each check as it finishes.

With no connection stored there is nothing to verify: tether says so on stderr
and exits 0, as status does (--json prints {"connections":[]}).

Exit status: 0 when every needed permission is granted, 1 when something needed
is missing, 3 when a verdict could not be reached (network, authentication,
rate limit), 2 for usage or configuration errors.

--deep also makes one read per permission where the provider supports it
(Microsoft Entra ID today; the others have nothing deeper and ignore it): slower,
it finds licence problems (sign-in logs and risky users need Entra ID P1/P2,
devices need Intune). The grant itself is still decided as without --deep. A
licence problem is a warning and the check's "license" field in --json, not a
missing permission: it does not change the exit status, since no grant would
fix it.`,
		Example: `  tether verify
  tether verify auth0/prod okta
  tether verify --json | jq '.connections[] | select(.ok | not)'
  tether verify entra --deep --json | jq '.connections[].checks[] | select(.license)'`,
		ValidArgsFunction: completeConnections(a),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.refs = connectionRefs(args)
			return verifyRun(cmd.Context(), a, opts)
		},
	}
	opts.output = addOutputFlags(cmd, "text", "json")
	cmd.Flags().BoolVar(&opts.deep, "deep", false, "also make one read per permission where the provider supports it: slower, finds licence problems")
	cmd.Flags().DurationVar(&a.timeout, "timeout", providers.DefaultTimeout, "how long verifying one connection may take; past it, what is undecided is an error")
	return cmd
}

func verifyRun(ctx context.Context, a *app, opts *verifyOptions) error {
	if _, err := opts.output.Format(); err != nil {
		return err
	}
	m, err := a.managerFor(true)
	if err != nil {
		return err
	}
	if err := a.checkRefs(m, opts.refs); err != nil {
		return err
	}
	if err := m.Config.CheckPrivate(); err != nil {
		return err
	}
	conns, bad, err := m.Select(opts.refs)
	if err != nil {
		return err
	}
	// A record that is not used is named, and the others verified.
	badErr := recordsError(bad)
	if badErr != nil {
		printError(a.ios.Stderr(), badErr)
	}
	if len(conns) == 0 {
		if badErr != nil {
			return &silentError{badErr}
		}
		// Nothing stored is not a failure: a fresh host verifies clean.
		fmt.Fprintln(a.ios.Stderr(), "no connections yet: tether setup PROVIDER creates one (tether catalog lists the providers)")
		if opts.output.JSON() {
			return plain.WriteJSON(a.ios.Out, plain.NewVerifyDocument(nil))
		}
		return nil
	}
	if opts.deep {
		ctx = providers.WithDeep(ctx)
	}
	var results []providers.Result
	if opts.output.JSON() {
		results = m.VerifyAll(ctx, conns, func(int) providers.Reporter { return discard{} }, nil)
		if err := plain.WriteJSON(a.ios.Out, plain.NewVerifyDocument(results)); err != nil {
			return err
		}
	} else {
		headers := make([]string, len(conns))
		widths := make([]int, len(conns))
		for i, c := range conns {
			headers[i] = plain.Header(c, m.Describe(c), methodName(m, c))
			cp, _ := m.Catalog.Provider(c.Provider)
			widths[i] = plain.PermissionWidth(cp, c.Capabilities)
		}
		stream := plain.NewStream(a.ios.Stdout(), headers, widths)
		stream.Start()
		results = m.VerifyAll(ctx, conns, stream.Reporter, func(i int, _ providers.Result) { stream.Done(i) })
		_, _ = a.ios.Stdout().Write([]byte(plain.SummaryLine(results) + "\n"))
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	worst := providers.VerdictOK
	for _, r := range results {
		switch r.Verdict() {
		case providers.VerdictMissing:
			worst = providers.VerdictMissing
		case providers.VerdictNone:
			if worst == providers.VerdictOK {
				worst = providers.VerdictNone
			}
		}
	}
	if worst != providers.VerdictOK {
		return &silentError{&providers.VerdictError{Verdict: worst}}
	}
	if badErr != nil {
		return &silentError{badErr}
	}
	return nil
}

// recordsError joins the errors of records that are not used, or is nil.
func recordsError(bad []*providers.RecordError) error {
	errs := make([]error, len(bad))
	for i, b := range bad {
		errs[i] = b
	}
	return errors.Join(errs...)
}

// methodName returns the display name of a connection's method.
func methodName(m *providers.Manager, c providers.Connection) string {
	if p, ok := m.Provider(c.Provider); ok {
		if method, err := providers.FindMethod(p, c.Method); err == nil {
			return method.Name
		}
	}
	return c.Method
}

type discard struct{}

func (discard) Check(providers.Check) {}
func (discard) Warn(string)           {}
