//go:build !unix && !windows

package flows

import "sync"

var lockMu sync.Mutex

// lockFile serializes writers within this process. On the few platforms
// with neither flock nor LockFileEx (plan9, wasm), concurrent tether
// processes are not coordinated.
func lockFile(string) (unlock func(), err error) {
	lockMu.Lock()
	return lockMu.Unlock, nil
}
