//go:build unix && !(darwin || dragonfly || freebsd || netbsd || openbsd)

package main

import (
	"os"
	"os/signal"
	"syscall"
)

// tableSignals makes SIGUSR1 a request for the connection table, for the
// whole run: its default action would end gnc.
func tableSignals() <-chan os.Signal {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGUSR1)
	return ch
}
