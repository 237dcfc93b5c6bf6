//go:build unix

package flows

import (
	"errors"

	"golang.org/x/sys/unix"
)

// processRuns reports whether a process with id pid exists (signal 0
// checks without sending anything; EPERM means it runs as another user).
func processRuns(pid int) bool {
	err := unix.Kill(pid, 0)
	return err == nil || errors.Is(err, unix.EPERM)
}
