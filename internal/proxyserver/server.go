package proxyserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"gnc/internal/conntrack"
	"gnc/internal/transport"
)

// DefaultHandshakeTimeout bounds how long a client may take to send its
// request (HTTP) or its greeting, credentials and request (SOCKS5) when
// Options.HandshakeTimeout is zero.
const DefaultHandshakeTimeout = 15 * time.Second

// Options configure a proxy server. The zero value of each field is
// documented as its default.
type Options struct {
	// Type is "http" or "socks5".
	Type string
	// Auth is the credentials clients must give, "user:pass" (a value
	// without a colon is a user with an empty password); "" requires none.
	Auth string
	// MaxConns caps the clients served at once; a client over the cap is
	// accepted and closed, as ncat's -m. 0 means no cap; a negative value
	// refuses every client (what -m 0 asks for).
	MaxConns int
	// IdleTimeout closes a client's tunnel after this long with no data in
	// either direction (-i); 0 means never. With it set, tunnels copy in
	// user space so reads can be timed.
	IdleTimeout time.Duration
	// HandshakeTimeout bounds the time from accept to a complete request;
	// 0 means DefaultHandshakeTimeout, negative no bound.
	HandshakeTimeout time.Duration
	// ConnectTimeout bounds each connection to a target when Dial is nil;
	// 0 means no bound beyond the operating system's.
	ConnectTimeout time.Duration

	// Logf receives the -v lines; nil discards them.
	Logf func(format string, args ...any)
	// Debugf receives the -vv lines (each request); nil discards them.
	Debugf func(format string, args ...any)
	// Allow decides whether a client may be served (--allow/--deny); it
	// runs on the accept path and must not block. nil admits everyone.
	Allow func(remote net.Addr) bool
	// WrapConn wraps an accepted connection before the proxy protocol is
	// spoken (--ssl); it runs on the client's goroutine and owns closing
	// c when it fails. nil leaves the connection bare, so tunnels splice.
	WrapConn func(ctx context.Context, c net.Conn) (net.Conn, error)
	// Dial connects to targets; nil uses a net.Dialer with ConnectTimeout.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Conns, when not nil, is gnc's connection table: each client is
	// counted there as accepted or denied (by Allow or the cap), and
	// listed while it is served with live counts of the bytes it sent and
	// received, handshake included. The tunnels count from their copies'
	// results, so the table costs them no wrapper and they still splice.
	// nil tracks nothing. The listeners are the caller's to list.
	Conns *conntrack.Registry
}

// server is one running proxy server, made and run by Serve.
type server struct {
	o       Options
	auth    *authenticator
	self    []netip.AddrPort // the listeners' addresses, for loop detection
	slots   chan struct{}    // one per client being served; nil: no cap
	clients sync.WaitGroup
	handle  func(ctx context.Context, c *clientConn) // the protocol: serveHTTP or serveSOCKS5
}

// Serve runs a proxy server on lns until ctx ends, then closes the
// listeners and every client connection and waits for all of its
// goroutines. It returns nil after ctx ends, or the error that stopped the
// accept loops.
func Serve(ctx context.Context, lns []net.Listener, o Options) error {
	s := &server{o: o}
	switch o.Type {
	case "http":
		s.handle = s.serveHTTP
	case "socks5":
		s.handle = s.serveSOCKS5
	default:
		return fmt.Errorf("unknown proxy type %q", o.Type)
	}
	if o.Auth != "" {
		s.auth = newAuthenticator(o.Auth)
	}
	if o.MaxConns != 0 {
		s.slots = make(chan struct{}, max(o.MaxConns, 0))
	}
	for _, ln := range lns {
		if a, ok := ln.Addr().(*net.TCPAddr); ok {
			s.self = append(s.self, a.AddrPort())
		}
	}
	errc := make(chan error, len(lns)) // one slot per accept loop
	var loops sync.WaitGroup
	for _, ln := range lns {
		loops.Go(func() { errc <- transport.AcceptLoop(ctx, ln, s.logf, s.admit(ctx)) })
	}
	loops.Wait()
	s.clients.Wait()
	close(errc)
	var first error
	for err := range errc {
		if first == nil && ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
			first = err
		}
	}
	return first
}

// admit returns the accept loop's handler: it checks the hooks and the cap
// and starts the client's goroutine, which owns c from then on.
func (s *server) admit(ctx context.Context) func(net.Conn) {
	return func(c net.Conn) {
		if s.o.Logf != nil {
			s.logf("Connection from %s.", transport.FormatIP(c.RemoteAddr()))
			s.logf("Connection from %s.", transport.FormatAddr(c.RemoteAddr()))
		}
		if s.o.Allow != nil && !s.o.Allow(c.RemoteAddr()) {
			s.o.Conns.CountDenied()
			s.logf("New connection denied: not allowed")
			c.Close()
			return
		}
		if s.slots != nil {
			select {
			case s.slots <- struct{}{}:
			default:
				s.o.Conns.CountDenied()
				s.logf("New connection denied: connection limit reached (%d)", max(s.o.MaxConns, 0))
				c.Close()
				return
			}
		}
		s.clients.Go(func() { s.serveClient(ctx, c) })
	}
}

// serveClient runs one client's session and frees its slot.
func (s *server) serveClient(ctx context.Context, c net.Conn) {
	if s.slots != nil {
		defer func() { <-s.slots }()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if s.o.WrapConn != nil {
		// The handshake timeout bounds the wrapping (a TLS handshake) too.
		c.SetDeadline(s.handshakeDeadline())
		wrapped, err := s.o.WrapConn(ctx, c)
		c.SetWriteDeadline(time.Time{})
		if err != nil {
			s.debugf("%s: %v", transport.FormatAddr(c.RemoteAddr()), err)
			c.Close()
			return
		}
		c = wrapped
		stopWrapped := context.AfterFunc(ctx, func() { c.Close() })
		defer stopWrapped()
	}
	defer c.Close()
	// Counted once admitted and, with WrapConn, through its handshake, as
	// the other listen modes count a TLS client.
	s.o.Conns.CountAccepted()
	track := s.o.Conns.TrackConn(c)
	defer track.Close()
	s.handle(ctx, &clientConn{Conn: c, track: track})
}

// clientConn is a client's connection as the protocol handlers see it:
// its Read and Write count the handshake's bytes (requests, replies, early
// data) into track. The tunnels copy from the bare Conn inside and count
// from their results, so they keep the zero-copy paths.
type clientConn struct {
	net.Conn                 // the accepted connection, or WrapConn's
	track    *conntrack.Conn // nil: not in a table
}

func (c *clientConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.track.AddIn(int64(n))
	return n, err
}

func (c *clientConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.track.AddOut(int64(n))
	return n, err
}

// handshakeDeadline is when a client's request must be complete.
func (s *server) handshakeDeadline() time.Time {
	d := s.o.HandshakeTimeout
	switch {
	case d < 0:
		return time.Time{}
	case d == 0:
		d = DefaultHandshakeTimeout
	}
	return time.Now().Add(d)
}

func (s *server) dial(ctx context.Context, addr string) (net.Conn, error) {
	if s.o.Dial != nil {
		return s.o.Dial(ctx, "tcp", addr)
	}
	d := net.Dialer{Timeout: s.o.ConnectTimeout, KeepAlive: -1}
	return d.DialContext(ctx, "tcp", addr)
}

func (s *server) logf(format string, args ...any) {
	if s.o.Logf != nil {
		s.o.Logf(format, args...)
	}
}

func (s *server) debugf(format string, args ...any) {
	if s.o.Debugf != nil {
		s.o.Debugf(format, args...)
	}
}

// isSelf says whether target is one of the server's own listeners: the
// same port on the listener's address, or on any local address when the
// listener is bound to every address.
func (s *server) isSelf(target netip.AddrPort) bool {
	ip := target.Addr().Unmap()
	for _, l := range s.self {
		if l.Port() != target.Port() {
			continue
		}
		la := l.Addr().Unmap()
		if la == ip {
			return true
		}
		if la.IsUnspecified() && isLocalAddr(ip) {
			return true
		}
	}
	return false
}

// isLocalAddr says whether ip belongs to this host.
func isLocalAddr(ip netip.Addr) bool {
	if ip.IsLoopback() || ip.IsUnspecified() {
		return true
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().Unmap() == ip {
			return true
		}
	}
	return false
}

// splitUserPass splits "user:pass" at its first colon.
func splitUserPass(auth string) (user, pass string) {
	user, pass, _ = strings.Cut(auth, ":")
	return user, pass
}
