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

// proxyCases are the rows of the proxy-server table: connections in flight.
var proxyCases = []rateCase{
	{id: "proxy-1", name: "CONNECT, 1 in flight", inflight: 1},
	{id: "proxy-8", name: "CONNECT, 8 in flight", inflight: 8},
}

// proxyGoals are gnc's targets for its HTTP proxy server.
var proxyGoals = []goal{{peer: "ncat", ratio: 3}}

// proxyTools are the tools with an HTTP proxy server: gnc and ncat.
func (b *bench) proxyTools() []*tool {
	var ts []*tool
	for i := range b.tools {
		if t := &b.tools[i]; t.proxy != nil {
			ts = append(ts, t)
		}
	}
	return ts
}

// proxyRate fills the proxy-server connection-rate table and the table of
// the tools' CPU per tunnel in the same runs; under them, the floor
// proxy's figures and the harness's CPU per tunnel.
func (b *bench) proxyRate(ctx context.Context) (rate, cpu *table) {
	tools := b.proxyTools()
	n := b.cfg.conns
	rate = &table{
		title: fmt.Sprintf("HTTP proxy server, %d tunnels through `-l --proxy-type http` (CONNECT, %d bytes each way; connections/s, higher is better; × = gnc ÷ peer)",
			n, len(payload)),
		tools:  toolNamesOf(tools),
		format: func(v float64) string { return fmt.Sprintf("%.0f", v) },
	}
	cpu = &table{
		title:  "HTTP proxy server: CPU per tunnel, tool process only, same runs (µs, lower is better; × = gnc ÷ peer)",
		tools:  toolNamesOf(tools),
		format: func(v float64) string { return fmt.Sprintf("%.0f", v) },
	}
	timeout := b.cfg.timeout
	if timeout == 0 {
		timeout = 30*time.Second + time.Duration(n)*10*time.Millisecond
	}
	b.rateTables(ctx, rateSpec{
		cases: proxyCases,
		tools: tools,
		goals: proxyGoals,
		floor: floorProxyTool,
		run: func(t *tool, inflight int) (connResult, error) {
			return runProxyRate(ctx, t, n, inflight, timeout)
		},
		what:      "tunnel",
		floorText: floorProxyText,
		loadText:  "The load: the harness's Go clients and echo target, CPU µs per tunnel",
	}, rate, cpu)
	return rate, cpu
}

// runProxyRate starts t's HTTP proxy server and an echo target, and makes
// n tunnels through it, inflight at a time: CONNECT, the 200, the
// payload, the echo back, the close. It returns tunnels per second, the
// tool's CPU per tunnel (its whole life's, as runConnRate's) and the
// harness's: the clients' and the echo target's, which share this process.
func runProxyRate(ctx context.Context, t *tool, n, inflight int, timeout time.Duration) (connResult, error) {
	s := newSession(ctx, timeout)
	defer s.close()
	target, stopTarget, err := echoTarget()
	if err != nil {
		return connResult{}, err
	}
	defer stopTarget()
	p, port, err := s.startServer(t, t.proxy)
	if err != nil {
		return connResult{}, err
	}
	if err := waitListenAny(s.ctx, port); err != nil {
		return connResult{}, s.failed(err)
	}
	var self0, self1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self0)
	begin := time.Now()
	err = tunnelMany(s.ctx, net.JoinHostPort(loopback, strconv.Itoa(port)), target, n, inflight)
	elapsed := time.Since(begin)
	syscall.Getrusage(syscall.RUSAGE_SELF, &self1)
	p.stop()
	if werr := s.wait(); werr != nil {
		return connResult{}, werr
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

// echoTarget runs an echo server on loopback until stop is called.
func echoTarget() (addr string, stop func(), err error) {
	ln, err := net.Listen("tcp4", net.JoinHostPort(loopback, "0"))
	if err != nil {
		return "", nil, err
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				io.Copy(c, c)
			})
		}
	})
	return ln.Addr().String(), func() { ln.Close(); wg.Wait() }, nil
}

// tunnelMany makes n tunnels to target through the proxy, inflight at a
// time, and stops at the first error.
func tunnelMany(ctx context.Context, proxy, target string, n, inflight int) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	req := "CONNECT " + target + " HTTP/1.0\r\n\r\n"
	for range inflight {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				if err := oneTunnel(ctx, proxy, req); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return context.Cause(ctx)
}

// oneTunnel waits for the proxy's 200 before it sends the payload, as
// clients do (ncat 7.93 drops bytes that arrive with the request), and
// closes once the echo is back rather than half-closing (ncat's tunnel
// ends at the client's EOF, losing the echo).
func oneTunnel(ctx context.Context, proxy, req string) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", proxy)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return err
	}
	if _, err := io.WriteString(c, req); err != nil {
		return err
	}
	const ok = "HTTP/1.0 200 OK\r\n\r\n"
	reply := make([]byte, len(ok))
	if _, err := io.ReadFull(c, reply); err != nil || string(reply) != ok {
		return fmt.Errorf("CONNECT: got %q, %v", reply, err)
	}
	if _, err := io.WriteString(c, payload); err != nil {
		return err
	}
	got := make([]byte, len(payload))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != payload {
		return fmt.Errorf("tunnel: got %q, %v; want %q", got, err, payload)
	}
	return nil
}

// waitListenAny is waitListen that also accepts a socket on 0.0.0.0:
// ncat 7.93's proxy server ignores the address it is given and binds
// every address (the clients still connect over loopback).
func waitListenAny(ctx context.Context, port int) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	lo, anyAddr := fmt.Sprintf("0100007F:%04X", port), fmt.Sprintf("00000000:%04X", port)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !listening(lo) && !listening(anyAddr) {
		select {
		case <-tick.C:
		case <-ctx.Done():
			return fmt.Errorf("nothing listens on port %d: %w", port, context.Cause(ctx))
		}
	}
	return nil
}
