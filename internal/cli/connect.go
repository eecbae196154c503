package cli

import (
	"context"
	"errors"
	"net"
	"os"
	"time"

	"gnc/internal/proxy"
	"gnc/internal/relay"
	"gnc/internal/transport"
)

func (c *Config) network() string {
	switch {
	case c.Unix && c.UDP:
		return "unixgram"
	case c.Unix:
		return "unix"
	case c.UDP:
		return "udp"
	}
	return "tcp"
}

// connect runs ncat's connect mode: dial, then relay stdio until the EOF
// rules end the session.
func (e *env) connect(ctx context.Context) error {
	c := e.cfg
	if len(c.ScanPorts) > 0 {
		return e.scanPorts(ctx)
	}
	start := time.Now()
	var tlsClient *tlsClient
	if c.TLS.Enabled {
		var err error
		if tlsClient, err = e.newTLSClient(); err != nil {
			return err
		}
	}
	var conn net.Conn
	var err error
	if c.ProxyAddr != "" {
		conn, err = e.dialProxy(ctx)
	} else {
		conn, err = transport.Dial(ctx, transport.DialOptions{
			Network:    c.network(),
			Family:     c.Family,
			Host:       c.Host,
			Port:       c.Port,
			NoDNS:      c.NoDNS,
			SourceAddr: c.SourceAddr,
			SourcePort: c.SourcePort,
			Timeout:    c.ConnectTimeout,
			Logf:       e.logfOrNil(),
		})
	}
	if err != nil {
		return e.zeroIOQuiet(dialError(err))
	}
	if tlsClient != nil {
		// TLS runs end to end with the target, inside a proxy's tunnel.
		if conn, err = e.clientHandshake(ctx, tlsClient, conn); err != nil {
			return e.zeroIOQuiet(err)
		}
	} else if c.ProxyAddr != "" {
		e.verbosef("Connected to %s.", e.proxiedName())
	} else {
		e.verbosef("Connected to %s.", peerName(conn.RemoteAddr(), c.Host))
	}
	if c.ZeroIO {
		return e.zeroIOQuiet(e.zeroIO(conn, start))
	}
	if e.prog != nil {
		return e.connectExec(ctx, conn)
	}
	o := e.relayOptions()
	o.StdinEOFEnds = c.UDP
	o.HoldAfterPeerEOF = c.KeepOpen
	stats, err := relay.Run(ctx, conn, e.stdin, e.stdout, o)
	e.verbosef("%d bytes sent, %d bytes received in %s seconds.", stats.Sent, stats.Received, elapsedSeconds(start))
	var idle *relay.IdleError
	if errors.As(err, &idle) {
		return err
	}
	return sessionError(err)
}

// zeroIO is -z for one port: TCP has connected already; UDP sends one NUL
// byte and waits two seconds for an ICMP error.
func (e *env) zeroIO(conn net.Conn, start time.Time) error {
	defer conn.Close()
	if e.cfg.UDP {
		if _, err := conn.Write([]byte{0}); err != nil {
			return errors.New(transport.Describe(err))
		}
		conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		var b [1]byte
		_, err := conn.Read(b[:])
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			return errors.New(transport.Describe(err))
		}
		e.verbosef("UDP packet sent successfully")
		e.verbosef("1 bytes sent, 0 bytes received in %s seconds.", elapsedSeconds(start))
		return nil
	}
	e.verbosef("0 bytes sent, 0 bytes received in %s seconds.", elapsedSeconds(start))
	return nil
}

// zeroIOQuiet keeps -z silent without -v, as ncat is: a failed probe
// still exits 1, with its message only under -v.
func (e *env) zeroIOQuiet(err error) error {
	var fatal *FatalError
	if err == nil || !e.cfg.ZeroIO || e.cfg.Verbose > 0 || errors.As(err, &fatal) {
		return err
	}
	return ErrSilentFailure
}

// dialError classifies a failed dial: a name that does not resolve is one
// of ncat's fatal errors (exit 2); a failed connection exits 1.
func dialError(err error) error {
	var resolve *transport.ResolveError
	var proxyErr *proxy.Error
	switch {
	case errors.As(err, &resolve):
		return &FatalError{Err: err}
	case errors.As(err, &proxyErr):
		return err // worded already; its cause may be a timeout or errno
	}
	return errors.New(transport.Describe(err))
}

// peerName is how ncat names a peer in its messages: address:port, or the
// socket path for Unix sockets.
func peerName(a net.Addr, fallback string) string {
	if s := transport.FormatAddr(a); s != "" && s != "@" {
		return s
	}
	return fallback
}
