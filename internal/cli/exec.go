package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"

	"gnc/internal/conntrack"
	"gnc/internal/relay"
	"gnc/internal/spawn"
	"gnc/internal/transport"
)

// hasExec says a program runs per connection (-e, -c or --lua-exec).
func (c *Config) hasExec() bool {
	return c.Exec != "" || c.ShExec != "" || c.LuaExec != ""
}

// execProgram prepares the program of -e, -c or --lua-exec; nil for none.
// A Lua script that cannot be loaded is fatal, as in ncat.
func (c *Config) execProgram() (*spawn.Program, error) {
	var p *spawn.Program
	var err error
	switch {
	case c.Exec != "":
		p, err = spawn.New(spawn.Exec, c.Exec)
	case c.ShExec != "":
		p, err = spawn.New(spawn.Shell, c.ShExec)
	case c.LuaExec != "":
		p, err = spawn.New(spawn.Lua, c.LuaExec)
	default:
		return nil, nil
	}
	if err != nil {
		return nil, &FatalError{Err: err}
	}
	return p, nil
}

// runLuaInternal is --lua-exec-internal: the script on gnc's own stdio.
func (e *env) runLuaInternal(ctx context.Context) error {
	proto, err := spawn.LoadLua(e.cfg.LuaExecInternal)
	if err != nil {
		return &FatalError{Err: err}
	}
	err = spawn.RunLua(ctx, proto, e.stdin, e.stdout, nil, e.stderr)
	if errors.Is(err, spawn.ErrBrokenPipe) {
		// ncat's Lua process dies of SIGPIPE here, on stdout or a popen'd
		// command alike; its connect mode's "write: Broken pipe" is not
		// what a caller of this mode sees.
		return &DieError{Signal: syscall.SIGPIPE}
	}
	if script := (*spawn.ScriptError)(nil); errors.As(err, &script) {
		// ncat's words and status 2 (without its stack traceback).
		//lint:ignore ST1005 ncat's message, which gnc prints as is
		return &FatalError{Err: fmt.Errorf("Error running the Lua script: %s.", script.Message())}
	}
	return err
}

// execOptions say how a connection meets its program. Over a stream socket
// with no option that must see the bytes the child gets the socket itself (spawn passes it
// when the connection has a descriptor; a *tls.Conn has none, so TLS takes
// the pipes by itself); otherwise gnc relays through pipes so -o, -x, -C
// (on the program's output), -d, -t, -i, --send-only and --recv-only apply.
func (e *env) execOptions() spawn.Options {
	c := e.cfg
	o := spawn.Options{Stderr: e.stderr, Logf: e.logfOrNil()}
	// Datagrams always go through pipes, as with ncat: a program reading a
	// datagram socket in small pieces (a shell's read takes one byte at a
	// time) would lose the rest of each datagram.
	if c.OutputFile != "" || c.HexDumpFile != "" || c.CRLF || c.Delay > 0 || c.Telnet ||
		c.IdleTimeout > 0 || c.SendOnly || c.RecvOnly || c.UDP {
		ro := e.relayOptions()
		o.Relay = &ro
	}
	return o
}

// runExec runs the program for one connection, which it takes over, and
// reports a program that could not start as ncat does (on stderr, per
// connection; the session just ends).
func (e *env) runExec(ctx context.Context, conn net.Conn, peer *udpPeer) error {
	o := e.execOptions()
	if peer != nil {
		o.RemoteAddr, o.Prelude = peer.addr, peer.queued
	}
	// Listed in the connection table until the program is reaped. When the
	// program gets the socket itself gnc sees none of the bytes; through
	// pipes (or TLS) the relay counts them into this entry.
	var track *conntrack.Conn
	if peer != nil { // a connected UDP socket does not know its peer
		track = e.conns.TrackSocket(conn, conn.LocalAddr(), peer.addr)
	} else {
		track = e.conns.TrackConn(conn)
	}
	defer track.Close()
	if _, socket := conn.(interface{ File() (*os.File, error) }); o.Relay == nil && (!socket || e.cfg.LuaExec != "") {
		o.Relay = &relay.Options{} // pipes whatever: count them
	}
	if o.Relay != nil {
		ro := *o.Relay
		ro.Track = track
		o.Relay = &ro
	}
	err := e.prog.Run(ctx, conn, o)
	var start *spawn.StartError
	var script *spawn.ScriptError
	switch {
	case errors.As(err, &start):
		e.errMu.Lock()
		e.clearProgressLine()
		fmt.Fprintln(e.stderr, start.Error())
		e.errMu.Unlock()
		return nil
	case errors.As(err, &script):
		e.printf("%v", script)
		return nil
	}
	return err
}

// connectExec is connect mode with a program: it talks to the target.
func (e *env) connectExec(ctx context.Context, conn net.Conn) error {
	err := e.runExec(ctx, conn, nil)
	var idle *relay.IdleError
	if errors.As(err, &idle) {
		return err
	}
	return sessionError(err)
}

// listenExec serves listen mode with a program per connection: one with
// -l, one per client (up to -m at a time, counted until reaped) with -k.
func (e *env) listenExec(ctx context.Context) error {
	c := e.cfg
	if c.UDP {
		lo := e.listenOptions()
		lo.ShareUDP = c.KeepOpen
		pcs, err := transport.ListenPacket(ctx, lo)
		if err != nil {
			return listenError(err)
		}
		for _, pc := range pcs {
			e.announceListener(pc.LocalAddr())
		}
		e.trackListeners(nil, pcs)
		defer e.untrackListeners()
		if c.KeepOpen {
			return e.serveExecUDP(ctx, pcs)
		}
		pc, from := firstDatagram(ctx, pcs, e.admit)
		if pc == nil {
			return ignoreCancel(ctx.Err())
		}
		e.untrackListeners() // the socket is the session's now
		e.conns.CountAccepted()
		e.announceClient(from)
		conn, peer, err := connectUDPPeer(pc, from)
		if err != nil {
			return err
		}
		return listenSessionError(ignoreCancel(e.runExec(ctx, conn, peer)))
	}
	lns, secure, err := e.listenStream(ctx)
	if err != nil {
		return err
	}
	defer e.untrackListeners()
	if !c.KeepOpen {
		conn := e.acceptFirst(ctx, lns, secure)
		if conn == nil {
			return ctx.Err()
		}
		e.conns.CountAccepted()
		if secure == nil {
			e.announceClient(conn.RemoteAddr())
		}
		return listenSessionError(ignoreCancel(e.runExec(ctx, conn, nil)))
	}
	slots := newSlots(c.MaxConns)
	var wg sync.WaitGroup
	for _, ln := range lns {
		wg.Go(func() {
			transport.AcceptLoop(ctx, ln, e.verbosef, func(conn net.Conn) {
				if !e.admitConn(conn) {
					return
				}
				e.announceClient(conn.RemoteAddr())
				e.startExec(ctx, &wg, slots, conn, nil, secure)
			})
		})
	}
	<-ctx.Done()
	wg.Wait()
	return ignoreCancel(ctx.Err())
}

// startExec runs conn's program in a goroutine of wg, holding one of
// slots until the program is reaped, or refuses conn when none is free.
//
// With secure (TLS), the handshake runs first in that goroutine, holding
// the slot, so a slow client never delays others; the program then talks
// TLS through pipes.
func (e *env) startExec(ctx context.Context, wg *sync.WaitGroup, slots chan struct{}, conn net.Conn, peer *udpPeer, secure secureFunc) {
	select {
	case slots <- struct{}{}:
	default:
		e.conns.CountDenied()
		e.verbosef("New connection denied: connection limit reached (%d)", cap(slots))
		conn.Close()
		return
	}
	e.conns.CountAccepted()
	wg.Go(func() {
		defer func() { <-slots }()
		if secure != nil {
			if conn = secure(ctx, conn); conn == nil {
				return
			}
		}
		if err := e.runExec(ctx, conn, peer); err != nil && ctx.Err() == nil {
			e.debugf("Connection ended: %v", err)
		}
	})
}

// newSlots is a semaphore of n places (-m); with 0 every client is refused.
func newSlots(n int) chan struct{} { return make(chan struct{}, n) }

// serveExecUDP is -u -l -k with a program, as ncat does it: each socket
// waits for a datagram from a new peer, is connected to that peer and
// handed to its program, and a fresh socket is bound in its place for the
// next peer (the connected one keeps its peer's datagrams).
func (e *env) serveExecUDP(ctx context.Context, pcs []net.PacketConn) error {
	c := e.cfg
	slots := newSlots(c.MaxConns)
	var wg sync.WaitGroup
	for _, pc := range pcs {
		wg.Go(func() { e.serveExecUDPSocket(ctx, &wg, slots, pc) })
	}
	wg.Wait()
	return ignoreCancel(ctx.Err())
}

func (e *env) serveExecUDPSocket(ctx context.Context, wg *sync.WaitGroup, slots chan struct{}, pc net.PacketConn) {
	for {
		got, from := firstDatagram(ctx, []net.PacketConn{pc}, e.admit)
		if got == nil {
			return
		}
		next, err := transport.RebindPacket(ctx, pc.LocalAddr())
		if err != nil {
			e.printf("Cannot listen for the next UDP peer: %s", transport.Describe(err))
			pc.Close()
			return
		}
		e.announceClient(from)
		if conn, peer, err := connectUDPPeer(pc, from); err != nil {
			e.debugf("%v", err)
		} else {
			e.startExec(ctx, wg, slots, conn, peer, nil)
		}
		pc = next
	}
}

// udpPeer is the peer of a UDP exec session: its address (a socket
// connected with connect(2) alone does not know it) and the datagrams it
// sent before the socket was connected to it.
type udpPeer struct {
	addr   net.Addr
	queued [][]byte
}

// connectUDPPeer connects pc to from, whose datagram waits first in its
// queue, and takes the queue: from's datagrams go to the program first;
// what other senders got in before the connect is dropped, so a peer
// refused by --allow/--deny (or any other) never reaches this program.
func connectUDPPeer(pc net.PacketConn, from net.Addr) (net.Conn, *udpPeer, error) {
	conn, ok := pc.(net.Conn)
	if !ok || transport.ConnectPacket(pc, from) != nil {
		pc.Close()
		return nil, nil, fmt.Errorf("cannot reply to %v", from)
	}
	queued, err := transport.TakeQueued(pc, from, relay.DatagramBuffer)
	if err != nil && !errors.Is(err, errors.ErrUnsupported) {
		pc.Close()
		return nil, nil, fmt.Errorf("reading from %v: %s", from, transport.Describe(err))
	}
	return conn, &udpPeer{addr: from, queued: queued}, nil
}

// firstDatagram waits on every socket for a datagram and returns the first
// socket to get one, with its sender, leaving the datagram queued for the
// program (MSG_PEEK); the other sockets are closed. nil when ctx ends.
func firstDatagram(ctx context.Context, pcs []net.PacketConn, admit func(net.Addr) bool) (net.PacketConn, net.Addr) {
	type first struct {
		pc   net.PacketConn
		from net.Addr
	}
	got := make(chan first, len(pcs))
	stop := context.AfterFunc(ctx, func() {
		for _, pc := range pcs {
			pc.Close()
		}
	})
	var wg sync.WaitGroup
	for _, pc := range pcs {
		wg.Go(func() {
			for {
				from, err := transport.PeekFrom(pc)
				if err != nil {
					return
				}
				if admit(from) {
					got <- first{pc, from}
					return
				}
				// Refused: take the datagram off the queue, unread.
				var discard [1]byte
				if _, _, err := pc.ReadFrom(discard[:]); err != nil {
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
	stopped := stop()
	for _, pc := range pcs {
		if pc != winner.pc {
			pc.Close()
		}
	}
	if winner.pc != nil && !stopped {
		// ctx ended at the same moment and closed the winner too.
		winner.pc = nil
	}
	wg.Wait()
	return winner.pc, winner.from
}
