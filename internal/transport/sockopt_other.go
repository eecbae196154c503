//go:build !unix

package transport

import (
	"errors"
	"net"
	"syscall"
)

// reuseAddr is a no-op where SO_REUSEADDR means something else (Windows).
func reuseAddr(network, address string, c syscall.RawConn) error { return nil }

// ConnectPacket is not available on this system: a UDP listener without -k
// cannot lock onto its first peer.
func ConnectPacket(pc net.PacketConn, peer net.Addr) error { return errors.ErrUnsupported }
