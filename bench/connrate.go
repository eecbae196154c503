//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// connCases are the rows of the connection-rate table: connections in flight.
var connCases = []rateCase{
	{id: "conn-1", name: "1 in flight", inflight: 1},
	{id: "conn-8", name: "8 in flight", inflight: 8},
}

// connGoals are gnc's connection-rate targets.
var connGoals = []goal{{peer: "ncat", ratio: 2}}

// payload is what each short connection sends.
const payload = "gnc bench\n"

// connResult is one connection-rate run.
type connResult struct {
	rate          float64 // connections per second
	cpuPerConn    float64 // µs of the tool process's CPU time per connection
	clientPerConn float64 // µs of the harness's CPU time per connection: the client
}

// runConnRate starts t's keep-open listener with stdout to /dev/null and
// makes n short connections to it, inflight at a time. The tool's CPU time
// is its whole life's, from exec to the SIGTERM that ends it after the
// last connection, divided by n; the client's is this process's while it
// dials.
func runConnRate(ctx context.Context, t *tool, n, inflight int, timeout time.Duration) (connResult, error) {
	s := newSession(ctx, timeout)
	defer s.close()
	p, port, err := s.startServer(t, t.keep)
	if err != nil {
		return connResult{}, err
	}
	if err := waitListen(s.ctx, port); err != nil {
		return connResult{}, s.failed(err)
	}

	var self0, self1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self0)
	begin := time.Now()
	err = dialMany(s.ctx, port, n, inflight)
	elapsed := time.Since(begin)
	syscall.Getrusage(syscall.RUSAGE_SELF, &self1)
	p.stop()
	if werr := s.wait(); werr != nil {
		return connResult{}, werr // the tool failed: that explains err too
	}
	if err != nil {
		return connResult{}, err
	}
	return connResult{
		rate:          float64(n) / elapsed.Seconds(),
		cpuPerConn:    float64(s.cpu()) / float64(time.Microsecond) / float64(n),
		clientPerConn: float64(cpuTime(self1)-cpuTime(self0)) / float64(time.Microsecond) / float64(n),
	}, nil
}

// dialMany makes n short connections to 127.0.0.1:port, inflight at a time,
// and stops at the first error.
func dialMany(ctx context.Context, port, n, inflight int) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	addr := net.JoinHostPort(loopback, strconv.Itoa(port))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range inflight {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				if err := shortConn(ctx, addr); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return context.Cause(ctx)
}

// shortConn connects, sends the payload, half-closes and waits for the
// server to close its end: a connection counts once the server has read it
// to EOF and let it go.
func shortConn(ctx context.Context, addr string) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return err
	}
	if _, err := io.WriteString(c, payload); err != nil {
		return err
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		return err
	}
	if _, err := io.Copy(io.Discard, c); err != nil {
		return fmt.Errorf("waiting for the server to close: %w", err)
	}
	return nil
}
