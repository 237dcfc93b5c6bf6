// Package plain is tether's scriptable front end: the streams and what is
// known about them (terminal or not, colour or not), the line-by-line
// printer of checks and summaries, the stable JSON documents, and the
// prompts used when a terminal allows them. Results go to stdout; progress,
// prompts and errors go to stderr.
//
// It renders plain values and must not make network requests.
package plain

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"sync"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/term"
)

// IOStreams are the process's streams. It alone knows whether they are
// terminals.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	Environ   []string
	NoColor   bool // --no-color
	linesMu   sync.Mutex
	lines     *bufio.Reader
	stdinTTY  bool
	stdoutTTY bool
	stderrTTY bool
}

// System returns the process's own streams.
func System() *IOStreams {
	return &IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, Environ: os.Environ(),
		stdinTTY:  term.IsTerminal(os.Stdin.Fd()),
		stdoutTTY: term.IsTerminal(os.Stdout.Fd()),
		stderrTTY: term.IsTerminal(os.Stderr.Fd()),
	}
}

// Test returns streams on buffers, none of them a terminal.
func Test() (ios *IOStreams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut, Environ: []string{"TERM=dumb"}}, in, out, errOut
}

// SetTTY marks the streams as terminals or not (tests).
func (s *IOStreams) SetTTY(stdin, stdout, stderr bool) {
	s.stdinTTY, s.stdoutTTY, s.stderrTTY = stdin, stdout, stderr
}

// Lines returns the one buffered reader of stdin. Every line-reading
// prompt goes through it, so that one prompt's read-ahead is never lost
// to the next.
func (s *IOStreams) Lines() *bufio.Reader {
	s.linesMu.Lock()
	defer s.linesMu.Unlock()
	if s.lines == nil {
		s.lines = bufio.NewReader(s.In)
	}
	return s.lines
}

// IsStdinTTY reports whether stdin is a terminal.
func (s *IOStreams) IsStdinTTY() bool { return s.stdinTTY }

// IsStdoutTTY reports whether stdout is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether stderr is a terminal.
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// CanPrompt reports whether tether may ask questions: stdin and stderr
// are terminals (prompts go to stderr, so stdout may be piped).
func (s *IOStreams) CanPrompt() bool { return s.stdinTTY && s.stderrTTY }

// Getenv reads the streams' environment (the SSH client's, in a session).
func (s *IOStreams) Getenv(key string) string {
	for i := len(s.Environ) - 1; i >= 0; i-- {
		if k, v, ok := cut(s.Environ[i]); ok && k == key {
			return v
		}
	}
	return ""
}

func cut(kv string) (string, string, bool) {
	for i := range len(kv) {
		if kv[i] == '=' {
			return kv[:i], kv[i+1:], true
		}
	}
	return "", "", false
}

// profile returns the colour profile for a stream: none when it is not a
// terminal, ASCII (bold, no colour) for NO_COLOR or --no-color.
func (s *IOStreams) profile(tty bool) colorprofile.Profile {
	if !tty {
		return colorprofile.NoTTY
	}
	p := colorprofile.Env(s.Environ)
	if s.NoColor && p > colorprofile.Ascii {
		p = colorprofile.Ascii
	}
	return p
}

// Stdout returns stdout, downsampling styled text to what it can show.
func (s *IOStreams) Stdout() io.Writer {
	return &colorprofile.Writer{Forward: s.Out, Profile: s.profile(s.stdoutTTY)}
}

// Stderr returns stderr, downsampling styled text to what it can show.
func (s *IOStreams) Stderr() io.Writer {
	return &colorprofile.Writer{Forward: s.ErrOut, Profile: s.profile(s.stderrTTY)}
}
