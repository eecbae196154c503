package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"time"
)

// DialOptions says what to connect to and how. The zero value of each field
// is documented as its default.
type DialOptions struct {
	// Network is "tcp", "udp", "unix" (stream) or "unixgram".
	Network string
	// Family restricts name resolution to IPv4 (4) or IPv6 (6); 0 = both.
	Family int
	// Host is a name or address, or the socket path for Unix networks.
	Host string
	Port int
	// NoDNS refuses host names that are not numeric addresses (-n).
	NoDNS bool
	// SourceAddr and SourcePort bind the local end (-s, -p). SourcePort < 0
	// (or 0) lets the kernel choose. For unixgram, SourceAddr is the local
	// socket path; empty makes a temporary one.
	SourceAddr string
	SourcePort int
	// Timeout bounds each connection attempt (-w); 0 means no bound.
	Timeout time.Duration
	// Logf, if not nil, receives debug lines (-vv): each failed attempt.
	Logf func(format string, args ...any)
}

// ConnectError is a failed connection attempt, worded as ncat's messages:
// "Connection refused." or "TIMEOUT.".
type ConnectError struct {
	Addr string
	Err  error
}

func (e *ConnectError) Error() string { return describeNetError(e.Err) }
func (e *ConnectError) Unwrap() error { return e.Err }

// Dial connects as ncat's connect mode does: every resolved address in
// order, moving on after an error or a timeout; the last error is returned.
func Dial(ctx context.Context, o DialOptions) (net.Conn, error) {
	switch o.Network {
	case "unix":
		return dialUnixStream(ctx, o)
	case "unixgram":
		return dialUnixgram(o)
	case "tcp", "udp":
	default:
		return nil, fmt.Errorf("unknown network %q", o.Network)
	}
	addrs, err := Resolve(ctx, o.Host, o.Family, o.NoDNS)
	if err != nil {
		return nil, err
	}
	var sources []netip.Addr
	if o.SourceAddr != "" {
		if sources, err = Resolve(ctx, o.SourceAddr, o.Family, o.NoDNS); err != nil {
			return nil, err
		}
	}
	var last error
	for _, a := range addrs {
		c, err := dialOne(ctx, o, a, sources)
		if err == nil {
			return c, nil
		}
		last = err
		if o.Logf != nil {
			o.Logf("connect to %s: %v", formatIPPort(netip.AddrPortFrom(a, uint16(o.Port))), err)
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, last
}

func dialOne(ctx context.Context, o DialOptions, a netip.Addr, sources []netip.Addr) (net.Conn, error) {
	target := netip.AddrPortFrom(a, uint16(o.Port))
	d := net.Dialer{Timeout: o.Timeout}
	var local netip.AddrPort
	if len(sources) > 0 || o.SourcePort > 0 {
		src := netip.IPv4Unspecified()
		if a.Is6() {
			src = netip.IPv6Unspecified()
		}
		if len(sources) > 0 {
			found := false
			for _, s := range sources {
				if s.Is4() == a.Is4() {
					src, found = s, true
					break
				}
			}
			if !found {
				return nil, &ConnectError{Addr: target.String(), Err: syscall.EAFNOSUPPORT}
			}
		}
		local = netip.AddrPortFrom(src, uint16(max(o.SourcePort, 0)))
		d.Control = reuseAddr
	}
	network := o.Network + "4"
	if a.Is6() {
		network = o.Network + "6"
	}
	if local.IsValid() {
		if o.Network == "tcp" {
			d.LocalAddr = net.TCPAddrFromAddrPort(local)
		} else {
			d.LocalAddr = net.UDPAddrFromAddrPort(local)
		}
	}
	c, err := d.DialContext(ctx, network, target.String())
	if err != nil {
		return nil, &ConnectError{Addr: target.String(), Err: err}
	}
	return c, nil
}

func dialUnixStream(ctx context.Context, o DialOptions) (net.Conn, error) {
	d := net.Dialer{Timeout: o.Timeout}
	c, err := d.DialContext(ctx, "unix", o.Host)
	if err != nil {
		return nil, &ConnectError{Addr: o.Host, Err: err}
	}
	return c, nil
}

// UnixgramConn is a datagram Unix socket whose local path gnc bound for the
// session and removes on Close.
type UnixgramConn struct {
	*net.UnixConn
	path string
}

// Close closes the socket and removes its local path.
func (c *UnixgramConn) Close() error {
	err := c.UnixConn.Close()
	os.Remove(c.path)
	return err
}

func dialUnixgram(o DialOptions) (net.Conn, error) {
	local := o.SourceAddr
	if local == "" {
		f, err := os.CreateTemp("", "gnc.")
		if err != nil {
			return nil, err
		}
		local = f.Name()
		f.Close()
		os.Remove(local)
	}
	c, err := net.DialUnix("unixgram", &net.UnixAddr{Name: local, Net: "unixgram"}, &net.UnixAddr{Name: o.Host, Net: "unixgram"})
	if err != nil {
		os.Remove(local)
		return nil, &ConnectError{Addr: o.Host, Err: err}
	}
	return &UnixgramConn{UnixConn: c, path: local}, nil
}

// describeNetError words a socket error the way ncat's messages do: the
// C library's text for the errno with a capital and a full stop, or
// "TIMEOUT." for an expired connect timeout.
func describeNetError(err error) string {
	var errno syscall.Errno
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return "TIMEOUT."
	case errors.As(err, &errno):
		return sentence(errno.Error())
	}
	return sentence(err.Error())
}

// Describe words any error from this package or the socket layer as ncat
// would print it.
func Describe(err error) string { return describeNetError(err) }

func sentence(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
