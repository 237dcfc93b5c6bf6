//go:build unix

package audit

import "syscall"

// noFollow refuses a symbolic link in the log's place, and O_NONBLOCK a
// FIFO with no reader, which would otherwise block the append forever.
const noFollow = syscall.O_NOFOLLOW | syscall.O_NONBLOCK
