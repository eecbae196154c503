package relay

import (
	"net"

	"golang.org/x/sys/unix"
)

// wasReset reports whether a TCP connection whose read just ended, and
// which has not sent its own FIN, was reset rather than closed: after the
// peer's FIN such a socket waits in CLOSE_WAIT, after a reset it is CLOSED.
func wasReset(c net.Conn) bool {
	for range 4 { // a proxied conn holding early bytes, TLS, and TLS's batching
		w, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			break
		}
		c = w.NetConn()
	}
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return false
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return false
	}
	state := uint8(0)
	raw.Control(func(fd uintptr) {
		if info, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO); err == nil {
			state = info.State
		}
	})
	return state == unix.BPF_TCP_CLOSE
}
