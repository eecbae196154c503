package cli

import (
	"io"
	"net"
	"testing"
	"time"
)

// TestProxyServerRun runs -l --proxy-type in process: a SOCKS5 CONNECT
// through it reaches a target, and cancelling Run ends it with nil and no
// goroutine left (goleak in TestMain).
func TestProxyServerRun(t *testing.T) {
	target, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	addr, _, stop := runInProcess(t, "-l", "--proxy-type", "socks5", "127.0.0.1", "0")
	c, err := net.Dial("tcp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	ta := target.Addr().(*net.TCPAddr)
	c.Write([]byte{5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, byte(ta.Port >> 8), byte(ta.Port)})
	reply := make([]byte, 2+10)
	if _, err := io.ReadFull(c, reply); err != nil || reply[3] != 0 {
		t.Fatalf("SOCKS5 reply %v, %v", reply, err)
	}
	peer, err := target.Accept()
	if err != nil {
		t.Fatal(err)
	}
	peer.Close()
	if err := stop(); err != nil {
		t.Errorf("Run: %v", err)
	}
}
