//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The broker load is fixed-size lines: a kind byte, a sequence number and
// the send time in hex, padding and a newline. Receivers find line starts
// by counting bytes, so they never scan for newlines after the first one.
const (
	lineLen  = 64
	kindSync = 'S' // sent until every receiver has one: all have joined
	kindData = 'D' // measured
	kindEnd  = 'E' // the sender is done
)

// makeLine writes one line of kind into l (lineLen bytes).
func makeLine(l []byte, kind byte, seq uint64, sent time.Duration) {
	l[0] = kind
	putHex(l[1:17], seq)
	l[17] = ' '
	putHex(l[18:34], uint64(sent))
	for i := 34; i < lineLen-1; i++ {
		l[i] = '.'
	}
	l[lineLen-1] = '\n'
}

func putHex(dst []byte, v uint64) {
	const digits = "0123456789abcdef"
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = digits[v&15]
		v >>= 4
	}
}

func parseHex(src []byte) (uint64, bool) {
	var v uint64
	for _, c := range src {
		switch {
		case '0' <= c && c <= '9':
			v = v<<4 | uint64(c-'0')
		case 'a' <= c && c <= 'f':
			v = v<<4 | uint64(c-'a'+10)
		default:
			return 0, false
		}
	}
	return v, true
}

// A receiver is one member of the room that reads and counts what the
// sender's lines, and samples their latency.
type receiver struct {
	c      net.Conn
	base   time.Time // the clock of the sent times
	every  int64     // sample the latency of every every-th data line; 0: none
	chat   bool      // lines come from a chat room: prefixed, with announcements
	synced atomic.Bool
	quit   atomic.Bool  // set before closing c: the read error that follows is not a failure
	lines  atomic.Int64 // data lines received
	// mangled counts chat lines that arrived with a prefix inside them.
	mangled atomic.Int64
	end     time.Duration
	lat     []time.Duration
}

// run reads until the end line, an error or ctx's end. onSync is called
// once, at the first sync line.
func (r *receiver) run(ctx context.Context, onSync func()) error {
	defer context.AfterFunc(ctx, func() { r.c.Close() })()
	if r.chat {
		return r.runChat(ctx, onSync)
	}
	buf := make([]byte, 32<<10)
	have := 0
	aligned := false
	for {
		n, err := r.c.Read(buf[have:])
		if err != nil {
			if ctx.Err() != nil || r.quit.Load() {
				return nil
			}
			return fmt.Errorf("receiver: %w", err)
		}
		now := time.Since(r.base)
		have += n
		p := buf[:have]
		if !aligned { // a member may join in the middle of a line
			i := slices.Index(p, '\n')
			if i < 0 {
				have = 0
				continue
			}
			p, aligned = p[i+1:], true
		}
		for len(p) >= lineLen {
			l := p[:lineLen]
			p = p[lineLen:]
			if l[lineLen-1] != '\n' {
				return fmt.Errorf("receiver: line out of step: %q", l)
			}
			if r.take(l, now, onSync) {
				return nil
			}
		}
		have = copy(buf, p)
	}
}

// runChat is run for a chat room, where lines are found by their newline:
// the sender's lines arrive behind a "<userN> " prefix (gnc: on every
// line; ncat: on the first line of each chunk it read), among
// "<announce> " lines that are not counted.
func (r *receiver) runChat(ctx context.Context, onSync func()) error {
	buf := make([]byte, 32<<10)
	have := 0
	for {
		n, err := r.c.Read(buf[have:])
		if err != nil {
			if ctx.Err() != nil || r.quit.Load() {
				return nil
			}
			return fmt.Errorf("receiver: %w", err)
		}
		now := time.Since(r.base)
		have += n
		p := buf[:have]
		for {
			i := bytes.IndexByte(p, '\n')
			if i < 0 {
				break
			}
			l := p[:i+1]
			p = p[i+1:]
			if l[0] == '<' {
				j := bytes.Index(l, []byte("> "))
				if j < 0 || bytes.HasPrefix(l, []byte("<announce> ")) {
					continue
				}
				l = l[j+2:]
			}
			if len(l) != lineLen {
				if l = unsplice(l); len(l) != lineLen {
					return fmt.Errorf("receiver: line out of step: %q", l)
				}
				r.mangled.Add(1)
			}
			if done := r.take(l, now, onSync); done {
				return nil
			}
		}
		if len(p) == len(buf) {
			return fmt.Errorf("receiver: no newline in %d bytes", len(buf))
		}
		have = copy(buf, p)
	}
}

// unsplice removes a "<userN> " prefix from inside l: ncat prefixes each
// chunk it reads, and a chunk may begin in the middle of a line.
func unsplice(l []byte) []byte {
	i := bytes.Index(l, []byte("<user"))
	if i < 0 {
		return l
	}
	j := bytes.Index(l[i:], []byte("> "))
	if j < 0 {
		return l
	}
	return append(l[:i:i], l[i+j+2:]...)
}

// take counts one whole line received at now; it reports the end line.
func (r *receiver) take(l []byte, now time.Duration, onSync func()) (end bool) {
	switch l[0] {
	case kindData:
		k := r.lines.Add(1)
		if r.every > 0 && k%r.every == 0 {
			if sent, ok := parseHex(l[18:34]); ok {
				r.lat = append(r.lat, now-time.Duration(sent))
			}
		}
	case kindSync:
		if !r.synced.Swap(true) {
			onSync()
		}
	case kindEnd:
		r.end = now
		return true
	}
	return false
}

// dialRoom connects n members to 127.0.0.1:port, at most inflight at a
// time. With smallBuf the receive buffer is set to 4 KiB before connecting.
func dialRoom(ctx context.Context, port, n, inflight int, smallBuf bool) ([]net.Conn, error) {
	d := net.Dialer{Timeout: 10 * time.Second}
	if smallBuf {
		d.Control = func(_, _ string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
			})
			return errors.Join(err, serr)
		}
	}
	addr := net.JoinHostPort(loopback, strconv.Itoa(port))
	conns := make([]net.Conn, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, inflight) // one slot per dialer
	for range inflight {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				c, err := d.DialContext(ctx, "tcp", addr)
				if err != nil {
					errc <- err
					return
				}
				conns[i] = c
			}
		})
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		closeAll(conns)
		return nil, err
	}
	return conns, nil
}

func closeAll(conns []net.Conn) {
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
}

// syncRoom sends sync lines on sender until every receiver has one, so all
// have joined before the measurement starts.
func syncRoom(ctx context.Context, sender net.Conn, synced *sync.WaitGroup) error {
	done := make(chan struct{})
	go func() { synced.Wait(); close(done) }() // ends when the receivers do
	line := make([]byte, lineLen)
	makeLine(line, kindSync, 0, 0)
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	limit := time.NewTimer(20 * time.Second)
	defer limit.Stop()
	for {
		if _, err := sender.Write(line); err != nil {
			return fmt.Errorf("sender: %w", err)
		}
		select {
		case <-done:
			return nil
		case <-t.C:
		case <-limit.C:
			return errors.New("not every member joined within 20 s")
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// sendLines sends data lines for d: as fast as it can in 64-line writes,
// or with paced one line per interval. Each line carries the time it was
// written, measured from base. It ends with an end line.
func sendLines(ctx context.Context, sender net.Conn, base time.Time, d, pace time.Duration) error {
	defer context.AfterFunc(ctx, func() { sender.Close() })()
	batch := 64
	if pace > 0 {
		batch = 1
	}
	buf := make([]byte, batch*lineLen)
	var tick *time.Ticker
	if pace > 0 {
		tick = time.NewTicker(pace)
		defer tick.Stop()
	}
	var seq uint64
	stop := time.Since(base) + d
	for {
		now := time.Since(base)
		if now >= stop {
			break
		}
		for i := range batch {
			makeLine(buf[i*lineLen:(i+1)*lineLen], kindData, seq, now)
			seq++
		}
		if _, err := sender.Write(buf); err != nil {
			return fmt.Errorf("sender: %w", err)
		}
		if tick != nil {
			select {
			case <-tick.C:
			case <-ctx.Done():
				return nil
			}
		}
	}
	makeLine(buf[:lineLen], kindEnd, seq, time.Since(base))
	if _, err := sender.Write(buf[:lineLen]); err != nil {
		return fmt.Errorf("sender: %w", err)
	}
	return nil
}

// percentile returns the p-th percentile (0 < p < 1) of sorted ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return ds[min(len(ds)-1, int(float64(len(ds))*p))]
}
