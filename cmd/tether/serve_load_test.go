package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"
	gossh "golang.org/x/crypto/ssh"

	"github.com/tetherdev/tether/providers/audit"
)

// TestServeFiftyConcurrentSetups: fifty admins, each with a key of their
// own, set up a sandbox connection at the same time over SSH. Every
// setup ends granted, no connection record is lost, the audit log has
// exactly one line for each setup under the key that ran it, and once
// serve has stopped no goroutine of it is left.
func TestServeFiftyConcurrentSetups(t *testing.T) {
	if testing.Short() {
		t.Skip("fifty sandbox setups: not in -short")
	}
	const n = 50
	// goleak compares with what runs now: the test binary's own
	// goroutines (and earlier tests' idle ones) are not this test's leaks.
	leaks := goleak.IgnoreCurrent()
	s := serve(t, "--max-sessions", "0")
	team := make([]gossh.Signer, n)
	var keys strings.Builder
	for i := range team {
		team[i] = signer(t)
		keys.WriteString(`role="admin" ` + string(gossh.MarshalAuthorizedKey(team[i].PublicKey())))
	}
	// The file is reloaded on change: the team's keys apply at once.
	if err := writeAtomic(filepath.Join(s.dir, "sandbox", "serve", "authorized_keys"), keys.String()); err != nil {
		t.Fatal(err)
	}

	results := make([]sshResult, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = s.runNoFatal(team[i], fmt.Sprintf("setup auth0 --name team%02d --no-input", i))
		}()
	}
	wg.Wait()
	for i, r := range results {
		if r.err != nil || r.code != 0 || strings.Count(r.stdout, "✓ granted") != 4 {
			t.Errorf("admin %d: %v, exit %d\n%s\n%s", i, r.err, r.code, r.stdout, r.stderr)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	r := s.run(t, team[0], "status --json")
	var status struct {
		Connections []struct {
			Provider, Name string
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &status); err != nil {
		t.Fatalf("status --json: %v\n%s", err, r.stdout)
	}
	var names []string
	for _, c := range status.Connections {
		names = append(names, c.Provider+"/"+c.Name)
	}
	for i := range n {
		if want := fmt.Sprintf("auth0/team%02d", i); !slices.Contains(names, want) {
			t.Errorf("status lacks %s: %v", want, names)
		}
	}

	if c := s.stop(); c != 0 {
		t.Fatalf("serve exit = %d, want 0", c)
	}
	goleak.VerifyNone(t, leaks)
	setups := map[string]int{}
	f, err := os.Open(filepath.Join(s.dir, "sandbox", "serve", "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var rec audit.Record
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		if rec.Action == "setup" {
			setups[rec.KeyFingerprint+" "+rec.Connection+" "+rec.Outcome]++
		}
	}
	if len(setups) != n {
		t.Errorf("audit has %d distinct setup lines, want %d: %v", len(setups), n, setups)
	}
	for i, k := range team {
		line := fmt.Sprintf("%s auth0/team%02d ok", gossh.FingerprintSHA256(k.PublicKey()), i)
		if setups[line] != 1 {
			t.Errorf("audit has %d lines %q, want 1", setups[line], line)
		}
	}
}

// sshResult is how one command over SSH ended, err when the session
// itself failed.
type sshResult struct {
	code           int
	stdout, stderr string
	err            error
}

// runNoFatal runs cmd in a new connection with key; it may be called
// from any goroutine.
func (s *served) runNoFatal(key gossh.Signer, cmd string) sshResult {
	c, err := gossh.Dial("tcp", s.addr, &gossh.ClientConfig{User: "alice", Auth: []gossh.AuthMethod{gossh.PublicKeys(key)},
		HostKeyCallback: gossh.FixedHostKey(s.hostKey)})
	if err != nil {
		return sshResult{err: err}
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		return sshResult{err: err}
	}
	defer sess.Close()
	var out, errOut strings.Builder
	sess.Stdout, sess.Stderr = &out, &errOut
	r := sshResult{}
	var exit *gossh.ExitError
	if err := sess.Run(cmd); errors.As(err, &exit) {
		r.code = exit.ExitStatus()
	} else if err != nil {
		r.err = err
	}
	r.stdout, r.stderr = out.String(), errOut.String()
	return r
}

// writeAtomic replaces path with data through a rename, as an admin's
// editor or config management would.
func writeAtomic(path, data string) error {
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(data), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
