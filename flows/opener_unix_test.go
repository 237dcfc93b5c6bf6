//go:build unix

package flows

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// fifo makes a named pipe: a script that reads it blocks until the test
// writes, so the test knows the script is still running without timing
// anything.
func fifo(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("no named pipes: %v", err)
	}
	return p
}

// release lets a script blocked on the fifo go on.
func release(t *testing.T, fifo string) {
	t.Helper()
	f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString("go\n")
	_ = f.Close()
}

// TestBrowserCommandDoesNotWaitForAForegroundBrowser: a browser that
// stays in the foreground (here, until the test releases it) does not
// hold up Start: it returns while the command provably still runs.
func TestBrowserCommandDoesNotWaitForAForegroundBrowser(t *testing.T) {
	gate := fifo(t)
	browser := script(t, "read line < "+gate)
	failed, err := (BrowserCommand{Value: browser}).Start("https://login.example.com/")
	if err != nil {
		t.Fatalf("Start() = %v", err)
	}
	select {
	case err := <-failed:
		t.Fatalf("the browser ended before it was released: %v", err)
	default:
	}
	release(t, gate)
	if err, ok := <-failed; ok {
		t.Errorf("the browser exited 0 but failed: %v", err)
	}
}

// TestBrowserCommandFallsBackAfterALateFailure: when the first command
// started but then failed, the next one is tried, in the background.
func TestBrowserCommandFallsBackAfterALateFailure(t *testing.T) {
	gate := fifo(t)
	out := filepath.Join(t.TempDir(), "url")
	first := script(t, "read line < "+gate+"; echo 'cannot open display' >&2; exit 1")
	second := script(t, `printf '%s' "$1" > `+out)
	const u = "https://login.example.com/authorize?x=1"
	failed, err := (BrowserCommand{Value: first + string(os.PathListSeparator) + second}).Start(u)
	if err != nil {
		t.Fatalf("Start() = %v", err)
	}
	release(t, gate)
	if err, ok := <-failed; ok {
		t.Fatalf("the second command worked, but Start reported %v", err)
	}
	if got, _ := os.ReadFile(out); string(got) != u {
		t.Errorf("the second command got %q, want %q", got, u)
	}

	// Both fail: the channel says why, for each.
	failed, err = (BrowserCommand{Value: first + string(os.PathListSeparator) + script(t, "exit 2")}).Start(u)
	if err != nil {
		t.Fatalf("Start() = %v", err)
	}
	release(t, gate)
	err, ok := <-failed
	if !ok || !strings.Contains(err.Error(), "cannot open display") || !strings.Contains(err.Error(), "exit status 2") {
		t.Errorf("Start reported %v, %v; want both failures", err, ok)
	}
}
