package plain

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/charmbracelet/x/term"

	"github.com/tetherdev/tether/providers"
)

// Prompter asks for inputs on a terminal, one line each, on stderr.
type Prompter struct {
	in  *bufio.Reader
	out io.Writer
	// readPassword reads a line without echo; nil reads a plain line.
	readPassword func() (string, error)
}

// NewPrompter returns a prompter on the streams; secrets are read without
// echo when stdin is a terminal file.
func NewPrompter(ios *IOStreams) *Prompter {
	p := &Prompter{in: ios.Lines(), out: ios.Stderr()}
	if f, ok := ios.In.(*os.File); ok && ios.IsStdinTTY() {
		p.readPassword = func() (string, error) {
			b, err := term.ReadPassword(f.Fd())
			fmt.Fprintln(p.out)
			return string(b), err
		}
	}
	return p
}

// ErrAborted means that the admin ended the input (ctrl+d).
var ErrAborted = errors.New("input ended before every value was given")

// Ask prompts for one input until its validator accepts the answer. An
// optional input may be left empty.
func (p *Prompter) Ask(in providers.Input) (string, error) {
	for {
		label := bold.Render(in.Label)
		if in.Placeholder != "" && !in.Secret {
			label += dim.Render(" (like " + in.Placeholder + ")")
		}
		if in.Optional {
			label += dim.Render(" [optional]")
		}
		if in.Help != "" {
			fmt.Fprintln(p.out, dim.Render("  "+in.Help))
		}
		fmt.Fprint(p.out, label+": ")
		v, err := p.read(in)
		if err != nil {
			return "", err
		}
		if v == "" && in.Optional {
			return "", nil
		}
		if v == "" {
			fmt.Fprintln(p.out, "  "+in.Label+" is required.")
			continue
		}
		if in.Validate != nil {
			if err := in.Validate(v); err != nil {
				fmt.Fprintln(p.out, "  "+err.Error())
				continue
			}
		}
		return v, nil
	}
}

func (p *Prompter) read(in providers.Input) (string, error) {
	switch {
	case in.Secret && in.Multiline && p.readPassword != nil:
		// A secret block (a PEM key): line by line without echo, until
		// its END line or an empty line.
		fmt.Fprintln(p.out, dim.Render("(paste it; it is not shown)"))
		var lines []string
		for {
			line, err := p.readPassword()
			if err != nil {
				return "", ErrAborted
			}
			line = strings.TrimRight(line, "\r\n")
			if line == "" && len(lines) > 0 {
				break
			}
			if line != "" {
				lines = append(lines, line)
			}
			if strings.HasPrefix(line, "-----END ") {
				break
			}
		}
		return strings.Join(lines, "\n") + "\n", nil
	case in.Multiline:
		fmt.Fprintln(p.out, dim.Render("(paste it, then an empty line)"))
		var lines []string
		for {
			line, err := p.in.ReadString('\n')
			line = strings.TrimRight(line, "\r\n")
			if line == "" && (len(lines) > 0 || err != nil) {
				if err != nil && len(lines) == 0 {
					return "", ErrAborted
				}
				return strings.Join(lines, "\n") + "\n", nil
			}
			if line != "" {
				lines = append(lines, line)
			}
			if err != nil {
				return strings.Join(lines, "\n") + "\n", nil
			}
		}
	case in.Secret && p.readPassword != nil:
		v, err := p.readPassword()
		if err != nil {
			return "", ErrAborted
		}
		return strings.TrimSpace(v), nil
	}
	line, err := p.in.ReadString('\n')
	if err != nil && line == "" {
		return "", ErrAborted
	}
	return strings.TrimSpace(line), nil
}
