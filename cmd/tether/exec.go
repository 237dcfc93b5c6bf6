package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tetherdev/tether/providers"
)

type execOptions struct {
	ref     string
	argv    []string
	noToken bool
}

func newExecCmd(a *app) *cobra.Command {
	opts := &execOptions{}
	cmd := &cobra.Command{
		Use:   "exec PROVIDER[/NAME] -- COMMAND [ARG]...",
		Short: "Run a command with a connection's credential in its environment",
		Long: `Run COMMAND with the connection's credential in its environment, under the names
tether export --format env writes (for Auth0: TETHER_AUTH0_DOMAIN,
TETHER_AUTH0_CLIENT_ID, TETHER_AUTH0_CLIENT_SECRET or TETHER_AUTH0_PRIVATE_KEY),
plus a fresh TETHER_ACCESS_TOKEN for providers that have tokens (not with
--no-token). Nothing secret is put on a command line, where the process list
would show it: let COMMAND read the variables itself.

stdin, stdout and stderr are COMMAND's; signals sent to tether are passed on
to it; tether exits with COMMAND's exit status (127 when it is not found, 126
when it cannot be run). TETHER_PASSPHRASE, the file store's key, is not passed
on. Every run is recorded in the audit log (audit.log in the config directory).`,
		Example: `  tether exec auth0 -- ./collector --config collector.yaml
  tether exec auth0/prod --no-token -- python3 import_auth0.py`,
		Args:              execArgs,
		ValidArgsFunction: completeConnection(a),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ref, opts.argv = connectionRef(args[0]), args[1:]
			return execRun(cmd.Context(), a, opts)
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &flagError{err: fmt.Errorf("%w (the command goes after --: tether exec auth0 -- COMMAND [ARG]...)", err)}
	})
	cmd.Flags().BoolVar(&opts.noToken, "no-token", false, "do not mint an access token: pass only the stored credential")
	return cmd
}

// execArgs wants the connection, then --, then the command.
func execArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return &flagError{err: fmt.Errorf("exec needs %s, then --, then the command to run", connectionArg())}
	}
	if cmd.ArgsLenAtDash() != 1 || len(args) < 2 {
		return &flagError{err: errors.New("exec: want a connection, then --, then the command: tether exec auth0 -- COMMAND [ARG]..."), help: "tether exec --help"}
	}
	return nil
}

func execRun(ctx context.Context, a *app, opts *execOptions) error {
	e := &auditEntry{action: "exec", detail: "command " + filepath.Base(opts.argv[0])}
	return a.handover(e, opts.ref, func(m *providers.Manager, conn providers.Connection) error {
		return runWith(ctx, a, opts, m, conn, e)
	})
}

func runWith(ctx context.Context, a *app, opts *execOptions, m *providers.Manager, conn providers.Connection, e *auditEntry) error {
	path, err := exec.LookPath(opts.argv[0])
	if err != nil {
		code := exitNotFound
		if !errors.Is(err, exec.ErrNotFound) && !errors.Is(err, fs.ErrNotExist) {
			code = exitCannotRun
		}
		e.outcome = fmt.Sprintf("exit %d", code)
		return &exitStatus{code: code, msg: fmt.Sprintf("exec: %s: %v", opts.argv[0], cause(err))}
	}
	h, err := m.Export(ctx, conn)
	if err != nil {
		return err
	}
	vars := h.Environ()
	if !opts.noToken && m.HasTokens(conn) {
		t, err := m.Token(ctx, conn)
		if err != nil {
			return ctxErr(ctx, err)
		}
		vars = append(vars, providers.EnvAccessToken+"="+t.Token.AccessToken)
	}
	code, err := runChild(a, path, opts.argv, childEnv(a.ios.Environ, vars))
	if err != nil {
		e.outcome = fmt.Sprintf("exit %d", code)
		return &exitStatus{code: code, msg: fmt.Sprintf("exec: %s: %v", opts.argv[0], cause(err))}
	}
	e.outcome = fmt.Sprintf("exit %d", code)
	if code != 0 {
		return &silentError{&exitStatus{code: code}}
	}
	return nil
}

// cause drops the path an os/exec error repeats.
func cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var ee *exec.Error
	if errors.As(err, &ee) {
		return ee.Err
	}
	return err
}

// childEnv is the environment COMMAND gets: tether's own, less the file
// store's passphrase and any variable tether sets, then tether's.
func childEnv(environ, vars []string) []string {
	ours := map[string]bool{"TETHER_PASSPHRASE": true}
	for _, v := range vars {
		name, _, _ := strings.Cut(v, "=")
		ours[name] = true
	}
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !ours[name] {
			out = append(out, kv)
		}
	}
	return append(out, vars...)
}

// runChild runs path with argv and env on tether's streams, passing on the
// signals tether receives, and returns its exit status: the shell's 128+N
// for a command a signal ended. err is set only when it could not start.
func runChild(a *app, path string, argv, env []string) (int, error) {
	c := &exec.Cmd{Path: path, Args: argv, Env: env, Stdin: a.ios.In, Stdout: a.ios.Out, Stderr: a.ios.ErrOut}
	sigs := make(chan os.Signal, 8)
	if len(forwarded) > 0 { // none would mean all
		signal.Notify(sigs, forwarded...)
		defer signal.Stop(sigs)
	}
	if err := c.Start(); err != nil {
		code := exitCannotRun
		if errors.Is(err, fs.ErrNotExist) {
			code = exitNotFound
		}
		return code, err
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				if !fromTerminal(s) {
					_ = c.Process.Signal(s)
				}
			case <-done:
				return
			}
		}
	}()
	err := c.Wait()
	close(done)
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &ee):
		return exitStatusOf(ee.ProcessState), nil
	}
	return 1, err
}
