package relay

import (
	"io"
	"net"
	"testing"
	"time"
)

// netConnWrapper is a conn wrapper that exposes its socket as tls.Conn and the
// proxy client's early-bytes conn do.
type netConnWrapper struct{ net.Conn }

func (w netConnWrapper) NetConn() net.Conn { return w.Conn }

// TestWasReset tells a reset from a FIN, also through a NetConn wrapper.
func TestWasReset(t *testing.T) {
	for _, tt := range []struct {
		name  string
		reset bool
		wrap  bool
	}{
		{name: "fin", reset: false},
		{name: "reset", reset: true},
		{name: "reset wrapped", reset: true, wrap: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ours, peer := tcpPair(t, "tcp", "127.0.0.1:0")
			if tt.reset {
				peer.SetLinger(0)
			}
			peer.Close()
			ours.SetReadDeadline(time.Now().Add(30 * time.Second))
			io.Copy(io.Discard, ours) // until EOF or the reset
			var c net.Conn = ours
			if tt.wrap {
				c = netConnWrapper{ours}
			}
			if got := wasReset(c); got != tt.reset {
				t.Errorf("wasReset = %v; want %v", got, tt.reset)
			}
		})
	}
}
