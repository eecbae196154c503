package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// ListenOptions says where to listen. Host "" means every address: an IPv6
// socket on :: (IPv6 only) and an IPv4 one on 0.0.0.0, as ncat binds them.
type ListenOptions struct {
	// Network is "tcp", "udp", "unix" (stream) or "unixgram".
	Network string
	Family  int
	Host    string // address or name; the socket path for Unix networks
	Port    int
	NoDNS   bool
	// ShareUDP sets SO_REUSEADDR on UDP sockets (ncat sets it on all of
	// them), so that RebindPacket can bind a fresh socket beside one
	// handed to an exec child.
	ShareUDP bool
}

// BindError is a socket that could not be bound, worded as ncat's
// "bind to 0.0.0.0:22: Address already in use.".
type BindError struct {
	Addr string
	Err  error
}

func (e *BindError) Error() string {
	return fmt.Sprintf("bind to %s: %s", e.Addr, describeNetError(e.Err))
}
func (e *BindError) Unwrap() error { return e.Err }

// bindAddrs returns the local addresses to bind, in order.
func bindAddrs(ctx context.Context, o ListenOptions) ([]netip.Addr, error) {
	if o.Host != "" {
		addrs, err := Resolve(ctx, o.Host, o.Family, o.NoDNS)
		if err != nil {
			return nil, err
		}
		return addrs[:1], nil // as ncat: the first address of a name
	}
	switch o.Family {
	case 4:
		return []netip.Addr{netip.IPv4Unspecified()}, nil
	case 6:
		return []netip.Addr{netip.IPv6Unspecified()}, nil
	}
	return []netip.Addr{netip.IPv6Unspecified(), netip.IPv4Unspecified()}, nil
}

// portZeroTries bounds how often a dual-stack bind on port 0 starts again
// when the port the kernel gave the first socket is taken for the second.
const portZeroTries = 8

// Listen binds the stream listeners for o. With no host it binds both
// families, skipping IPv6 where the system has none; with port 0 the second
// socket takes the port the kernel gave the first (and, should another
// socket hold that port on the other family, both start again).
func Listen(ctx context.Context, o ListenOptions) ([]net.Listener, error) {
	for try := 1; ; try++ {
		lns, err := listenOnce(ctx, o)
		if o.Port != 0 || try == portZeroTries || !errors.Is(err, syscall.EADDRINUSE) {
			return lns, err
		}
	}
}

func listenOnce(ctx context.Context, o ListenOptions) ([]net.Listener, error) {
	if o.Network == "unix" {
		lc := listenConfig()
		ln, err := lc.Listen(ctx, "unix", o.Host)
		if err != nil {
			return nil, &BindError{Addr: o.Host, Err: err}
		}
		return []net.Listener{ln}, nil
	}
	addrs, err := bindAddrs(ctx, o)
	if err != nil {
		return nil, err
	}
	var lns []net.Listener
	port := o.Port
	for _, a := range addrs {
		lc := listenConfig()
		ap := netip.AddrPortFrom(a, uint16(port))
		ln, err := lc.Listen(ctx, "tcp"+familySuffix(a), ap.String())
		if err != nil {
			if len(addrs) > 1 && a.Is6() && noIPv6(err) {
				continue
			}
			closeAll(lns)
			return nil, &BindError{Addr: formatIPPort(ap), Err: err}
		}
		port = ln.Addr().(*net.TCPAddr).Port
		lns = append(lns, ln)
	}
	return lns, nil
}

// ListenPacket binds the datagram sockets for o, as Listen does for streams.
func ListenPacket(ctx context.Context, o ListenOptions) ([]net.PacketConn, error) {
	for try := 1; ; try++ {
		pcs, err := listenPacketOnce(ctx, o)
		if o.Port != 0 || try == portZeroTries || !errors.Is(err, syscall.EADDRINUSE) {
			return pcs, err
		}
	}
}

func listenPacketOnce(ctx context.Context, o ListenOptions) ([]net.PacketConn, error) {
	if o.Network == "unixgram" {
		c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: o.Host, Net: "unixgram"})
		if err != nil {
			return nil, &BindError{Addr: o.Host, Err: err}
		}
		return []net.PacketConn{&UnixgramConn{UnixConn: c, path: o.Host}}, nil
	}
	addrs, err := bindAddrs(ctx, o)
	if err != nil {
		return nil, err
	}
	var pcs []net.PacketConn
	port := o.Port
	for _, a := range addrs {
		lc := listenConfig()
		if o.ShareUDP {
			lc.Control = reuseAddr
		}
		ap := netip.AddrPortFrom(a, uint16(port))
		pc, err := lc.ListenPacket(ctx, "udp"+familySuffix(a), ap.String())
		if err != nil {
			if len(addrs) > 1 && a.Is6() && noIPv6(err) {
				continue
			}
			for _, p := range pcs {
				p.Close()
			}
			return nil, &BindError{Addr: formatIPPort(ap), Err: err}
		}
		port = pc.LocalAddr().(*net.UDPAddr).Port
		pcs = append(pcs, pc)
	}
	return pcs, nil
}

func familySuffix(a netip.Addr) string {
	if a.Is4() {
		return "4"
	}
	return "6"
}

func noIPv6(err error) bool {
	return errors.Is(err, syscall.EAFNOSUPPORT) || errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.EPROTONOSUPPORT)
}

func closeAll(lns []net.Listener) {
	for _, ln := range lns {
		ln.Close()
	}
}

// listenConfig is how gnc binds: no TCP keep-alive probes on accepted
// connections (ncat sets none either; each would cost three setsockopt
// calls per connection on the accept path).
func listenConfig() net.ListenConfig {
	return net.ListenConfig{KeepAlive: -1}
}
