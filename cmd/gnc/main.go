// Command gnc is a netcat for the Go era, a drop-in for Nmap's ncat.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"gnc/internal/cli"
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	caught := make(chan os.Signal, 1)
	go func() {
		sig := <-signals
		caught <- sig
		cancel()
	}()

	err := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	if ctx.Err() != nil {
		// Cleaned up (socket files, stdin mode); now die as the signal says.
		sig := (<-caught).(syscall.Signal)
		signal.Reset(sig)
		syscall.Kill(os.Getpid(), sig)
	}
	if err != nil && !errors.Is(err, cli.ErrSilentFailure) {
		fmt.Fprintf(os.Stderr, "gnc: %v\n", err)
	}
	os.Exit(cli.ExitCode(err))
}
