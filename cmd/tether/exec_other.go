//go:build !unix

package main

import "os"

// forwarded is empty: a console's ctrl+c reaches every process attached
// to it, the command included, and a process cannot be sent other signals.
var forwarded []os.Signal

func fromTerminal(os.Signal) bool { return true }

// exitStatusOf is a finished command's exit code.
func exitStatusOf(ps *os.ProcessState) int { return ps.ExitCode() }
