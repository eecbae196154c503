package scan

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// MaxDefaultConcurrency bounds the default number of probes in flight. It
// is enough to get through all 65535 ports of a host that drops every SYN
// in about four minutes with -w 1, few enough not to flood a home router's
// connection table, and well below the 1024 descriptors many systems allow
// a process.
const MaxDefaultConcurrency = 256

// fdReserve is how many file descriptors the default leaves to the rest of
// the process (stdio, the poller, log files).
const fdReserve = 32

// Options says what to scan. The zero value of each field is documented as
// its default.
type Options struct {
	// Addr is the address to probe.
	Addr netip.Addr
	// Ports are probed in any order but reported in this order.
	Ports []uint16
	// UDP probes UDP ports instead of TCP: each gets one NUL byte, and a
	// port is closed only if an ICMP error (ECONNREFUSED) comes back
	// within Wait. Silence means open or filtered.
	UDP bool
	// Wait is how long a UDP probe waits for an ICMP error; 0 means
	// UDPWait.
	Wait time.Duration
	// Timeout bounds each TCP connection attempt (-w); 0 means no bound.
	Timeout time.Duration
	// Concurrency is the number of probes in flight; 0 means
	// DefaultConcurrency().
	Concurrency int
	// Dial, if not nil, makes each probe's connection (a UDP one with
	// UDP), which is closed at once; for TCP ctx carries the attempt's
	// Timeout. Nil: the package's own
	// prober, which on Linux reuses a socket after a refusal and waits in
	// the runtime's poller only when the kernel has not answered at once.
	Dial func(ctx context.Context, addr netip.AddrPort) (net.Conn, error)
}

// UDPWait is ncat's wait for an ICMP error after a -z -u probe.
const UDPWait = 2 * time.Second

// Result is what one probe found.
type Result struct {
	Port uint16
	// Err is nil for an open port (UDP: open or filtered); otherwise why
	// the probe failed: syscall.ECONNREFUSED for a closed port, an error
	// matching os.ErrDeadlineExceeded when Timeout expired.
	Err error
}

// LocalError is a failure of this machine rather than an answer from the
// scanned host (no file descriptors left): it ends the scan.
type LocalError struct{ Err error }

func (e *LocalError) Error() string { return fmt.Sprintf("socket: %v", e.Err) }
func (e *LocalError) Unwrap() error { return e.Err }

// DefaultConcurrency is MaxDefaultConcurrency, or less when the process's
// file-descriptor limit is low: each probe in flight holds one descriptor.
func DefaultConcurrency() int {
	return concurrencyFor(fdLimit())
}

func concurrencyFor(limit uint64) int {
	if limit <= fdReserve+1 {
		return 1
	}
	return int(min(MaxDefaultConcurrency, limit-fdReserve))
}

// prober probes one port at a time; each worker owns one.
type prober interface {
	probe(ctx context.Context, addr netip.AddrPort) error
	close()
}

// Run probes every port of o.Ports and calls report with each Result, one
// call at a time, in the order of o.Ports. It returns nil once every port
// is reported; otherwise ctx's error, a *LocalError, or report's error,
// which stop the scan (no report follows them).
func Run(ctx context.Context, o Options, report func(Result) error) error {
	n := o.Concurrency
	if n <= 0 {
		n = DefaultConcurrency()
	}
	n = min(n, len(o.Ports))
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	s := &scan{o: o, results: make(chan indexed, n)}
	var workers, emitter sync.WaitGroup
	emitter.Go(func() { s.emit(ctx, cancel, report) })
	for range n {
		workers.Go(func() { s.work(ctx, cancel) })
	}
	workers.Wait()
	close(s.results)
	emitter.Wait()
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return nil
}

type indexed struct {
	i   int
	err error
}

type scan struct {
	o       Options
	next    atomic.Int64 // index of the next port to probe
	results chan indexed // one per probed port
}

// work probes ports until none are left or the scan stops.
func (s *scan) work(ctx context.Context, stop context.CancelCauseFunc) {
	p := s.newProber()
	defer p.close()
	for ctx.Err() == nil {
		i := int(s.next.Add(1) - 1)
		if i >= len(s.o.Ports) {
			return
		}
		err := p.probe(ctx, netip.AddrPortFrom(s.o.Addr, s.o.Ports[i]))
		if isLocal(err) {
			var le *LocalError
			if !errors.As(err, &le) {
				err = &LocalError{Err: err}
			}
			stop(err)
			return
		}
		s.results <- indexed{i, err}
	}
}

// emit reports results in port order as they become complete, and drains
// the rest without reporting once the scan has stopped.
func (s *scan) emit(ctx context.Context, stop context.CancelCauseFunc, report func(Result) error) {
	got := make([]error, len(s.o.Ports))
	have := make([]bool, len(s.o.Ports))
	next := 0
	for r := range s.results {
		got[r.i], have[r.i] = r.err, true
		for next < len(have) && have[next] && ctx.Err() == nil {
			if err := report(Result{Port: s.o.Ports[next], Err: got[next]}); err != nil {
				stop(err)
			}
			got[next] = nil
			next++
		}
	}
}

func (s *scan) newProber() prober {
	switch {
	case s.o.UDP:
		wait := s.o.Wait
		if wait <= 0 {
			wait = UDPWait
		}
		return &udpProber{dial: s.o.Dial, wait: wait}
	case s.o.Dial != nil:
		return &dialProber{dial: s.o.Dial, timeout: s.o.Timeout}
	case s.o.Addr.Zone() != "": // a scoped IPv6 address: net resolves the zone
		return &dialProber{dial: netDial, timeout: s.o.Timeout}
	}
	return newSocketProber(s.o.Timeout)
}

// isLocal says err is about this machine's resources, not the port.
func isLocal(err error) bool {
	var le *LocalError
	return errors.As(err, &le) || errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)
}

// dialProber probes with a dial function: the portable path, and the one
// used when the connection needs more than the socket prober offers (a
// source address or port).
type dialProber struct {
	dial    func(ctx context.Context, addr netip.AddrPort) (net.Conn, error)
	timeout time.Duration
}

func (p *dialProber) probe(ctx context.Context, addr netip.AddrPort) error {
	if p.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.timeout)
		defer cancel()
	}
	c, err := p.dial(ctx, addr)
	if err != nil {
		return err
	}
	c.Close() // the port answered; how the close goes says nothing more
	return nil
}

func (p *dialProber) close() {}

// netDial is the dial function of the portable prober.
func netDial(ctx context.Context, addr netip.AddrPort) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr.String())
}

// udpProber sends one NUL byte from a connected UDP socket and waits for
// the ICMP error that a closed port answers with, which the kernel reports
// on that socket as ECONNREFUSED.
type udpProber struct {
	dial func(ctx context.Context, addr netip.AddrPort) (net.Conn, error) // nil: net.Dialer
	wait time.Duration
}

func (p *udpProber) probe(ctx context.Context, addr netip.AddrPort) error {
	var c net.Conn
	var err error
	if p.dial != nil {
		c, err = p.dial(ctx, addr)
	} else {
		var d net.Dialer
		c, err = d.DialContext(ctx, "udp", addr.String())
	}
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SetReadDeadline(time.Now().Add(p.wait)); err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { c.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := c.Write([]byte{0}); err != nil {
		return err
	}
	var b [1]byte
	_, err = c.Read(b[:])
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case err == nil, errors.Is(err, os.ErrDeadlineExceeded):
		return nil // an answer, or silence: open or filtered
	}
	return err
}

func (p *udpProber) close() {}
