package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

	"gnc/internal/relay"
	"gnc/internal/transport"
	"gnc/internal/udpmux"
)

func (e *env) listenOptions() transport.ListenOptions {
	c := e.cfg
	return transport.ListenOptions{Network: c.network(), Family: c.Family, Host: c.Host, Port: c.Port, NoDNS: c.NoDNS}
}

// listen runs ncat's listen modes.
func (e *env) listen(ctx context.Context) error {
	c := e.cfg
	stopAccess, err := e.startAccess(ctx)
	if err != nil {
		return err
	}
	defer stopAccess()
	if c.Broker {
		return e.serveBroker(ctx)
	}
	if c.ProxyType != "" {
		return e.serveProxy(ctx)
	}
	if !c.KeepOpen && c.MaxConns != DefaultConfig().MaxConns {
		e.printf("Warning: Maximum connections ignored, since it does not take effect without -k or --broker.")
	}
	if e.prog != nil {
		return e.listenExec(ctx)
	}
	if c.UDP {
		pcs, err := transport.ListenPacket(ctx, e.listenOptions())
		if err != nil {
			return listenError(err)
		}
		e.trackListeners(nil, pcs)
		defer e.untrackListeners()
		if c.TLS.Enabled {
			lns, secure, err := e.dtlsListeners(pcs)
			if err != nil {
				return err
			}
			for _, ln := range lns {
				e.announceListener(ln.Addr())
			}
			if c.KeepOpen {
				return e.serveMany(ctx, lns, secure)
			}
			return e.serveOne(ctx, lns, secure)
		}
		for _, pc := range pcs {
			e.announceListener(pc.LocalAddr())
		}
		if c.KeepOpen {
			return e.serveUDPPeers(ctx, pcs)
		}
		return e.serveOneUDPPeer(ctx, pcs)
	}
	lns, secure, err := e.listenStream(ctx)
	if err != nil {
		return err
	}
	defer e.untrackListeners()
	if c.KeepOpen {
		return e.serveMany(ctx, lns, secure)
	}
	return e.serveOne(ctx, lns, secure)
}

// listenStream opens a stream listen mode's sockets, announced and in the
// connection table (until untrackListeners), with the TLS handshake of
// --ssl (nil without it).
func (e *env) listenStream(ctx context.Context) ([]net.Listener, secureFunc, error) {
	secure, err := e.tlsListener()
	if err != nil {
		return nil, nil, err
	}
	lns, err := transport.Listen(ctx, e.listenOptions())
	if err != nil {
		return nil, nil, listenError(err)
	}
	for _, ln := range lns {
		e.announceListener(ln.Addr())
	}
	e.trackListeners(lns, nil)
	return lns, secure, nil
}

func listenError(err error) error {
	return &FatalError{Err: err}
}

func (e *env) announceListener(a net.Addr) {
	e.verbosef("Listening on %s", peerName(a, e.cfg.Host))
	if e.cfg.Test {
		e.errMu.Lock()
		e.clearProgressLine()
		fmt.Fprintln(e.stderr, "NCAT TEST: LISTEN")
		e.errMu.Unlock()
	}
}

// announceClient logs a new client as ncat does: the address alone, then
// with its port (TCP); Unix clients have neither.
func (e *env) announceClient(a net.Addr) {
	if e.cfg.Verbose == 0 {
		return
	}
	switch a.(type) {
	case *net.TCPAddr:
		e.verbosef("Connection from %s.", transport.FormatIP(a))
		e.verbosef("Connection from %s.", transport.FormatAddr(a))
	case *net.UDPAddr:
		e.verbosef("Connection from %s.", transport.FormatIP(a))
	default:
		e.verbosef("Connection from a client on Unix domain socket.")
	}
}

// serveOne accepts the first client on any listener, closes the listeners,
// and relays with it as ncat's single-connection mode does. With TLS
// or DTLS (secure not nil) the first client is the first whose handshake
// succeeds; one that fails is dropped and the listener goes on.
func (e *env) serveOne(ctx context.Context, lns []net.Listener, secure secureFunc) error {
	conn := e.acceptFirst(ctx, lns, secure)
	if conn == nil {
		return ctx.Err()
	}
	e.conns.CountAccepted()
	if secure == nil {
		e.announceClient(conn.RemoteAddr())
	}
	_, err := relay.Run(ctx, conn, e.stdin, e.stdout, e.relayOptions())
	return listenSessionError(err)
}

// acceptFirst returns the first client of any listener that --allow/--deny
// admit and, with secure, whose handshake succeeds, and closes the
// listeners; nil when ctx ends first. With secure the client has been
// announced already.
func (e *env) acceptFirst(ctx context.Context, lns []net.Listener, secure secureFunc) net.Conn {
	first := make(chan net.Conn, len(lns))
	var wg sync.WaitGroup
	acceptCtx, stopAccepting := context.WithCancel(ctx)
	for _, ln := range lns {
		wg.Go(func() {
			transport.AcceptLoop(acceptCtx, ln, e.logfOrNil(), func(c net.Conn) {
				if !e.admitConn(c) {
					return // a refused client does not end the wait
				}
				if secure != nil {
					// The handshake runs in the accept loop: until one
					// succeeds there is no session, and later clients
					// wait in the backlog.
					e.announceClient(c.RemoteAddr())
					if c = secure(acceptCtx, c); c == nil {
						return
					}
				}
				// Closing ln here makes this loop's next Accept fail, so
				// each loop sends at most once and first never blocks.
				ln.Close()
				first <- c
				stopAccepting()
			})
		})
	}
	var conn net.Conn
	select {
	case conn = <-first:
	case <-ctx.Done():
	}
	stopAccepting()
	wg.Wait()
	e.untrackListeners() // closed now
	close(first)
	for extra := range first { // a second client that raced the first
		if conn == nil {
			conn = extra
		} else {
			extra.Close()
		}
	}
	return conn
}

// listenSessionError is sessionError for listen mode, where ncat's idle
// timeout is fatal (exit 2).
func listenSessionError(err error) error {
	var idle *relay.IdleError
	if errors.As(err, &idle) {
		return &FatalError{Err: err}
	}
	return sessionError(err)
}

// serveMany is listen -k: clients come and go, up to -m at once; stdin goes
// to all of them.
func (e *env) serveMany(ctx context.Context, lns []net.Listener, secure secureFunc) error {
	c := e.cfg
	hub := relay.NewHub(e.stdout, e.relayOptions(), e.verbosef)
	signalled := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stdoutFailure := watchStdout(hub, cancel)
	hs := e.newHandshaker(ctx, secure, hub.Len)
	var wg sync.WaitGroup
	for _, ln := range lns {
		wg.Go(func() {
			transport.AcceptLoop(ctx, ln, e.verbosef, func(conn net.Conn) {
				if !e.admitConn(conn) {
					return
				}
				e.announceClient(conn.RemoteAddr())
				hs.admit(conn, func(conn net.Conn) bool {
					ok := hub.AddConn(conn, c.MaxConns)
					if ok {
						e.conns.CountAccepted()
					}
					return ok
				})
			})
		})
	}
	err := e.runStdinThenWait(ctx, hub.RunStdin)
	cancel()
	if signalled.Err() != nil {
		// An accept loop reads a new client's first bytes itself and may
		// be blocked writing them to a stdout nobody reads: like the
		// members' goroutines (see Hub.Abort), it ends with the process.
		// The listeners are closed here, not left to the loops, so that a
		// Unix socket file is removed before gnc exits.
		hub.Abort()
		for _, ln := range lns {
			ln.Close()
		}
	} else {
		wg.Wait()
		hs.wait()
		hub.Close()
	}
	if failed := stdoutFailure(); failed != nil {
		return failed
	}
	return err
}

// runStdinThenWait feeds stdin to a server's clients with run (a hub's
// RunStdin) and then keeps the server up until ctx ends, or, after stdin
// EOF, until --send-only or -q end it.
func (e *env) runStdinThenWait(ctx context.Context, run func(context.Context, io.Reader) error) error {
	if err := e.feedStdin(ctx, run); err != nil {
		return ignoreCancel(err)
	}
	switch q := e.cfg.QuitAfterEOF; {
	case e.cfg.SendOnly, q == 0:
		return nil
	case q > 0:
		t := newTimer(q)
		defer t.Stop()
		select {
		case <-t.C:
			return nil
		case <-ctx.Done():
			return ignoreCancel(ctx.Err())
		}
	}
	<-ctx.Done()
	return ignoreCancel(ctx.Err())
}

func ignoreCancel(err error) error {
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// serveOneUDPPeer is UDP listen without -k: the first datagram's sender
// becomes the peer (the socket is connected to it, so others get ICMP
// errors, as with ncat) and the session runs until killed or idle.
func (e *env) serveOneUDPPeer(ctx context.Context, pcs []net.PacketConn) error {
	type first struct {
		pc   net.PacketConn
		data []byte
		from net.Addr
	}
	got := make(chan first, len(pcs))
	var wg sync.WaitGroup
	for _, pc := range pcs {
		wg.Go(func() {
			buf := make([]byte, relay.DatagramBuffer)
			for {
				n, from, err := pc.ReadFrom(buf)
				if err == nil && !e.admit(from) {
					continue // dropped
				}
				if err == nil {
					got <- first{pc, buf[:n], from}
					return
				}
				if errors.Is(err, net.ErrClosed) {
					return
				}
			}
		})
	}
	var winner first
	select {
	case winner = <-got:
	case <-ctx.Done():
	}
	for _, pc := range pcs {
		if pc != winner.pc {
			pc.Close()
		}
	}
	if winner.pc == nil {
		wg.Wait()
		return ignoreCancel(ctx.Err())
	}
	wg.Wait()
	e.untrackListeners()
	e.conns.CountAccepted()
	e.announceClient(winner.from)
	conn, ok := winner.pc.(net.Conn)
	if !ok || transport.ConnectPacket(winner.pc, winner.from) != nil {
		winner.pc.Close()
		return fmt.Errorf("cannot reply to %v", winner.from)
	}
	// What others sent before the connect is still queued: only the
	// peer's datagrams go on.
	queued, err := transport.TakeQueued(winner.pc, winner.from, relay.DatagramBuffer)
	if err != nil && !errors.Is(err, errors.ErrUnsupported) {
		winner.pc.Close()
		return fmt.Errorf("reading from %v: %s", winner.from, transport.Describe(err))
	}
	o := e.relayOptions()
	o.Track = e.conns.TrackSocket(conn, conn.LocalAddr(), winner.from)
	for _, d := range append([][]byte{winner.data}, queued...) {
		e.log.Record(d)
		e.stdout.Write(d)
		o.Track.AddIn(int64(len(d)))
	}
	_, err = relay.Run(ctx, conn, e.stdin, e.stdout, o)
	return listenSessionError(ignoreCancel(err))
}

// serveUDPPeers is UDP listen -k: each source address is a member.
func (e *env) serveUDPPeers(ctx context.Context, pcs []net.PacketConn) error {
	c := e.cfg
	hub := relay.NewHub(e.stdout, e.relayOptions(), e.verbosef)
	signalled := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stdoutFailure := watchStdout(hub, cancel)
	var wg sync.WaitGroup
	for _, pc := range pcs {
		wg.Go(func() {
			udpmux.Serve(ctx, pc, hub, udpmux.Options{
				MaxPeers:    c.MaxConns,
				IdleTimeout: c.IdleTimeout,
				Allow:       e.allowFunc(),
				OnNewPeer: func(a net.Addr, admitted bool) {
					e.countAdmission(admitted)
					e.announceClient(a)
					if !admitted {
						e.verbosef("New connection denied: connection limit reached (%d)", c.MaxConns)
					}
				},
			})
		})
	}
	err := e.runStdinThenWait(ctx, hub.RunStdin)
	cancel()
	wg.Wait()
	closeHub(signalled, hub)
	if failed := stdoutFailure(); failed != nil {
		return failed
	}
	return err
}

// countAdmission counts an admitted or refused client in the table.
func (e *env) countAdmission(admitted bool) {
	if admitted {
		e.conns.CountAccepted()
	} else {
		e.conns.CountDenied()
	}
}

// closeHub closes a server's hub and waits for its goroutines, unless a
// signal ended gnc: then one of them may be blocked writing a stdout
// nobody reads, and must not keep gnc alive.
func closeHub(signalled context.Context, hub interface {
	Close()
	Abort()
}) {
	if signalled.Err() != nil {
		hub.Abort()
		return
	}
	hub.Close()
}

// feedStdin runs a server's stdin reader until it returns or ctx ends. A
// stdin whose reads can be interrupted (gnc reopens pipes and terminals in
// non-blocking mode) is always waited for; any other (a socket) may be
// blocked in a read for good, and is left to end with the process.
func (e *env) feedStdin(ctx context.Context, run func(context.Context, io.Reader) error) error {
	if e.stdinInterruptible {
		return run(ctx, e.stdin)
	}
	done := make(chan error, 1)
	go func() { done <- run(ctx, e.stdin) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
