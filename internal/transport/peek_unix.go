//go:build unix

package transport

import (
	"context"
	"errors"
	"net"
	"syscall"
)

// PeekFrom waits for a datagram on pc and returns its sender, leaving the
// datagram queued (MSG_PEEK) for whoever reads pc next, as ncat's UDP
// listener does before it hands the socket to an exec child. ICMP errors
// reported on the socket are skipped. It ends with pc's error when pc is
// closed.
func PeekFrom(pc net.PacketConn) (net.Addr, error) {
	sc, ok := pc.(syscall.Conn)
	if !ok {
		return nil, errors.ErrUnsupported
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil, err
	}
	var buf [1]byte
	for {
		var from syscall.Sockaddr
		var rerr error
		err := raw.Read(func(fd uintptr) bool {
			_, from, rerr = syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK)
			return rerr != syscall.EAGAIN
		})
		if err != nil {
			return nil, err
		}
		if rerr == nil && from != nil {
			return sockaddrToAddr(from), nil
		}
		if rerr != nil && !errors.Is(rerr, syscall.ECONNREFUSED) && !errors.Is(rerr, syscall.EINTR) {
			return nil, &net.OpError{Op: "read", Net: pc.LocalAddr().Network(), Addr: pc.LocalAddr(), Err: rerr}
		}
		if rerr == nil {
			return nil, errors.New("a datagram without a sender address")
		}
	}
}

// TakeQueued reads every datagram already queued on pc without waiting and
// returns, in order, those that peer sent; the others are dropped. A UDP
// socket connected to peer filters only what arrives after the connect:
// a datagram another sender got in before it is still queued, and would
// otherwise reach peer's session.
func TakeQueued(pc net.PacketConn, peer net.Addr, size int) ([][]byte, error) {
	sc, ok := pc.(syscall.Conn)
	if !ok {
		return nil, errors.ErrUnsupported
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil, err
	}
	buf := make([]byte, size)
	var kept [][]byte
	var rerr error
	err = raw.Read(func(fd uintptr) bool {
		// Everything queued before the connect fits in the receive
		// buffer; past twice its size the rest is the peer's, arriving
		// since, which the session reads as usual.
		limit, _ := syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF)
		limit = max(2*limit, size)
		for taken := 0; taken < limit; {
			n, from, err := syscall.Recvfrom(int(fd), buf, syscall.MSG_DONTWAIT)
			switch {
			case errors.Is(err, syscall.EAGAIN):
				return true
			case errors.Is(err, syscall.EINTR), errors.Is(err, syscall.ECONNREFUSED):
				continue
			case err != nil:
				rerr = err
				return true
			}
			taken += n
			if a := sockaddrToAddr(from); a != nil && a.String() == peer.String() {
				kept = append(kept, append([]byte(nil), buf[:n]...))
			}
		}
		return true
	})
	return kept, errors.Join(err, rerr)
}

func sockaddrToAddr(sa syscall.Sockaddr) net.Addr {
	switch sa := sa.(type) {
	case *syscall.SockaddrInet4:
		return &net.UDPAddr{IP: net.IP(sa.Addr[:]).To16(), Port: sa.Port}
	case *syscall.SockaddrInet6:
		ip := make(net.IP, net.IPv6len)
		copy(ip, sa.Addr[:])
		a := &net.UDPAddr{IP: ip, Port: sa.Port}
		if sa.ZoneId != 0 {
			if ifi, err := net.InterfaceByIndex(int(sa.ZoneId)); err == nil {
				a.Zone = ifi.Name
			}
		}
		return a
	case *syscall.SockaddrUnix:
		return &net.UnixAddr{Name: sa.Name, Net: "unixgram"}
	}
	return nil
}

// RebindPacket binds a new UDP socket to local (an address a ShareUDP
// socket is bound to), with SO_REUSEADDR, so it receives the datagrams of
// peers no connected socket on that address claims.
func RebindPacket(ctx context.Context, local net.Addr) (net.PacketConn, error) {
	ua, ok := local.(*net.UDPAddr)
	if !ok {
		return nil, errors.ErrUnsupported
	}
	lc := listenConfig()
	lc.Control = reuseAddr
	network := "udp6"
	if ua.IP.To4() != nil {
		network = "udp4"
	}
	return lc.ListenPacket(ctx, network, ua.String())
}
