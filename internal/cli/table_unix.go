//go:build unix && !(darwin || dragonfly || freebsd || netbsd || openbsd)

package cli

import (
	"os"
	"syscall"
)

// tableSignals are the signals that ask for the connection table.
func tableSignals() []os.Signal { return []os.Signal{syscall.SIGUSR1} }
