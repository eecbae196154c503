// Command gnc is a netcat for the Go era, a drop-in for Nmap's ncat.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"

	"gnc/internal/cli"
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	signals := make(chan os.Signal, 2)
	for _, sig := range stopSignals {
		// A signal the parent ignores (nohup, a background job of a
		// script) stays ignored, as it does for ncat.
		if !signal.Ignored(sig) {
			signal.Notify(signals, sig)
		}
	}
	// A mode may claim a signal (SIGHUP reloads --allowfile, SIGUSR1 prints
	// the connection table); the rest stop gnc.
	sigs := cli.NewSignals(signals)
	caught := make(chan os.Signal, 1)
	go func() {
		caught <- nextStop(signals, sigs)
		cancel()
		// gnc is cleaning up; a second signal ends it at once.
		dieBy(nextStop(signals, sigs))
	}()
	catchBrokenPipe()

	err := cli.RunWithSignals(ctx, sigs, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	// Cleaned up (socket files, stdin); now end as the signal says.
	if ctx.Err() != nil {
		dieBy(<-caught)
	}
	var die *cli.DieError
	if err != nil && !errors.Is(err, cli.ErrSilentFailure) && !errors.As(err, &die) {
		fmt.Fprintf(os.Stderr, "gnc: %v\n", err)
	}
	os.Exit(cli.ExitCode(err))
}

// nextStop returns the next signal that no mode has claimed.
func nextStop(signals <-chan os.Signal, sigs *cli.Signals) os.Signal {
	for {
		sig := <-signals
		if !sigs.Deliver(sig) {
			return sig
		}
	}
}
