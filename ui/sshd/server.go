package sshd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"charm.land/wish/v2"
	"charm.land/wish/v2/bubbletea"
	"charm.land/wish/v2/recover"
	gossh "golang.org/x/crypto/ssh"

	"github.com/tetherdev/tether/providers/audit"
	"github.com/tetherdev/tether/ui"
)

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = ssh.ErrServerClosed

// Identity is who a session is: the key that authenticated it, and its
// role read from the authorized_keys file.
type Identity struct {
	User        string
	Fingerprint string
	Role        Role
	Remote      string
}

// Hooks are what a wizard session's dependencies call back into.
type Hooks struct {
	// Notify shows a notice in this session only.
	Notify func(string)
	// Audit records an action of this session's key on connection
	// (provider/name), what else identifies it (a verdict), and how it
	// ended: nil for done. The error's first line is kept as the reason,
	// so it must never hold a secret (tether's errors never do).
	Audit func(action, connection, detail string, err error)
}

// DepsFunc builds one wizard session's dependencies. ctx ends with the
// session. The returned function releases what was built (nil: nothing
// to release).
type DepsFunc func(ctx context.Context, id Identity, hooks Hooks) (ui.Deps, func(), error)

// ExecFunc runs one plain command (args as the client gave them, after
// the role check) for a session without a terminal and returns its exit
// code.
type ExecFunc func(ctx context.Context, id Identity, args []string, environ []string, stdin io.Reader, stdout, stderr io.Writer) int

// Config configures a Server.
type Config struct {
	Addr               string
	HostKeyPath        string
	AuthorizedKeysPath string
	// MaxSessions caps the sessions open at once (0: no cap).
	MaxSessions int
	// IdleTimeout and MaxTimeout end a connection idle that long, or
	// open that long (0: never).
	IdleTimeout, MaxTimeout time.Duration
	// SessionsPerMinute is how many new sessions one key may open a
	// minute, in a burst or spread out (0: no limit).
	SessionsPerMinute int
	// Now is the limit's clock (nil: time.Now).
	Now func() time.Time
	// KeysCheck is how often the authorized keys are read again for the
	// sessions already open: one whose key was removed, or whose role
	// changed, is ended (0: every 2 seconds). New connections always
	// read the file.
	KeysCheck time.Duration

	Deps DepsFunc
	Exec ExecFunc
	// Audit receives one record per action (nil: none kept).
	Audit *audit.Log
	// Log receives the server's own warnings and events (nil: discarded).
	Log io.Writer
}

// Server is a running tether serve.
type Server struct {
	cfg         Config
	srv         *ssh.Server
	keys        *keyFile
	limit       *keyLimiter
	fingerprint string
	logMu       sync.Mutex

	mu        sync.Mutex
	closing   bool
	sessions  map[*session]struct{}
	listeners []net.Listener

	// releasing counts the sessions whose resources (a sandbox, stores)
	// are still being released; Shutdown waits for them, so that nothing
	// is left half-written when the server exits.
	releasing sync.WaitGroup
}

// session is one SSH session's own state.
type session struct {
	id     Identity
	key    ssh.PublicKey // the key that authenticated
	ctx    context.Context
	cancel context.CancelFunc

	mu    sync.Mutex
	prog  *tea.Program
	tui   bool   // the wizard ran (or failed to start): no command follows
	ended string // why the server ended the session, told to its user
}

type ctxKey struct{}

// New checks cfg, loads (or creates, 0600) the host key and returns a
// server that is not yet listening.
func New(cfg Config) (*Server, error) {
	if cfg.Deps == nil || cfg.Exec == nil {
		return nil, errors.New("sshd: Config.Deps and Config.Exec are required")
	}
	if cfg.HostKeyPath == "" || cfg.AuthorizedKeysPath == "" {
		return nil, errors.New("sshd: a host key path and an authorized_keys path are required")
	}
	if cfg.MaxSessions < 0 {
		return nil, fmt.Errorf("max sessions %d: want 0 (no cap) or more", cfg.MaxSessions)
	}
	if cfg.SessionsPerMinute < 0 {
		return nil, fmt.Errorf("sessions a minute %d: want 0 (no limit) or more", cfg.SessionsPerMinute)
	}
	if _, err := os.Stat(cfg.AuthorizedKeysPath); err != nil {
		return nil, fmt.Errorf("the authorized keys file: %w (create it with one key a line, like role=\"admin\" ssh-ed25519 AAAA... you@laptop)", err)
	}
	if err := os.MkdirAll(filepath.Dir(cfg.HostKeyPath), 0o700); err != nil {
		return nil, fmt.Errorf("creating the host key's directory: %w", err)
	}
	s := &Server{cfg: cfg, sessions: map[*session]struct{}{}, limit: newKeyLimiter(cfg.SessionsPerMinute, cfg.Now)}
	s.keys = &keyFile{path: cfg.AuthorizedKeysPath, warn: func(m string) { s.logf("%s", m) }}
	if _, err := s.keys.load(); err != nil {
		return nil, err
	}
	srv, err := wish.NewServer(
		wish.WithAddress(cfg.Addr),
		wish.WithHostKeyPath(cfg.HostKeyPath),
		wish.WithPublicKeyAuth(s.authorize),
		wish.WithIdleTimeout(cfg.IdleTimeout),
		wish.WithMaxTimeout(cfg.MaxTimeout),
		ssh.EmulatePty(),
		// The last listed runs first: recover around everything, the
		// access check before any model is built, then the wizard, or a
		// command for a session without a terminal.
		wish.WithMiddleware(recover.MiddlewareWithLogger(logger{s},
			func(ssh.Handler) ssh.Handler { return s.command },
			bubbletea.MiddlewareWithProgramHandler(s.program),
			s.access,
		)),
	)
	if err != nil {
		return nil, fmt.Errorf("starting the SSH server: %w", err)
	}
	s.srv = srv
	fp, err := hostKeyFingerprint(cfg.HostKeyPath)
	if err != nil {
		return nil, err
	}
	s.fingerprint = fp
	return s, nil
}

// hostKeyFingerprint reads the host key back, validating it, and
// returns its SHA256 fingerprint.
func hostKeyFingerprint(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("reading the host key: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("the host key %s is readable by others (mode %04o): chmod 600 it", path, fi.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading the host key: %w", err)
	}
	signer, err := gossh.ParsePrivateKey(data)
	if err != nil {
		return "", fmt.Errorf("the host key %s is not an OpenSSH private key: %w", path, err)
	}
	return gossh.FingerprintSHA256(signer.PublicKey()), nil
}

// Fingerprint is the host key's SHA256 fingerprint, for admins to check
// on first connect.
func (s *Server) Fingerprint() string { return s.fingerprint }

// Serve accepts connections on ln until Shutdown (then it returns
// ErrServerClosed), even when Shutdown came first.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		_ = ln.Close()
		return ErrServerClosed
	}
	s.listeners = append(s.listeners, ln)
	s.mu.Unlock()
	watch, stop := context.WithCancel(context.Background())
	defer stop()
	go s.watchKeys(watch)
	err := s.srv.Serve(ln)
	if s.isClosing() {
		return ErrServerClosed
	}
	return err
}

// ListenAndServe listens on Config.Addr and serves.
func (s *Server) ListenAndServe() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", s.cfg.Addr, err)
	}
	return s.Serve(ln)
}

// Shutdown stops accepting, tells every session the server is stopping,
// ends their flows and waits for them until ctx ends (then closes every
// connection).
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	for st := range s.sessions {
		st.cancel()
	}
	// The SSH server closes the listeners it tracks; one handed to Serve
	// an instant ago may not be tracked yet.
	for _, ln := range s.listeners {
		_ = ln.Close()
	}
	s.mu.Unlock()
	err := s.srv.Shutdown(ctx)
	if errors.Is(err, net.ErrClosed) { // closed above
		err = nil
	}
	if err != nil {
		_ = s.srv.Close()
	}
	released := make(chan struct{})
	go func() { s.releasing.Wait(); close(released) }()
	select {
	case <-released:
	case <-ctx.Done():
		if err == nil {
			err = ctx.Err()
		}
	}
	return err
}

func (s *Server) logf(format string, args ...any) {
	if s.cfg.Log == nil {
		return
	}
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintf(s.cfg.Log, "tether serve: "+format+"\n", args...)
}

// authorize accepts a key the authorized_keys file lists. It only
// decides whether authentication may proceed: the role is read again in
// access from the key that actually authenticated.
func (s *Server) authorize(ctx ssh.Context, key ssh.PublicKey) bool {
	ak, err := s.keys.load()
	if err != nil {
		s.logf("%v", err)
		return false
	}
	if _, err := ak.Lookup(key); err != nil {
		s.logf("refused key %s for %q from %s: not in %s", gossh.FingerprintSHA256(key), ctx.User(), ctx.RemoteAddr(), s.cfg.AuthorizedKeysPath)
		return false
	}
	return true
}

// logger hands the recover middleware's reports to the server log,
// never to the client.
type logger struct{ s *Server }

func (l logger) Printf(format string, v ...any) { l.s.logf(format, v...) }
