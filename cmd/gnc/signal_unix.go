//go:build unix

package main

import (
	"os"
	"os/signal"
	"syscall"
	"time"
)

var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

// dieBy ends the process by sig with its default action, so the shell sees
// the usual status (130 for Ctrl-C).
func dieBy(sig os.Signal) {
	s := sig.(syscall.Signal)
	signal.Reset(s)
	syscall.Kill(os.Getpid(), s)
	time.Sleep(time.Second) // delivery is asynchronous; this is a fallback
	os.Exit(128 + int(s))
}
