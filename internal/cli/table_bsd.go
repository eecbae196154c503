//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package cli

import (
	"os"
	"syscall"
)

// tableSignals are the signals that ask for the connection table: SIGUSR1,
// and SIGINFO (Ctrl-T) where the system has it.
func tableSignals() []os.Signal { return []os.Signal{syscall.SIGUSR1, syscall.SIGINFO} }
