package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/tetherdev/tether/ui"
	"github.com/tetherdev/tether/ui/plain"
)

// Commands are listed in the order an admin meets them (setup, verify,
// status, forget, ...), not alphabetically.
func init() { cobra.EnableCommandSorting = false }

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
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd(a)
	root.SetArgs(args)
	root.SetIn(ios.In)
	root.SetOut(ios.Out)
	root.SetErr(ios.ErrOut)
	err := root.ExecuteContext(ctx)
	if err != nil {
		printError(ios.ErrOut, err)
	}
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
  tether setup auth0 --set domain=acme.us.auth0.com --set client_id=2iZo3Uczt5LFHacKdM0zzgUO2eG2uDjT --secret-stdin < secret.txt

  # re-verify every stored connection, as JSON
  tether verify --json`,
		Version:       versionString(),
		Args:          commandArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		// SuggestionsFor reads it as is: cobra's default of 2 is applied
		// only on its own error path.
		SuggestionsMinimumDistance: 2,
		CompletionOptions:          cobra.CompletionOptions{HiddenDefaultCmd: false},
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
	pf.StringSliceVar(&a.sandboxDeny, "sandbox-deny", nil, "make the sandbox withhold a grant, `PROVIDER:PERMISSION` (repeatable, or comma-separated; PROVIDER:license:NAME makes the tenant lack a licence, entra: p1, p2, intune)")
	pf.StringVar(&a.storeFlag, "store", "", "where new credentials go: keyring (default) or file (age-encrypted; also TETHER_STORE)")
	pf.StringSliceVar(&a.sandboxFault, "sandbox-fault", nil, "make a sandbox emulator misbehave on every answer, `PROVIDER:KIND` (repeatable, or comma-separated): latency=DURATION, 429, 500, 503, reset, truncate, nonjson, oversize, trickle, tls")
	pf.Bool("no-color", false, "no colours (also NO_COLOR)")
	pf.BoolVar(&a.accessible, "accessible", false, "ask line by line with no redraws, for screen readers (also TERM=dumb)")
	pf.BoolVar(&a.noBrowser, "no-browser", false, "never open a browser: print the link, and take the redirect URL pasted back")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &flagError{err: err, help: cmd.CommandPath() + " --help"}
	})
	root.SetHelpFunc(func(cmd *cobra.Command, _ []string) { writeHelp(a, cmd) })
	root.SetVersionTemplate("tether version {{.Version}}\n")

	root.AddGroup(&cobra.Group{ID: "connect", Title: "Connections"}, &cobra.Group{ID: "other", Title: "More"})
	for _, c := range []*cobra.Command{newSetupCmd(a), newVerifyCmd(a), newStatusCmd(a), newForgetCmd(a), newTokenCmd(a), newExportCmd(a), newExecCmd(a)} {
		c.GroupID = "connect"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{newCatalogCmd(a), newSandboxCmd(a), newResetCmd(a), newServeCmd(a, nil), newManCmd(a)} {
		c.GroupID = "other"
		root.AddCommand(c)
	}
	root.SetHelpCommandGroupID("other")
	root.SetCompletionCommandGroupID("other")
	registerCompletions(a, root)
	return root
}

func (a *app) noColorFlag(cmd *cobra.Command) bool {
	v, _ := cmd.Flags().GetBool("no-color")
	return v
}

// commandArgs refuses an argument to tether itself: it can only be a
// mistyped command.
func commandArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q", args[0])
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf(": did you mean %s?", strings.Join(s, " or "))
	} else {
		msg += "; the commands are " + strings.Join(commandNames(cmd), ", ")
	}
	return &flagError{err: errors.New(msg)}
}

// commandNames lists the commands an admin runs.
func commandNames(root *cobra.Command) []string {
	var names []string
	for _, c := range root.Commands() {
		if c.IsAvailableCommand() && c.Name() != "help" && c.Name() != "completion" {
			names = append(names, c.Name())
		}
	}
	return names
}

// noArgs refuses arguments to a command that takes none.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	return &flagError{err: fmt.Errorf("%s takes no argument, got %q", subcommand(cmd), strings.Join(args, " ")), help: cmd.CommandPath() + " --help"}
}

// maxOneArg accepts no argument or one, of which what says what it is.
func maxOneArg(what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) <= 1 {
			return nil
		}
		return &flagError{err: fmt.Errorf("%s takes at most one argument, %s; got %d (%s)", subcommand(cmd), what, len(args), strings.Join(args, " "))}
	}
}

// oneArg accepts exactly one argument; without it, or with more, the
// error says what the argument is (what), by example.
func oneArg(what func() string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) == 0:
			return &flagError{err: fmt.Errorf("%s needs %s", subcommand(cmd), what())}
		case len(args) > 1:
			return &flagError{err: fmt.Errorf("%s takes one argument, got %d (%s): it needs %s",
				subcommand(cmd), len(args), strings.Join(args, " "), what())}
		}
		return nil
	}
}

// subcommand names cmd as errors do: after the "tether: " that starts
// every error line, "setup" rather than "tether setup".
func subcommand(cmd *cobra.Command) string {
	if !cmd.HasParent() {
		return cmd.Name()
	}
	return strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
}
