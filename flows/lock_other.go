//go:build !unix && !windows

package flows

import "sync"

var lockMu sync.Mutex

// LockFile serializes writers within this process. On the few platforms
// with neither flock nor LockFileEx (plan9, wasm), concurrent tether
// processes are not coordinated.
func LockFile(string) (unlock func(), err error) {
	lockMu.Lock()
	return lockMu.Unlock, nil
}
