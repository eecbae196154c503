//go:build unix

package transport

import (
	"errors"
	"net"
	"syscall"
)

func reuseAddr(network, address string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
	})
	if err != nil {
		return err
	}
	return serr
}

// ConnectPacket connects a bound datagram socket to one peer, as ncat's UDP
// listener does with its first client: from then on only that peer's
// datagrams arrive, others get an ICMP error, and Read and Write work.
func ConnectPacket(pc net.PacketConn, peer net.Addr) error {
	sc, ok := pc.(syscall.Conn)
	if !ok {
		return errors.ErrUnsupported
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	var sa syscall.Sockaddr
	switch a := peer.(type) {
	case *net.UDPAddr:
		ap := a.AddrPort()
		local, _ := pc.LocalAddr().(*net.UDPAddr)
		if ap.Addr().Unmap().Is4() && local != nil && local.IP.To4() != nil {
			sa = &syscall.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().Unmap().As4()}
		} else {
			sa = &syscall.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
		}
	case *net.UnixAddr:
		if a == nil || a.Name == "" {
			return errors.New("the peer has no socket path to reply to")
		}
		sa = &syscall.SockaddrUnix{Name: a.Name}
	default:
		return errors.ErrUnsupported
	}
	var cerr error
	if err := raw.Control(func(fd uintptr) { cerr = syscall.Connect(int(fd), sa) }); err != nil {
		return err
	}
	return cerr
}
