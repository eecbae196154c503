//go:build !unix

package transport

import (
	"context"
	"errors"
	"net"
)

// PeekFrom is not supported here.
func PeekFrom(pc net.PacketConn) (net.Addr, error) { return nil, errors.ErrUnsupported }

// RebindPacket is not supported here.
func RebindPacket(ctx context.Context, local net.Addr) (net.PacketConn, error) {
	return nil, errors.ErrUnsupported
}

// TakeQueued is not supported here.
func TakeQueued(pc net.PacketConn, peer net.Addr, size int) ([][]byte, error) {
	return nil, errors.ErrUnsupported
}
