//go:build !unix

package flows

import "sync"

var lockMu sync.Mutex

// LockFile serializes writers within this process. On platforms without
// flock, concurrent tether processes are not coordinated.
func LockFile(string) (unlock func(), err error) {
	lockMu.Lock()
	return lockMu.Unlock, nil
}
