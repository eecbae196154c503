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

// catchBrokenPipe turns a write to a closed stdout into an error (EPIPE)
// instead of the immediate death Go gives by default: gnc then restores its
// stdin's mode and ends as ncat does, "write: Broken pipe", status 2.
func catchBrokenPipe() { signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE) }
