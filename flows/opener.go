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

// defaultOpenWait is how long an opener command may take to fail.
const defaultOpenWait = 2 * time.Second

// BrowserCommand opens URLs with the commands of a $BROWSER value, read
// as Python's webbrowser module does: commands separated by the path list
// separator (":" on Unix), tried in turn; in each, "%s" stands for the
// URL, and without it the URL is the last argument; "%%" is a "%". A
// command is split on spaces and run directly, never through a shell.
type BrowserCommand struct {
	Value string
	// Wait is how long Open waits for a command to fail. A command still
	// running then is taken to be the browser itself: it is left running
	// and reaped in the background. 0 means 2 seconds.
	Wait time.Duration
}

// Open runs the commands in turn until one starts without failing.
func (b BrowserCommand) Open(u string) error {
	wait := b.Wait
	if wait <= 0 {
		wait = defaultOpenWait
	}
	var errs []error
	for _, line := range filepath.SplitList(b.Value) {
		args := browserArgs(line, u)
		if len(args) == 0 {
			continue
		}
		err := startBrowser(args, wait)
		if err == nil {
			return nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return errors.New("$BROWSER names no command")
	}
	return fmt.Errorf("$BROWSER could not open the page: %w", errors.Join(errs...))
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

// startBrowser starts args and gives it wait to fail; a process still
// running then is reaped in the background.
func startBrowser(args []string, wait time.Duration) error {
	cmd := exec.Command(args[0], args[1:]...)
	stderr := &capped{max: 512}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: %w", args[0], err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case err := <-done:
		if err != nil {
			if msg := strings.TrimSpace(stderr.String()); msg != "" {
				return fmt.Errorf("%s: %w: %s", args[0], err, msg)
			}
			return fmt.Errorf("%s: %w", args[0], err)
		}
		return nil
	case <-t.C:
		return nil
	}
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
