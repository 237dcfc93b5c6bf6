package flows

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestRemoveStaleTemps: a temporary file is removed when its writer's
// process is gone or it is over a minute old; a live writer's stays, and
// so does everything that is not a temporary file.
func TestRemoveStaleTemps(t *testing.T) {
	dead := exec.Command(os.Args[0], "-test.run=^$")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tests := []struct {
		name string
		old  bool
		keep bool
	}{
		{fmt.Sprintf(".a.json.tmp-%d-1", os.Getpid()), false, true},  // this process is writing it
		{fmt.Sprintf(".a.json.tmp-%d-2", os.Getppid()), false, true}, // a live writer
		{fmt.Sprintf(".a.json.tmp-%d-3", dead.Process.Pid), false, false},
		{fmt.Sprintf(".a.json.tmp-%d-4", os.Getppid()), true, false}, // its id may be reused
		{".a.json.tmp-x", false, true},                               // whose, cannot be told yet
		{".a.json.tmp-y", true, false},
		{".a.json.tmp-0-5", false, true},
		{"a.json", true, true},
		{"b.tmp-1", true, true},
	}
	long := time.Now().Add(-2 * StaleTempAge)
	for _, tt := range tests {
		p := filepath.Join(dir, tt.name)
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
		if tt.old {
			if err := os.Chtimes(p, long, long); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.Mkdir(filepath.Join(dir, ".d.tmp-1-1"), 0o700); err != nil {
		t.Fatal(err)
	}
	RemoveStaleTemps(dir)
	for _, tt := range tests {
		_, err := os.Stat(filepath.Join(dir, tt.name))
		if got := err == nil; got != tt.keep {
			t.Errorf("RemoveStaleTemps() kept %q = %v, want %v", tt.name, got, tt.keep)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, ".d.tmp-1-1")); err != nil {
		t.Errorf("RemoveStaleTemps() removed a directory: %v", err)
	}
}

// TestWriteFileAtomicCleansAfterAKilledWriter: a write removes the
// temporary file that a killed writer left beside its target.
func TestWriteFileAtomicCleansAfterAKilledWriter(t *testing.T) {
	dead := exec.Command(os.Args[0], "-test.run=^$")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	leftover := filepath.Join(dir, fmt.Sprintf(".f.tmp-%d-9", dead.Process.Pid))
	if err := os.WriteFile(leftover, []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(filepath.Join(dir, "f"), []byte("whole"), 0o600); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "f" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("after a write, the directory holds %q, want only f", names)
	}
}

// TestTempFilesOfLiveWritersSurvive: every temporary file tether writes
// beside its target (WriteFileAtomic's, and the file store key's before
// it is linked into place) is named so that another writer's
// RemoveStaleTemps in the same directory leaves it alone while its writer
// runs. A key's temporary file once had a random suffix read as a dead
// process's id, so a concurrent first run in that directory removed it
// mid-creation.
func TestTempFilesOfLiveWritersSurvive(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"age-identity.txt", "credential.json"} {
		f, err := createTemp(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		RemoveStaleTemps(dir)
		if _, err := os.Stat(f.Name()); err != nil {
			t.Errorf("RemoveStaleTemps removed %s, a live writer's temporary file: %v", filepath.Base(f.Name()), err)
		}
	}
}
