package flows

import (
	"fmt"
	"os"
	"path/filepath"
)

// LockFile takes an exclusive lock on path, waiting for it, so that tether
// processes writing the same files take turns. The lock file's directory
// is created (0700) when missing: on a fresh machine nothing has made the
// config directory yet when the first credential is stored.
func LockFile(path string) (unlock func(), err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	return lockFile(path)
}
