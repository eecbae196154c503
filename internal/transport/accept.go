package transport

import (
	"context"
	"errors"
	"net"
	"time"
)

// Backoff bounds for failed Accept calls, as net/http's server uses: a
// process out of file descriptors waits instead of spinning.
const (
	minAcceptDelay = 5 * time.Millisecond
	maxAcceptDelay = time.Second
)

// AcceptLoop accepts connections from ln and hands each to handle, which
// owns it from then on. It returns when ctx is done or ln is closed; other
// Accept errors (EMFILE, ECONNABORTED, ...) are reported to logf and retried
// after a growing delay. handle runs on the loop's goroutine: while it
// runs, nothing is accepted, so it must not wait on a client.
func AcceptLoop(ctx context.Context, ln net.Listener, logf func(format string, args ...any), handle func(net.Conn)) error {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer func() {
		// If ctx ended while the loop was waiting out a backoff, the loop
		// may return before the AfterFunc runs, and stop cancels it.
		stop()
		if ctx.Err() != nil {
			ln.Close()
		}
	}()
	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err == nil {
			delay = 0
			handle(c)
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, net.ErrClosed) {
			return err
		}
		delay = min(max(2*delay, minAcceptDelay), maxAcceptDelay)
		if logf != nil {
			logf("accept: %v; retrying in %v", err, delay)
		}
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
}
