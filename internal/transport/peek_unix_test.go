//go:build unix

package transport

import (
	"net"
	"testing"
)

// TestTakeQueued: datagrams queued before a UDP socket is connected to one
// peer are sorted out: the peer's are returned in order, others dropped,
// and nothing is left behind to reach the peer's session.
func TestTakeQueued(t *testing.T) {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	dial := func() net.Conn {
		c, err := net.Dial("udp4", pc.LocalAddr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	peer, other := dial(), dial()
	for _, s := range []struct {
		c   net.Conn
		msg string
	}{{peer, "p1"}, {other, "o1"}, {peer, "p2"}, {other, "o2"}} {
		if _, err := s.c.Write([]byte(s.msg)); err != nil {
			t.Fatal(err)
		}
	}
	// Loopback queues a datagram on the receiving socket before the
	// sender's write returns, so all four are queued now.
	buf := make([]byte, 16)
	n, from, err := pc.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "p1" {
		t.Fatalf("first datagram %q from %v, %v", buf[:n], from, err)
	}
	queued, err := TakeQueued(pc, peer.LocalAddr(), 16)
	if err != nil {
		t.Fatal(err)
	}
	if len(queued) != 1 || string(queued[0]) != "p2" {
		t.Fatalf("TakeQueued = %q, want [p2]", queued)
	}
	if got, _ := TakeQueued(pc, peer.LocalAddr(), 16); len(got) != 0 {
		t.Errorf("a second TakeQueued found %q", got)
	}
}
