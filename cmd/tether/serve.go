package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/providers/audit"
	"github.com/tetherdev/tether/ui"
	"github.com/tetherdev/tether/ui/plain"
	"github.com/tetherdev/tether/ui/sshd"
)

type serveOptions struct {
	listen            string
	hostKey           string
	authorizedKeys    string
	auditLog          string
	maxSessions       int
	sessionsPerMinute int
	idleTimeout       time.Duration
	maxTimeout        time.Duration
	// ready, when set, is told the address listened on (tests).
	ready func(addr, fingerprint string)
}

// shutdownGrace is how long sessions get to end after SIGTERM before
// their connections are closed.
const shutdownGrace = 10 * time.Second

func newServeCmd(a *app, runF func(context.Context, *serveOptions) error) *cobra.Command {
	opts := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Host the wizard over SSH for a team's admins",
		Long: `Serve the wizard over SSH: an admin runs ssh -t -p 2222 HOST and gets the same
wizard as on their own terminal; ssh HOST status --json and ssh HOST verify --json
run the plain commands. Only the public keys in the authorized keys file may
connect, each as role="admin" (set up, forget) or role="viewer" (look, verify; a
key with no role is a viewer). The host key is made on first start; check its
fingerprint, printed at start, on first connect. Every action is written to the
audit log. No browser is ever opened on the server.`,
		Example: `  # one admin and one viewer
  cat > ~/.config/tether/serve/authorized_keys <<'KEYS'
  role="admin" ssh-ed25519 AAAAC3Nza... alice@laptop
  ssh-ed25519 AAAAC3Nza... bob@laptop
  KEYS
  tether serve --listen 0.0.0.0:2222
  ssh -t -p 2222 tether-host`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return serveRun(cmd.Context(), a, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.listen, "listen", "127.0.0.1:2222", "address to listen on, `HOST:PORT`")
	f.StringVar(&opts.hostKey, "host-key", "", "the server's private host key, made (0600) if missing (default: serve/ssh_host_ed25519 in the config dir)")
	f.StringVar(&opts.authorizedKeys, "authorized-keys", "", "the keys that may connect, with role=\"admin\" or role=\"viewer\" (default: serve/authorized_keys in the config dir)")
	f.StringVar(&opts.auditLog, "audit-log", "", "JSON lines of who did what (default: serve/audit.log in the config dir)")
	f.IntVar(&opts.maxSessions, "max-sessions", 20, "sessions open at once (0: no cap)")
	f.IntVar(&opts.sessionsPerMinute, "sessions-per-minute", 10, "new sessions one key may open a minute (0: no limit)")
	f.DurationVar(&opts.idleTimeout, "idle-timeout", 15*time.Minute, "end a connection idle this long (0: never)")
	f.DurationVar(&opts.maxTimeout, "max-timeout", 2*time.Hour, "end a connection open this long (0: never)")
	return cmd
}

func (o *serveOptions) validate() error {
	if _, _, err := net.SplitHostPort(o.listen); err != nil {
		return providers.Usagef("--listen %q: want HOST:PORT, like 127.0.0.1:2222 or 0.0.0.0:2222", o.listen)
	}
	if o.maxSessions < 0 {
		return providers.Usagef("--max-sessions %d: want 0 (no cap) or more, like 20", o.maxSessions)
	}
	if o.sessionsPerMinute < 0 {
		return providers.Usagef("--sessions-per-minute %d: want 0 (no limit) or more, like 10", o.sessionsPerMinute)
	}
	if o.idleTimeout < 0 {
		return providers.Usagef("--idle-timeout %s: want 0 (never) or a positive duration, like 15m", o.idleTimeout)
	}
	if o.maxTimeout < 0 {
		return providers.Usagef("--max-timeout %s: want 0 (never) or a positive duration, like 2h", o.maxTimeout)
	}
	return nil
}

func serveRun(ctx context.Context, a *app, opts *serveOptions) error {
	if err := opts.validate(); err != nil {
		return err
	}
	dir, err := a.configDir()
	if err != nil {
		return err
	}
	orDefault := func(v, name string) string {
		if v != "" {
			return v
		}
		return filepath.Join(dir, "serve", name)
	}
	auditLog := &audit.Log{Path: orDefault(opts.auditLog, "audit.log")}
	srv, err := sshd.New(sshd.Config{
		HostKeyPath:        orDefault(opts.hostKey, "ssh_host_ed25519"),
		AuthorizedKeysPath: orDefault(opts.authorizedKeys, "authorized_keys"),
		MaxSessions:        opts.maxSessions,
		SessionsPerMinute:  opts.sessionsPerMinute,
		IdleTimeout:        opts.idleTimeout,
		MaxTimeout:         opts.maxTimeout,
		Audit:              auditLog,
		Log:                a.ios.Stderr(),
		Deps:               a.sessionDeps,
		Exec:               a.sessionExec,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", opts.listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", opts.listen, err)
	}
	// The first record says where the server listens, and proves the
	// audit log writable before any session depends on it.
	if err := auditLog.Append(audit.Record{Action: "serve", Outcome: audit.OK,
		Detail: fmt.Sprintf("listening on %s, host key %s", ln.Addr(), srv.Fingerprint())}); err != nil {
		_ = ln.Close()
		return err
	}
	fmt.Fprintf(a.ios.Stderr(), "tether serve: listening on %s; host key %s\n", ln.Addr(), srv.Fingerprint())
	if opts.ready != nil {
		opts.ready(ln.Addr().String(), srv.Fingerprint())
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("serving SSH: %w", err)
	case <-ctx.Done():
	}
	fmt.Fprintln(a.ios.Stderr(), "tether serve: stopping; telling the sessions")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		fmt.Fprintf(a.ios.Stderr(), "tether serve: sessions did not end within %s; their connections were closed\n", shutdownGrace)
	}
	if err := <-done; err != nil && !errors.Is(err, sshd.ErrServerClosed) {
		return fmt.Errorf("serving SSH: %w", err)
	}
	return nil
}

// sessionApp is the factory for one SSH session: the server's global
// choices (sandbox, store), never a browser, and streams of its own, so
// that no notice, prompt or store is shared between two sessions.
func (a *app) sessionApp(ios *plain.IOStreams) *app {
	return &app{ios: ios, sandbox: a.sandbox, sandboxDeny: a.sandboxDeny, sandboxFault: a.sandboxFault,
		storeFlag: a.storeFlag, noBrowser: true, timeout: a.timeout,
		sandboxOptions: a.sandboxOptions, registry: a.registry}
}

// globalArgs are the server's global flags, given again to a session's
// command (the command line is parsed afresh).
func (a *app) globalArgs() []string {
	args := []string{"--no-browser"}
	if a.sandbox {
		args = append(args, "--sandbox")
	}
	for _, d := range a.sandboxDeny {
		args = append(args, "--sandbox-deny="+d)
	}
	for _, f := range a.sandboxFault {
		args = append(args, "--sandbox-fault="+f)
	}
	if a.storeFlag != "" {
		args = append(args, "--store="+a.storeFlag)
	}
	return args
}

// sessionDeps builds a wizard session's dependencies; notices (the
// keyring's wait among them) go to that session alone.
func (a *app) sessionDeps(ctx context.Context, _ sshd.Identity, hooks sshd.Hooks) (ui.Deps, func(), error) {
	sa := a.sessionApp(&plain.IOStreams{In: eofReader{}, Out: io.Discard, ErrOut: io.Discard})
	sa.notify = func(msg string) { hooks.Notify(scrub(msg)) }
	sa.adminDelay = sandboxAdminDelay
	deps, err := tuiDeps(ctx, sa)
	if err != nil {
		sa.close()
		return ui.Deps{}, nil, err
	}
	// The Manager is this session's own: its setups and forgets are
	// audited under this session's key.
	deps.Scrub = scrub
	deps.Manager.Changed = func(action string, k flows.Key, err error) {
		if errors.Is(err, context.Canceled) {
			err = errors.New("cancelled")
		}
		hooks.Audit(action, k.String(), "", err)
	}
	deps.Manager.Verified = func(conn providers.Connection, res providers.Result) {
		hooks.Audit(sshd.ActionVerify, conn.Key().String(), "verdict "+string(res.Verdict()), res.Err)
	}
	return deps, sa.close, nil
}

// sessionExec runs one plain command for a session without a terminal.
func (a *app) sessionExec(ctx context.Context, _ sshd.Identity, args, environ []string, in io.Reader, out, errOut io.Writer) int {
	ios := &plain.IOStreams{In: in, Out: out, ErrOut: scrubWriter{errOut}, Environ: environ}
	sa := a.sessionApp(ios)
	return runApp(ctx, sa, append(a.globalArgs(), args...))
}

// eofReader is an empty stdin.
type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// scrub takes the server's own paths out of a message for an SSH user,
// who is not the server's operator: its tether directory, its temporary
// directory and its home, most specific first. The operator reads the
// whole message in the server's log.
func scrub(msg string) string {
	var pairs []string
	if dir, err := flows.DefaultConfigDir(); err == nil {
		pairs = append(pairs, dir, "<the server's tether directory>")
	}
	if id := os.Getenv("TETHER_AGE_IDENTITY"); id != "" {
		pairs = append(pairs, id, "<the server's age identity>")
	}
	if tmp := os.TempDir(); tmp != "" && tmp != "/" {
		pairs = append(pairs, tmp, "<the server's temporary directory>")
	}
	if home, err := os.UserHomeDir(); err == nil && home != "" && home != "/" {
		pairs = append(pairs, home, "<the server's home>")
	}
	return strings.NewReplacer(pairs...).Replace(msg)
}

// scrubWriter scrubs what a session's command writes to stderr.
type scrubWriter struct{ w io.Writer }

func (s scrubWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(s.w, scrub(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
