package main

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	gossh "golang.org/x/crypto/ssh"
)

// benchSessions is how many sessions BenchmarkServeSessions holds open.
const benchSessions = 200

// BenchmarkServeSessions measures the built binary's tether serve with
// 200 wizard sessions open at once (each a real SSH connection with a
// PTY, from x/crypto/ssh clients in this process): first idle, which
// gives the server's resident memory per session (MB/session, from
// /proc/PID/status VmRSS before and after they opened), then active:
// each op, every session presses a key, all at the same moment (burst)
// or one after another (turns), and the time from a keystroke to the
// first bytes of the frame it redrew is one latency sample (p50-ms,
// p99-ms over all of them). Linux only.
//
//	go test -run '^$' -bench BenchmarkServeSessions -benchtime 20x ./cmd/tether
func BenchmarkServeSessions(b *testing.B) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		b.Skip("resident memory is read from /proc: Linux only")
	}
	dir := b.TempDir()
	cfg := filepath.Join(dir, "config")
	serveDir := filepath.Join(cfg, "sandbox", "serve")
	if err := os.MkdirAll(serveDir, 0o700); err != nil {
		b.Fatal(err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	key, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(serveDir, "authorized_keys"), gossh.MarshalAuthorizedKey(key.PublicKey()), 0o600); err != nil {
		b.Fatal(err)
	}
	srv := exec.Command(binary, "--sandbox", "serve", "--listen", "127.0.0.1:0", "--max-sessions", "0", "--sessions-per-minute", "0")
	srv.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TETHER_CONFIG_DIR=" + cfg}
	stderr, err := srv.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = srv.Process.Kill(); _ = srv.Wait() }()
	lines := bufio.NewScanner(stderr)
	if !lines.Scan() {
		b.Fatal("tether serve printed nothing")
	}
	m := regexp.MustCompile(`listening on (\S+);`).FindStringSubmatch(lines.Text())
	if m == nil {
		b.Fatalf("first line %q does not name the address", lines.Text())
	}
	go func() { _, _ = io.Copy(io.Discard, stderr) }()
	hk, err := os.ReadFile(filepath.Join(serveDir, "ssh_host_ed25519"))
	if err != nil {
		b.Fatal(err)
	}
	host, err := gossh.ParsePrivateKey(hk)
	if err != nil {
		b.Fatal(err)
	}
	config := &gossh.ClientConfig{User: "bench", Auth: []gossh.AuthMethod{gossh.PublicKeys(key)},
		HostKeyCallback: gossh.FixedHostKey(host.PublicKey())}

	base := residentMB(b, srv.Process.Pid)
	sessions := make([]*benchSession, benchSessions)
	for i := range sessions {
		s, err := openBenchSession(m[1], config)
		if err != nil {
			b.Fatalf("session %d: %v", i, err)
		}
		defer s.close()
		sessions[i] = s
	}
	// Idle: every Home drawn, nothing pressed.
	for i, s := range sessions {
		if err := s.waitFor("connect your identity providers"); err != nil {
			b.Fatalf("session %d: %v", i, err)
		}
	}
	perSession := (residentMB(b, srv.Process.Pid) - base) / benchSessions

	// Active: each press moves Home's cursor, so each redraws. In a burst every session presses at the same moment; in
	// turns one does at a time while the others idle.
	for _, mode := range []struct {
		name  string
		burst bool
	}{{"burst", true}, {"turns", false}} {
		b.Run(mode.name, func(b *testing.B) {
			var mu sync.Mutex
			var samples []time.Duration
			press := func(s *benchSession) {
				d, err := s.press()
				if err != nil {
					b.Error(err)
					return
				}
				mu.Lock()
				samples = append(samples, d)
				mu.Unlock()
			}
			for i := 0; i < b.N && !b.Failed(); i++ {
				var wg sync.WaitGroup
				for _, s := range sessions {
					if !mode.burst {
						press(s)
						continue
					}
					wg.Add(1)
					go func() { defer wg.Done(); press(s) }()
				}
				wg.Wait()
			}
			if b.Failed() {
				return
			}
			slices.Sort(samples)
			pct := func(p float64) float64 {
				return float64(samples[int(p*float64(len(samples)-1))]) / float64(time.Millisecond)
			}
			b.ReportMetric(perSession, "MB/session")
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
		})
	}
}

// residentMB is the process's resident set size (VmRSS) in MB.
func residentMB(b *testing.B, pid int) float64 {
	b.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			if err != nil {
				b.Fatalf("VmRSS %q: %v", rest, err)
			}
			return kb / 1024
		}
	}
	b.Fatal("no VmRSS in /proc status")
	return 0
}

// benchSession is one wizard session whose output is watched.
type benchSession struct {
	client *gossh.Client
	sess   *gossh.Session
	in     io.Writer
	chunks chan []byte
	down   bool // the cursor is one row down

	seen bytes.Buffer // what arrived, for waitFor
}

func openBenchSession(addr string, config *gossh.ClientConfig) (*benchSession, error) {
	c, err := gossh.Dial("tcp", addr, config)
	if err != nil {
		return nil, err
	}
	s := &benchSession{client: c, chunks: make(chan []byte, 64)}
	if s.sess, err = c.NewSession(); err != nil {
		c.Close()
		return nil, err
	}
	if s.in, err = s.sess.StdinPipe(); err != nil {
		c.Close()
		return nil, err
	}
	out, err := s.sess.StdoutPipe()
	if err != nil {
		c.Close()
		return nil, err
	}
	if err := s.sess.RequestPty("xterm-256color", 24, 80, gossh.TerminalModes{}); err != nil {
		c.Close()
		return nil, err
	}
	if err := s.sess.Shell(); err != nil {
		c.Close()
		return nil, err
	}
	go func() {
		defer close(s.chunks)
		for {
			buf := make([]byte, 32<<10)
			n, err := out.Read(buf)
			if n > 0 {
				s.chunks <- buf[:n]
			}
			if err != nil {
				return
			}
		}
	}()
	return s, nil
}

// waitFor reads output until it holds want (a failsafe ends a hung run).
func (s *benchSession) waitFor(want string) error {
	failsafe := time.After(2 * time.Minute)
	for !strings.Contains(ansi.Strip(s.seen.String()), want) {
		select {
		case c, ok := <-s.chunks:
			if !ok {
				return fmt.Errorf("the session ended before %q:\n%s", want, s.seen.String())
			}
			s.seen.Write(c)
		case <-failsafe:
			return fmt.Errorf("no %q after two minutes", want)
		}
	}
	s.seen.Reset()
	return nil
}

// press moves Home's cursor, down and up in turn, and returns how long
// the first bytes of the frame it redrew took to arrive.
func (s *benchSession) press() (time.Duration, error) {
	k := []byte("j")
	if s.down {
		k = []byte("k")
	}
	s.down = !s.down
	// Whatever arrived before the key (a spinner, a late line) is not
	// its frame.
	for drained := false; !drained; {
		select {
		case <-s.chunks:
		default:
			drained = true
		}
	}
	start := time.Now()
	if _, err := s.in.Write(k); err != nil {
		return 0, err
	}
	select {
	case _, ok := <-s.chunks:
		if !ok {
			return 0, fmt.Errorf("the session ended")
		}
		return time.Since(start), nil
	case <-time.After(2 * time.Minute):
		return 0, fmt.Errorf("no frame two minutes after a keystroke")
	}
}

func (s *benchSession) close() {
	_ = s.sess.Close()
	_ = s.client.Close()
}
