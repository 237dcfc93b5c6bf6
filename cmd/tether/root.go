package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"syscall"

	"github.com/charmbracelet/fang"
	"github.com/spf13/cobra"

	"github.com/tetherdev/tether/ui"
	"github.com/tetherdev/tether/ui/plain"
)

// run runs tether with args on ios and returns the exit code. No panic
// gets past it: a bug ends with one line on stderr, not a stack trace.
func run(ctx context.Context, args []string, ios *plain.IOStreams) int {
	return runApp(ctx, &app{ios: ios}, args)
}

func runApp(ctx context.Context, a *app, args []string) (code int) {
	ios := a.ios
	defer a.close()
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(ios.ErrOut, "tether: internal error: %v (please report it)\n", r)
			code = exitNoVerdict
		}
	}()
	root := newRootCmd(a)
	root.SetArgs(args)
	root.SetIn(ios.In)
	root.SetOut(ios.Out)
	root.SetErr(ios.ErrOut)
	err := fang.Execute(ctx, root,
		fang.WithVersion(versionString()),
		fang.WithErrorHandler(func(w io.Writer, _ fang.Styles, err error) { printError(w, err) }),
		fang.WithNotifySignal(os.Interrupt, syscall.SIGTERM),
	)
	return exitCode(err)
}

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "tether",
		Short: "Connect your identity providers to the platform, with every permission verified",
		Long: `tether walks you through connecting an identity provider (Microsoft Entra ID,
Okta, Duo, Auth0, Google Workspace, Salesforce): what to grant, where to click,
the real sign-in, and a live check of every permission with its evidence and,
when one is missing, the exact fix. Credentials go to the OS keyring.

Try it offline first: tether --sandbox setup auth0`,
		Example: `  # try the whole wizard against the built-in sandbox
  tether --sandbox setup auth0

  # connect a real Auth0 tenant, reading the client secret from stdin
  tether setup auth0 --set domain=acme.us.auth0.com --set client_id=… --secret-stdin < secret.txt

  # re-verify every stored connection, as JSON
  tether verify --json`,
		Args:              usageArgs(cobra.NoArgs),
		SilenceUsage:      true,
		SilenceErrors:     true,
		CompletionOptions: cobra.CompletionOptions{HiddenDefaultCmd: false},
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			a.ios.NoColor = a.ios.NoColor || a.noColorFlag(cmd)
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.ios.IsStdinTTY() && a.ios.IsStdoutTTY() {
				if a.accessibleMode() {
					return runAccessible(cmd.Context(), a, "", "")
				}
				return runTUI(cmd.Context(), a, ui.Options{})
			}
			return cmd.Help()
		},
	}
	pf := root.PersistentFlags()
	pf.BoolVar(&a.sandbox, "sandbox", false, "use the built-in emulated tenants and a separate credential namespace")
	pf.StringSliceVar(&a.sandboxDeny, "sandbox-deny", nil, "make the sandbox withhold grants, as `PROVIDER:PERMISSION[,...]`")
	pf.StringSliceVar(&a.sandboxFault, "sandbox-fault", nil, "make a sandbox emulator misbehave on every answer, as `PROVIDER:KIND[,...]`: latency=DURATION, 429, 500, 503, reset, truncate, nonjson, oversize, trickle, tls")
	pf.StringVar(&a.storeFlag, "store", "", "where new credentials go: `keyring` (default) or file (age-encrypted; also TETHER_STORE)")
	pf.Bool("no-color", false, "no colours (also NO_COLOR)")
	pf.BoolVar(&a.accessible, "accessible", false, "ask line by line with no redraws, for screen readers (also TERM=dumb)")
	pf.BoolVar(&a.noBrowser, "no-browser", false, "never open a browser: print the link, and take the redirect URL pasted back")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &flagError{err} })

	root.AddGroup(&cobra.Group{ID: "connect", Title: "Connections"}, &cobra.Group{ID: "other", Title: "More"})
	for _, c := range []*cobra.Command{newSetupCmd(a), newVerifyCmd(a), newStatusCmd(a), newForgetCmd(a), newTokenCmd(a), newExportCmd(a), newExecCmd(a)} {
		c.GroupID = "connect"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{newCatalogCmd(a), newSandboxCmd(a), newResetCmd(a)} {
		c.GroupID = "other"
		root.AddCommand(c)
	}
	return root
}

func (a *app) noColorFlag(cmd *cobra.Command) bool {
	v, _ := cmd.Flags().GetBool("no-color")
	return v
}

// usageArgs wraps a cobra argument check so its error is a usage error.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return &flagError{fmt.Errorf("%s: %w", cmd.CommandPath(), err)}
		}
		return nil
	}
}
