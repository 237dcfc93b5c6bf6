package flows

import (
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/pkg/browser"
)

// SystemBrowser returns the Opener for this machine, deciding from the
// environment read with getenv (os.Getenv in production):
//
//   - noBrowser (the admin asked for none), or an SSH session
//     (SSH_CONNECTION, SSH_CLIENT or SSH_TTY set), where a browser would
//     open on the server and not in front of the admin: NoBrowser;
//   - $BROWSER set: BrowserCommand;
//   - Linux and the BSDs with neither DISPLAY nor WAYLAND_DISPLAY: NoBrowser;
//   - otherwise PlatformOpener (xdg-open, open, or ShellExecute).
//
// A NoBrowser fails every Open with its reason, so a flow reports
// BrowserUnavailable with it and the admin opens the URL themselves.
func SystemBrowser(getenv func(string) string, noBrowser bool) Opener {
	return systemBrowser(runtime.GOOS, getenv, noBrowser)
}

func systemBrowser(goos string, getenv func(string) string, noBrowser bool) Opener {
	switch {
	case noBrowser:
		return NoBrowser{Reason: "opening a browser was turned off"}
	case getenv("SSH_CONNECTION") != "" || getenv("SSH_CLIENT") != "" || getenv("SSH_TTY") != "":
		return NoBrowser{Reason: "this is an SSH session, so a browser would open on the remote machine instead of yours"}
	case getenv("BROWSER") != "":
		return BrowserCommand{Value: getenv("BROWSER")}
	case goos != "darwin" && goos != "windows" && getenv("DISPLAY") == "" && getenv("WAYLAND_DISPLAY") == "":
		return NoBrowser{Reason: "there is no graphical display (DISPLAY and WAYLAND_DISPLAY are unset)"}
	}
	return PlatformOpener{}
}

// NoBrowser is the Opener where no browser can be opened.
type NoBrowser struct{ Reason string }

// Open fails with a *NoBrowserError.
func (n NoBrowser) Open(string) error { return &NoBrowserError{Reason: n.Reason} }

// NoBrowserError says why no browser was opened.
type NoBrowserError struct{ Reason string }

func (e *NoBrowserError) Error() string { return "no browser can be opened here: " + e.Reason }

// defaultOpenWait is how long PlatformOpener waits for the platform's
// opener to fail.
const defaultOpenWait = 2 * time.Second

// A Starter is an Opener that returns as soon as the browser has started,
// before it knows whether it works: a browser command may run in the
// foreground until the admin closes it. failed receives one error if the
// browser then fails, and is closed once it no longer can. The sign-ins
// use Start when the Opener has it, and fall back to showing the URL
// (and accepting a pasted redirect) on a failure.
type Starter interface {
	Opener
	Start(url string) (failed <-chan error, err error)
}

var _ Starter = BrowserCommand{}

// BrowserCommand opens URLs with the commands of a $BROWSER value, read
// as Python's webbrowser module does: commands separated by the path list
// separator (":" on Unix), tried in turn; in each, "%s" stands for the
// URL, and without it the URL is the last argument; "%%" is a "%". A
// command is split on spaces and run directly, never through a shell.
//
// A command that starts is the browser: Open and Start return at once,
// without waiting for it to exit, and it is reaped in the background. If
// it exits with an error, the next command is tried, in the background.
type BrowserCommand struct {
	Value string
}

// Open starts the commands in turn until one starts; a failure after that
// is not reported (Start reports it).
func (b BrowserCommand) Open(u string) error {
	_, err := b.Start(u)
	return err
}

// Start starts the commands in turn until one starts, and returns without
// waiting for it. failed receives an error when that command, and every
// one after it, failed; it is closed once one exits successfully.
func (b BrowserCommand) Start(u string) (<-chan error, error) {
	var cmds [][]string
	for _, line := range filepath.SplitList(b.Value) {
		if args := browserArgs(line, u); len(args) > 0 {
			cmds = append(cmds, args)
		}
	}
	if len(cmds) == 0 {
		return nil, errors.New("$BROWSER names no command")
	}
	p, errs := startFirst(cmds)
	if p == nil {
		return nil, fmt.Errorf("$BROWSER could not open the page: %w", errors.Join(errs...))
	}
	failed := make(chan error, 1)
	go func() {
		defer close(failed)
		for p != nil {
			err := p.wait()
			if err == nil {
				return
			}
			errs = append(errs, err)
			var more []error
			p, more = startFirst(p.rest)
			errs = append(errs, more...)
		}
		failed <- fmt.Errorf("$BROWSER could not open the page: %w", errors.Join(errs...))
	}()
	return failed, nil
}

// browserArgs builds the command line of one $BROWSER entry.
func browserArgs(line, u string) []string {
	fields := strings.Fields(line)
	found := false
	for i, f := range fields {
		if strings.Contains(f, "%s") {
			found = true
		}
		f = strings.ReplaceAll(f, "%%", "\x00")
		f = strings.ReplaceAll(f, "%s", u)
		fields[i] = strings.ReplaceAll(f, "\x00", "%")
	}
	if len(fields) > 0 && !found {
		fields = append(fields, u)
	}
	return fields
}

// browserProc is a started browser command, and the commands after it.
type browserProc struct {
	name   string
	cmd    *exec.Cmd
	stderr *capped
	rest   [][]string
}

// startFirst starts the first of cmds that starts.
func startFirst(cmds [][]string) (*browserProc, []error) {
	var errs []error
	for i, args := range cmds {
		cmd := exec.Command(args[0], args[1:]...)
		stderr := &capped{max: 512}
		cmd.Stderr = stderr
		if err := cmd.Start(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", args[0], err))
			continue
		}
		return &browserProc{name: args[0], cmd: cmd, stderr: stderr, rest: cmds[i+1:]}, errs
	}
	return nil, errs
}

// wait waits for the command to exit, and describes its failure.
func (p *browserProc) wait() error {
	err := p.cmd.Wait()
	if err == nil {
		return nil
	}
	if msg := strings.TrimSpace(p.stderr.String()); msg != "" {
		return fmt.Errorf("%s: %w: %s", p.name, err, msg)
	}
	return fmt.Errorf("%s: %w", p.name, err)
}

// capped keeps the first max bytes written to it.
type capped struct {
	mu  sync.Mutex
	b   []byte
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if room := c.max - len(c.b); room > 0 {
		c.b = append(c.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (c *capped) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return string(c.b)
}

// PlatformOpener opens URLs with the platform's opener through
// github.com/pkg/browser: xdg-open (or x-www-browser, www-browser) on
// Linux and the BSDs, open on macOS, ShellExecute on Windows.
type PlatformOpener struct {
	// Wait is how long Open waits for the opener to finish; one still
	// running then is left to finish in the background. 0 means 2 seconds.
	Wait time.Duration
}

// quietBrowser sends pkg/browser's child output nowhere: by default it
// goes to os.Stdout, which carries tether's results. pkg/browser offers
// only these package variables to change it.
var quietBrowser = sync.OnceFunc(func() {
	browser.Stdout = io.Discard
	browser.Stderr = io.Discard
})

// Open runs the platform's opener.
func (p PlatformOpener) Open(u string) error {
	quietBrowser()
	wait := p.Wait
	if wait <= 0 {
		wait = defaultOpenWait
	}
	done := make(chan error, 1)
	go func() { done <- browser.OpenURL(u) }()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("the system's browser opener failed: %w", err)
		}
		return nil
	case <-t.C:
		return nil
	}
}
