package proxyserver

import (
	"io"
	"net"
	"testing"
	"testing/synctest"
	"time"
)

// TestTunnelIdle checks, on a fake clock, that traffic in either direction
// keeps a tunnel open and that idle seconds of silence close it.
func TestTunnelIdle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const idle = 10 * time.Second
		client, clientEnd := net.Pipe()
		target, targetEnd := net.Pipe()
		tun := newTunnel(clientEnd, targetEnd, idle)
		done := make(chan struct{})
		go func() {
			tun.run()
			close(done)
		}()
		go io.Copy(io.Discard, target)
		start := time.Now()
		// Only the client talks, every 6 s, for 30 s: the target direction
		// stays silent, but the tunnel is not idle.
		for range 5 {
			time.Sleep(6 * time.Second)
			if _, err := client.Write([]byte("x")); err != nil {
				t.Fatalf("write after %v: %v", time.Since(start), err)
			}
		}
		last := time.Now()
		<-done
		if !tun.expired.Load() {
			t.Fatal("tunnel ended without expiring")
		}
		if got := time.Since(last); got < idle || got > idle+time.Second {
			t.Errorf("closed %v after the last byte, want %v", got, idle)
		}
		client.Close()
		target.Close()
	})
}
