package audit

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func readLog(t *testing.T, path string) []Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Record
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r Record
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("line %d is not a record: %v\n%s", len(out)+1, err, sc.Text())
		}
		out = append(out, r)
	}
	return out
}

func TestAppend(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", FileName)
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.FixedZone("CET", 3600))
	l := &Log{Path: path, Now: func() time.Time { return now }}
	if err := l.Append(Record{Action: "token", Connection: "auth0/default", Outcome: OK}); err != nil {
		t.Fatal(err)
	}
	if err := l.Append(Record{Action: "denied", Outcome: Refused, User: "alice", Reason: "viewer\nforged line",
		KeyFingerprint: "SHA256:abc", Role: "viewer", SSHUser: "bob", Remote: "192.0.2.1:5555"}); err != nil {
		t.Fatal(err)
	}
	recs := readLog(t, path)
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2", len(recs))
	}
	if !recs[0].Time.Equal(now) || recs[0].Time.Location() != time.UTC || recs[0].User == "" {
		t.Errorf("first record %+v: want the injected time in UTC and the OS user", recs[0])
	}
	if r := recs[1]; r.User != "alice" || r.KeyFingerprint != "SHA256:abc" || r.Role != "viewer" || r.SSHUser != "bob" || r.Reason != "viewer forged line" {
		t.Errorf("second record %+v", r)
	}
	data, _ := os.ReadFile(path)
	first, _, _ := strings.Cut(string(data), "\n")
	for _, f := range []string{"key_fingerprint", "role", "ssh_user", "remote", "reason", "detail"} {
		if strings.Contains(first, `"`+f+`"`) {
			t.Errorf("the optional field %s is written when empty: %s", f, first)
		}
	}
	if runtime.GOOS != "windows" {
		if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
			t.Errorf("mode %04o, want 0600", st.Mode().Perm())
		}
	}
	if err := (&Log{}).Append(Record{}); !errors.Is(err, ErrNoPath) {
		t.Errorf("Append without a path = %v, want ErrNoPath", err)
	}
}

// TestConcurrentAppends: writers in one process and in several never
// lose or interleave a line.
func TestConcurrentAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	const goroutines, each, procs = 8, 25, 3
	var cmds []*exec.Cmd
	for p := range procs {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperAppender$")
		cmd.Env = append(os.Environ(), "AUDIT_HELPER_PATH="+path, fmt.Sprintf("AUDIT_HELPER_ID=proc%d", p), fmt.Sprintf("AUDIT_HELPER_N=%d", each))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	l := &Log{Path: path}
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := l.Append(Record{Action: "verify", Connection: fmt.Sprintf("g%d/%d", g, i), Outcome: OK, Detail: strings.Repeat("x", 900)}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("helper: %v", err)
		}
	}
	recs := readLog(t, path)
	seen := map[string]bool{}
	for _, r := range recs {
		if seen[r.Connection] {
			t.Errorf("%s recorded twice", r.Connection)
		}
		seen[r.Connection] = true
	}
	if want := (goroutines + procs) * each; len(seen) != want {
		t.Errorf("%d distinct records, want %d", len(seen), want)
	}
}

// TestHelperAppender is the other process of TestConcurrentAppends.
func TestHelperAppender(t *testing.T) {
	path := os.Getenv("AUDIT_HELPER_PATH")
	if path == "" {
		t.Skip("helper process only")
	}
	var n int
	fmt.Sscan(os.Getenv("AUDIT_HELPER_N"), &n)
	l := &Log{Path: path}
	for i := range n {
		if err := l.Append(Record{Action: "exec", Connection: fmt.Sprintf("%s/%d", os.Getenv("AUDIT_HELPER_ID"), i), Outcome: "exit 0", Detail: strings.Repeat("y", 900)}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestClip(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ok", "ok"},
		{"two\nlines\r\x00", "two lines  "},
		{strings.Repeat("é", maxField), strings.Repeat("é", maxField/2) + "…"},
	}
	for _, tt := range tests {
		if got := clip(tt.in); got != tt.want {
			t.Errorf("clip(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestOutcome(t *testing.T) {
	tests := []struct {
		err             error
		outcome, reason string
	}{
		{nil, OK, ""},
		{errors.New("no credential for auth0/x\nsecond line"), Failed, "no credential for auth0/x"},
	}
	for _, tt := range tests {
		if o, r := Outcome(tt.err); o != tt.outcome || r != tt.reason {
			t.Errorf("Outcome(%v) = %q, %q, want %q, %q", tt.err, o, r, tt.outcome, tt.reason)
		}
	}
}
