package relay

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"gnc/internal/conntrack"
)

// Stats counts a session's payload bytes.
type Stats struct {
	Sent, Received int64
}

// PeerError is the connection failing (reset, refused, broken), as opposed
// to the session ending by the EOF rules.
type PeerError struct{ Err error }

func (e *PeerError) Error() string { return e.Err.Error() }
func (e *PeerError) Unwrap() error { return e.Err }

type closeWriter interface{ CloseWrite() error }

// deadlineReader is stdin when it can be interrupted (a pollable *os.File).
type deadlineReader interface{ SetReadDeadline(time.Time) error }

type copyResult struct {
	n                 int64
	readErr, writeErr error
}

// Run relays between stdin/stdout and conn until the session ends by ncat's
// rules (see Options), closes conn and returns the byte counts. It returns
// nil when the session ended normally, an *IdleError, a *PeerError, or
// ctx's error.
//
// Run waits for both of its copiers, with two exceptions left to end with
// the process: a read of stdin that cannot be interrupted (stdin without
// read deadlines; gnc makes pipe and terminal stdin pollable), and, once
// ctx is cancelled, a write to a stdout that is not being read.
func Run(ctx context.Context, conn net.Conn, stdin io.Reader, stdout io.Writer, o Options) (Stats, error) {
	s := &session{conn: conn, stdin: stdin, stdout: stdout, o: o, done: make(chan struct{})}
	s.track = o.Track
	if s.track == nil {
		s.track = o.Conns.TrackConn(conn)
	}
	defer s.track.Close()
	if o.IdleTimeout > 0 {
		s.idle = newIdleWatch(o.IdleTimeout)
	}
	upc := make(chan copyResult, 1)
	downc := make(chan copyResult, 1)
	if o.RecvOnly {
		upc = nil
	} else {
		go s.upstream(upc)
	}
	if o.SendOnly {
		downc = nil
	} else {
		go s.downstream(downc)
	}
	return s.wait(ctx, upc, downc)
}

type session struct {
	conn   net.Conn
	stdin  io.Reader
	stdout io.Writer
	o      Options
	idle   *idleWatch
	done   chan struct{}
	track  *conntrack.Conn // nil: not in a connection table
	// sentFIN is set before the upstream copier half-closes.
	sentFIN atomic.Bool
}

func (s *session) wait(ctx context.Context, upc, downc chan copyResult) (Stats, error) {
	var stats Stats
	var quitC <-chan time.Time
	var idleC <-chan time.Time
	var idleTimer *time.Timer
	if s.idle != nil {
		idleTimer = time.NewTimer(s.o.IdleTimeout)
		defer idleTimer.Stop()
		idleC = idleTimer.C
	}
	stdinDone, peerDone := upc == nil, downc == nil
	end := func(err error) (Stats, error) {
		upDone := s.finish(upc, downc)
		if r, ok := <-upDone; ok {
			stats.Sent += r.n
		}
		if downc != nil {
			if ctx.Err() != nil {
				// Cancelled (a signal): the reader may be blocked writing
				// a stdout nobody reads, which closing the connection
				// cannot interrupt; it ends with the process.
				select {
				case r := <-downc:
					stats.Received += r.n
				default:
				}
			} else {
				stats.Received += (<-downc).n
			}
		}
		return stats, err
	}
	for {
		select {
		case r := <-upc:
			upc, stdinDone = nil, true
			stats.Sent += r.n
			if r.writeErr != nil && !peerDone {
				err := r.writeErr
				if !s.o.Datagram {
					// A failed send means the connection is gone, so the
					// reader ends at once; its error is the one that names
					// what happened (a reset, rather than the broken pipe a
					// later write sees).
					d := <-downc
					downc = nil
					stats.Received += d.n
					if d.readErr != nil {
						err = d.readErr
					}
				}
				return end(&PeerError{Err: err})
			}
			switch {
			case s.o.SendOnly, peerDone:
				return end(nil)
			case s.o.QuitAfterEOF == 0:
				return end(nil)
			case s.o.QuitAfterEOF > 0:
				quitC = time.After(s.o.QuitAfterEOF)
			case s.o.StdinEOFEnds:
				return end(nil)
			}
		case r := <-downc:
			downc, peerDone = nil, true
			stats.Received += r.n
			if r.readErr != nil {
				return end(&PeerError{Err: r.readErr})
			}
			if r.writeErr != nil {
				return end(r.writeErr)
			}
			if s.o.HoldAfterPeerEOF && !stdinDone {
				continue
			}
			return end(nil)
		case <-quitC:
			return end(nil)
		case <-idleC:
			left := s.idle.remaining()
			if left <= 0 {
				return end(&IdleError{Timeout: s.o.IdleTimeout})
			}
			idleTimer.Reset(left)
		case <-ctx.Done():
			return end(ctx.Err())
		}
	}
}

// finish stops both copiers: it closes the connection and interrupts a
// blocked stdin read. It returns upc if that copier can be waited for, or a
// closed channel if it cannot be interrupted.
func (s *session) finish(upc, downc chan copyResult) <-chan copyResult {
	close(s.done)
	s.conn.Close()
	if upc == nil {
		return closedResults
	}
	if dr, ok := s.stdin.(deadlineReader); ok && dr.SetReadDeadline(time.Now()) == nil {
		// The copier observes the deadline; clear it once it has.
		out := make(chan copyResult, 1)
		r := <-upc
		dr.SetReadDeadline(time.Time{})
		out <- r
		return out
	}
	if f, isFile := s.stdin.(*os.File); isFile {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			return upc // reads of a regular file never block for long
		}
	}
	// The copier may be blocked for good; keep its result if it has one.
	select {
	case r := <-upc:
		out := make(chan copyResult, 1)
		out <- r
		return out
	default:
		return closedResults
	}
}

var closedResults = func() chan copyResult {
	c := make(chan copyResult)
	close(c)
	return c
}()

// upstream copies stdin to the connection, then half-closes it.
func (s *session) upstream(out chan<- copyResult) {
	var r copyResult
	if s.o.needsUserCopy() {
		size := streamChunk
		if s.o.Datagram {
			size = s.o.datagramSize()
		}
		p := pump{dst: s.conn, reader: s.stdin, bufSize: size, log: s.o.Log, idle: s.idle, delay: s.o.Delay, done: s.done}
		if s.o.CRLF {
			p.transform = new(crlfConverter).convert
		}
		if s.track != nil {
			p.onWrite = s.track.AddOut
		}
		r.n, r.readErr, r.writeErr = p.run()
	} else if wrapped(s.conn) {
		r.n, r.readErr, r.writeErr = copyPooled(s.conn, s.stdin, toConnBuffers, s.track.AddOut)
	} else {
		var err error
		r.n, err = copyStdin(s.conn, s.stdin, s.track)
		r.readErr, r.writeErr = splitCopyError(err)
	}
	if r.writeErr == nil && !s.o.NoShutdown && !s.o.Datagram {
		if cw, ok := s.conn.(closeWriter); ok {
			s.sentFIN.Store(true)
			cw.CloseWrite()
		}
	}
	out <- r
}

// downstream copies the connection to stdout.
func (s *session) downstream(out chan<- copyResult) {
	var r copyResult
	if s.o.needsUserCopy() {
		size := streamChunk
		if s.o.Datagram {
			size = DatagramBuffer
		}
		p := pump{dst: s.stdout, reader: s.conn, bufSize: size, logRaw: true, log: s.o.Log, idle: s.idle, delay: s.o.Delay, done: s.done}
		if s.o.Telnet {
			p.transform = telnetTransform(s.conn)
		}
		if s.track != nil {
			p.onRead = s.track.AddIn
		}
		// Reading the connection is the "read" side here: its errors are
		// the peer's; stdout's are ours.
		r.n, r.readErr, r.writeErr = p.run()
	} else if wrapped(s.conn) {
		r.n, r.readErr, r.writeErr = copyPooled(s.stdout, s.conn, fromConnBuffers, s.track.AddIn)
	} else {
		var err error
		r.n, err = copyToStdout(s.stdout, s.conn, s.track)
		r.writeErr, r.readErr = splitDownstreamError(err)
	}
	if isClosedByUs(r.readErr) {
		r.readErr = nil
	}
	if r.readErr == nil && !s.sentFIN.Load() && wasReset(s.conn) {
		// The reset was reported to a concurrent send, which consumed the
		// socket's error; this read then saw a plain end of stream. (Once
		// our FIN is out, a closed socket may just be in TIME_WAIT.)
		r.readErr = &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	}
	if c, ok := s.stdout.(io.Closer); ok && s.o.CloseStdoutAtPeerEOF {
		c.Close()
	}
	out <- r
}

// splitCopyError separates an io.Copy error from stdin to the connection
// into the stdin side and the socket side (which may come wrapped as an
// *os.SyscallError from sendfile).
func splitCopyError(err error) (stdinErr, connErr error) {
	var opErr *net.OpError
	switch {
	case err == nil:
		return nil, nil
	case errors.As(err, &opErr), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, net.ErrClosed):
		return nil, err
	}
	return err, nil
}

// splitDownstreamError separates an error from copying the connection to
// stdout into stdout's side and the connection's: the socket errors that
// mean the peer or the network failed belong to the connection.
func splitDownstreamError(err error) (stdoutErr, connErr error) {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "writeto" {
		// net wraps everything its WriteTo met; look inside.
		if inner, _ := splitDownstreamError(opErr.Err); inner != nil {
			return err, nil
		}
		return nil, err
	}
	switch {
	case err == nil:
		return nil, nil
	case errors.As(err, &opErr), errors.Is(err, net.ErrClosed), errors.Is(err, os.ErrDeadlineExceeded),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ETIMEDOUT), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return nil, err
	}
	return err, nil
}

func isClosedByUs(err error) bool {
	return errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrDeadlineExceeded)
}
