package flows

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// TestConcurrentProbesOfOneFileStore: two tethers probing one store at
// once (two setups started together) both succeed; one probe's cleanup
// never pulls the directory from under the other's write.
func TestConcurrentProbesOfOneFileStore(t *testing.T) {
	dir := t.TempDir()
	var stores []*FileStore
	for range 2 { // two processes: each its own FileStore on one directory
		s, err := OpenFileStoreWithIdentity(filepath.Join(dir, "credentials"), filepath.Join(dir, "key.txt"))
		if err != nil {
			t.Fatal(err)
		}
		stores = append(stores, s)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 25 {
				if err := stores[i%2].Probe(context.Background()); err != nil {
					t.Errorf("Probe() = %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestProbeRemovesWhatAKilledProbeLeft: a probe file of a process that
// no longer runs (killed between writing and deleting it) is removed by
// the next probe; a live process's stays.
func TestProbeRemovesWhatAKilledProbeLeft(t *testing.T) {
	dead := exec.Command(os.Args[0], "-test.run=^$")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s, err := OpenFileStoreWithIdentity(filepath.Join(dir, "credentials"), filepath.Join(dir, "key.txt"))
	if err != nil {
		t.Fatal(err)
	}
	probes := filepath.Join(dir, "credentials", ".probe")
	left := filepath.Join(probes, fmt.Sprintf("probe-%d-abcdefgh.age", dead.Process.Pid))
	live := filepath.Join(probes, fmt.Sprintf("probe-%d-abcdefgh.age", os.Getppid()))
	for _, p := range []string{left, live} {
		if err := WriteFileAtomic(p, []byte("age"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Probe(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(left); err == nil {
		t.Error("a killed probe's file is still there after the next probe")
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("a live probe's file was removed: %v", err)
	}
}
