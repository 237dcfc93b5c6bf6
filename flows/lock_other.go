//go:build !unix

package flows

import "sync"

var lockMu sync.Mutex

// lockFile serializes writers within this process. On platforms without
// flock, concurrent tether processes are not coordinated.
func lockFile(string) (unlock func(), err error) {
	lockMu.Lock()
	return lockMu.Unlock, nil
}
