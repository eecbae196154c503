package cli

import (
	"context"
	"net"
	"sync"

	"gnc/internal/broker"
	"gnc/internal/transport"
)

// serveBroker runs --broker and --chat: clients join until -m, each one's
// bytes go to all the others, and stdin goes to all of them. Over UDP (and
// Unix datagram sockets) each peer address is a client.
func (e *env) serveBroker(ctx context.Context) error {
	c := e.cfg
	var lns []net.Listener
	var pcs []net.PacketConn
	secure, err := e.tlsListener()
	if err != nil {
		return err
	}
	if c.UDP {
		pcs, err = transport.ListenPacket(ctx, e.listenOptions())
	} else {
		lns, err = transport.Listen(ctx, e.listenOptions())
	}
	if err != nil {
		return listenError(err)
	}
	for _, pc := range pcs {
		e.announceListener(pc.LocalAddr())
	}
	for _, ln := range lns {
		e.announceListener(ln.Addr())
	}
	e.trackListeners(lns, pcs)
	defer e.untrackListeners()
	hub := broker.New(e.stdout, broker.Options{
		Chat:        c.Chat,
		Buffer:      c.BrokerBuffer,
		SendOnly:    c.SendOnly,
		RecvOnly:    c.RecvOnly,
		IdleTimeout: c.IdleTimeout,
		Delay:       c.Delay,
		CRLF:        c.CRLF,
		Log:         e.log,
		Logf:        e.verbosef,
		Allow:       e.allowFunc(),
		Conns:       e.conns,
	})
	signalled := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for _, pc := range pcs {
		wg.Go(func() {
			hub.ServePacket(ctx, pc, c.MaxConns, func(a net.Addr, admitted bool) {
				e.countAdmission(admitted)
				e.announceClient(a)
				if !admitted {
					e.verbosef("New connection denied: connection limit reached (%d)", c.MaxConns)
				}
			})
		})
	}
	hs := e.newHandshaker(ctx, secure, hub.Len)
	hs.quiet = true
	for _, ln := range lns {
		wg.Go(func() {
			transport.AcceptLoop(ctx, ln, e.verbosef, func(conn net.Conn) {
				if !e.admitConn(conn) {
					return
				}
				// The client is logged once it is in the room, so that
				// what it sends after the line reaches everyone before it.
				addr := conn.RemoteAddr()
				hs.admit(conn, func(conn net.Conn) bool {
					ok := hub.AddConn(conn, c.MaxConns)
					if ok {
						e.conns.CountAccepted()
					}
					e.announceClient(addr)
					return ok
				})
			})
		})
	}
	// As with ncat's broker, the clients stay open at stdin EOF.
	err = e.runStdinThenWait(ctx, hub.RunStdin)
	cancel()
	wg.Wait()
	hs.wait()
	closeHub(signalled, hub)
	return err
}
