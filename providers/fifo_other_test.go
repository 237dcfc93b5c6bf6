//go:build !unix

package providers

import "errors"

func mkfifo(string) error { return errors.New("no FIFOs here") }
