package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// scriptedListener is a fake listener for synctest: each Accept takes the
// next step of its script (nil = a connection, else that error); after the
// script it blocks until Close. It records when each Accept was called.
type scriptedListener struct {
	script []error
	closed chan struct{}
	once   sync.Once

	mu    sync.Mutex
	calls []time.Time
}

func newScriptedListener(script ...error) *scriptedListener {
	return &scriptedListener{script: script, closed: make(chan struct{})}
}

func (l *scriptedListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	i := len(l.calls)
	l.calls = append(l.calls, time.Now())
	l.mu.Unlock()
	select {
	case <-l.closed:
		return nil, net.ErrClosed
	default:
	}
	if i < len(l.script) {
		if l.script[i] != nil {
			return nil, l.script[i]
		}
		c1, c2 := net.Pipe()
		c2.Close()
		return c1, nil
	}
	<-l.closed
	return nil, net.ErrClosed
}

func (l *scriptedListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *scriptedListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

// gaps returns the time between consecutive Accept calls.
func (l *scriptedListener) gaps() []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var g []time.Duration
	for i := 1; i < len(l.calls); i++ {
		g = append(g, l.calls[i].Sub(l.calls[i-1]))
	}
	return g
}

var errEMFILE = &net.OpError{Op: "accept", Net: "tcp", Err: syscall.EMFILE}

func repeatErr(n int) []error {
	s := make([]error, n)
	for i := range s {
		s[i] = errEMFILE
	}
	return s
}

const ms = time.Millisecond

// Failed Accepts are retried after 5 ms, doubling to a 1 s cap; a good
// Accept resets the delay.
func TestAcceptLoopBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		script := append(repeatErr(10), nil)
		script = append(script, repeatErr(3)...)
		ln := newScriptedListener(script...)
		var logs []string
		handled := 0
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() {
			done <- AcceptLoop(ctx, ln, func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }, func(c net.Conn) {
				handled++
				c.Close()
			})
		}()
		time.Sleep(time.Minute) // long past the script's last backoff
		synctest.Wait()         // blocked in Accept after the script
		want := []time.Duration{5 * ms, 10 * ms, 20 * ms, 40 * ms, 80 * ms, 160 * ms, 320 * ms, 640 * ms, 1000 * ms, 1000 * ms,
			0,                        // the good Accept: no wait
			5 * ms, 10 * ms, 20 * ms} // reset after success
		got := ln.gaps()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("delays between Accepts = %v\nwant %v", got, want)
		}
		if handled != 1 {
			t.Errorf("handled %d connections, want 1", handled)
		}
		if len(logs) != 13 || logs[0] != "accept: accept tcp: too many open files; retrying in 5ms" {
			t.Errorf("logs (%d) = %q", len(logs), logs)
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("AcceptLoop = %v, want context.Canceled", err)
		}
	})
}

// Cancelling ctx during a backoff wait returns at once and closes the
// listener (serveOne relies on that to refuse later clients on the other
// family's socket); a nil logf is fine. The cancel races with the loop's
// deferred stop of its context.AfterFunc, so the scenario runs many times.
func TestAcceptLoopCancelDuringBackoff(t *testing.T) {
	leftOpen := 0
	const runs = 100
	for range runs {
		synctest.Test(t, func(t *testing.T) {
			ln := newScriptedListener(repeatErr(100)...)
			ctx, cancel := context.WithCancel(t.Context())
			start := time.Now()
			done := make(chan error, 1)
			go func() { done <- AcceptLoop(ctx, ln, nil, func(c net.Conn) { c.Close() }) }()
			time.Sleep(100 * ms) // in the 80 ms wait that started at 75 ms
			cancel()
			err := <-done
			if !errors.Is(err, context.Canceled) {
				t.Errorf("AcceptLoop = %v, want context.Canceled", err)
			}
			if took := time.Since(start); took != 100*ms {
				t.Errorf("returned %v after start, want 100ms (at the cancel)", took)
			}
			synctest.Wait() // the context's AfterFunc runs in its own goroutine
			select {
			case <-ln.closed:
			default:
				leftOpen++
				ln.Close()
			}
		})
	}
	if leftOpen > 0 {
		// cancelCtx.cancel closes Done before it runs its children's
		// cancel, so the loop can wake from <-ctx.Done() and run the
		// deferred stop() first; stop then wins the AfterFunc's sync.Once
		// and ln.Close never runs.
		t.Errorf("in %d of %d runs AcceptLoop returned on ctx cancel during a backoff wait without closing the listener "+
			"(the deferred AfterFunc stop() beat the cancel propagation)", leftOpen, runs)
	}
}

// Closing the listener ends the loop with net.ErrClosed; connections go to
// handle.
func TestAcceptLoopRealListener(t *testing.T) {
	ctx := testCtx(t)
	for _, fam := range []struct{ network, addr string }{{"tcp4", "127.0.0.1:0"}, {"tcp6", "[::1]:0"}} {
		t.Run(fam.network, func(t *testing.T) {
			if fam.network == "tcp6" {
				requireIPv6(t)
			}
			ln := listenTCP(t, fam.network, fam.addr)
			conns := make(chan net.Conn, 3)
			done := make(chan error, 1)
			go func() { done <- AcceptLoop(ctx, ln, nil, func(c net.Conn) { conns <- c }) }()
			for range 3 {
				c, err := net.Dial(fam.network, ln.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				c.Close()
				select {
				case s := <-conns:
					s.Close()
				case <-ctx.Done():
					t.Fatal("connection not handed to handle")
				}
			}
			ln.Close()
			select {
			case err := <-done:
				if !errors.Is(err, net.ErrClosed) {
					t.Errorf("AcceptLoop = %v, want net.ErrClosed", err)
				}
			case <-ctx.Done():
				t.Fatal("AcceptLoop did not return after Close")
			}
		})
	}
}

// Cancelling ctx while Accept blocks on a real listener closes it and
// returns ctx's error.
func TestAcceptLoopCancelRealListener(t *testing.T) {
	ctx := testCtx(t)
	ln := listenTCP(t, "tcp4", "127.0.0.1:0")
	loopCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- AcceptLoop(loopCtx, ln, nil, func(c net.Conn) { c.Close() }) }()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("AcceptLoop = %v, want context.Canceled", err)
		}
	case <-ctx.Done():
		t.Fatal("AcceptLoop did not return after cancel")
	}
	if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("listener still open after cancel: %v", err)
	}
}
