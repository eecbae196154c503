//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package main

import (
	"os"
	"os/signal"
	"syscall"
)

// tableSignals makes SIGUSR1 and SIGINFO (Ctrl-T) requests for the
// connection table, for the whole run: their default action would end gnc.
func tableSignals() <-chan os.Signal {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGUSR1, syscall.SIGINFO)
	return ch
}
