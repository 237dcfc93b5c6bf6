//go:build linux

package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/tetherdev/tether/providers"
)

// fsEvents reports, through inotify, every change in a few directories:
// the kill test counts them to stop tether at a chosen point of its
// writes, without sleeping.
type fsEvents struct {
	f      *os.File
	events chan fsEvent
}

type fsEvent struct {
	name string
	mask uint32
}

func watchDirs(t *testing.T, dirs ...string) *fsEvents {
	t.Helper()
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		t.Skipf("inotify: %v", err)
	}
	for _, d := range dirs {
		mask := uint32(unix.IN_CREATE | unix.IN_MODIFY | unix.IN_CLOSE_WRITE | unix.IN_MOVED_FROM | unix.IN_MOVED_TO | unix.IN_DELETE)
		if _, err := unix.InotifyAddWatch(fd, d, mask); err != nil {
			t.Fatalf("watching %s: %v", d, err)
		}
	}
	w := &fsEvents{f: os.NewFile(uintptr(fd), "inotify"), events: make(chan fsEvent, 4096)}
	go func() {
		defer close(w.events)
		buf := make([]byte, 64<<10)
		for {
			n, err := w.f.Read(buf)
			if err != nil {
				return
			}
			for off := 0; off+unix.SizeofInotifyEvent <= n; {
				ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
				name := string(bytes.TrimRight(buf[off+unix.SizeofInotifyEvent:off+unix.SizeofInotifyEvent+int(ev.Len)], "\x00"))
				w.events <- fsEvent{name, ev.Mask}
				off += unix.SizeofInotifyEvent + int(ev.Len)
			}
		}
	}()
	t.Cleanup(func() { _ = w.f.Close() })
	return w
}

// sync waits until every event before now has been read: it creates and
// removes a marker in dir and reads up to the marker's removal.
func (w *fsEvents) sync(t *testing.T, dir string, n int) {
	t.Helper()
	marker := fmt.Sprintf(".sync-%d", n)
	path := filepath.Join(dir, marker)
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	for ev := range w.events {
		if ev.name == marker && ev.mask&unix.IN_DELETE != 0 {
			return
		}
	}
	t.Fatal("inotify stopped")
}

// trigger says when to kill a run: after its Events-th file change, or
// after it has printed StdoutBytes bytes.
type trigger struct {
	Events      int
	StdoutBytes int
}

// byteSignal closes hit once n bytes have been written to it.
type byteSignal struct {
	mu    sync.Mutex
	n     int
	total int
	hit   chan struct{}
}

func (b *byteSignal) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	before := b.total
	b.total += len(p)
	if b.n > 0 && before < b.n && b.total >= b.n {
		close(b.hit)
	}
	return len(p), nil
}

// runUntil runs tether with args and kills it with SIGKILL at tr. It
// reports whether the kill came before tether exited, and how many file
// changes and stdout bytes the run made.
func runUntil(t *testing.T, w *fsEvents, env []string, tr trigger, args ...string) (killed bool, events, out int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "TERM=dumb"}, env...)
	stdout := &byteSignal{n: tr.StdoutBytes, hit: make(chan struct{})}
	cmd.Stdout = stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	for stop := false; !stop; {
		select {
		case ev := <-w.events:
			if !strings.HasPrefix(ev.name, ".sync-") {
				events++
			}
			stop = tr.Events > 0 && events >= tr.Events
		case <-stdout.hit:
			stop = true
		case <-done:
			stop = true
		}
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	return ws.Signaled() && ws.Signal() == syscall.SIGKILL, events, stdout.total
}

// tempFiles lists what atomic writes and store probes left under dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && (strings.Contains(d.Name(), ".tmp-") || strings.HasPrefix(d.Name(), "probe-")) {
			out = append(out, strings.TrimPrefix(path, dir+"/"))
		}
		return nil
	})
	return out
}

// TestKillAtAnyPointLeavesSetupResumable kills the real binary with
// SIGKILL at every point of a sandbox setup and verify with the file
// store: after each file change it makes and at points of its output.
// Each time connections.json stays readable, and the next setup succeeds
// and leaves no temporary file behind.
func TestKillAtAnyPointLeavesSetupResumable(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary about a hundred times")
	}
	dir := t.TempDir()
	env := []string{"TETHER_CONFIG_DIR=" + dir, "TETHER_STORE=file"}
	setup := []string{"--sandbox", "setup", "auth0", "--no-input", "--replace"}
	verify := []string{"--sandbox", "verify"}
	resume := func(what string) {
		t.Helper()
		r := exe(t, env, "", setup...)
		if r.code != 0 || strings.Count(r.stdout, "✓ granted") != 4 {
			t.Fatalf("%s: the next setup failed: exit %d\n%s%s", what, r.code, r.stdout, r.stderr)
		}
	}
	// The first setup makes the directories to watch and the sandbox's
	// keys; every later one replaces the connection.
	resume("first run")
	sb := filepath.Join(dir, "sandbox")
	cred := filepath.Join(sb, "credentials")
	w := watchDirs(t, sb, cred, filepath.Join(cred, "auth0"), filepath.Join(cred, ".probe"))
	syncs := 0
	sync := func() { syncs++; w.sync(t, sb, syncs) }

	// Measure a whole run of each, to kill at every point short of its end.
	sync()
	_, setupEvents, setupOut := runUntil(t, w, env, trigger{}, setup...)
	sync()
	_, verifyEvents, verifyOut := runUntil(t, w, env, trigger{}, verify...)
	sync()
	if setupEvents < 8 || verifyEvents < 3 || setupOut == 0 || verifyOut == 0 {
		t.Fatalf("a setup makes %d file changes and %d bytes of output, a verify %d and %d: too few to kill between",
			setupEvents, setupOut, verifyEvents, verifyOut)
	}
	type point struct {
		args []string
		tr   trigger
	}
	var points []point
	for k := 1; k < setupEvents; k++ {
		points = append(points, point{setup, trigger{Events: k}})
	}
	for k := 1; k < verifyEvents; k++ {
		points = append(points, point{verify, trigger{Events: k}})
	}
	for _, frac := range []int{1, 3, 5, 7, 9} {
		points = append(points, point{setup, trigger{StdoutBytes: max(1, setupOut*frac/10)}})
		points = append(points, point{verify, trigger{StdoutBytes: max(1, verifyOut*frac/10)}})
	}
	kills := 0
	for i, p := range points {
		what := fmt.Sprintf("point %d (%s %+v)", i, p.args[1], p.tr)
		killed, _, _ := runUntil(t, w, env, p.tr, p.args...)
		sync()
		if killed {
			kills++
		}
		if _, err := (providers.Config{Dir: sb}).Load(); err != nil {
			t.Fatalf("%s: after the kill, connections.json is not readable: %v", what, err)
		}
		resume(what)
		sync()
		if left := tempFiles(t, dir); len(left) > 0 {
			t.Errorf("%s: temporary files left after the next setup: %q", what, left)
		}
	}
	if kills < len(points)*3/4 {
		t.Errorf("only %d of %d runs were killed before they ended", kills, len(points))
	}
	r := exe(t, env, "", "--sandbox", "status", "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"credential": "file: present"`) {
		t.Errorf("status at the end: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	t.Logf("%d kill points, %d killed before the end (setup: %d file changes, verify: %d)", len(points), kills, setupEvents, verifyEvents)
}
