package flows

import (
	"context"
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
