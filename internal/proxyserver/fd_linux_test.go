package proxyserver

import (
	"context"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"
)

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(ents)
}

// TestManyTunnelsNoLeak runs 600 short tunnels of both kinds, 8 at a time,
// some ended by the client's reset, then shuts the server down: every
// descriptor is closed again and goleak (TestMain) finds no goroutine.
func TestManyTunnelsNoLeak(t *testing.T) {
	target := echoServer(t)
	before := openFDs(t)
	for _, typ := range []string{"http", "socks5"} {
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(testCtx(t))
		done := make(chan error, 1)
		go func() { done <- Serve(ctx, []net.Listener{ln}, Options{Type: typ, MaxConns: 4}) }()
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				for i := range 300 / 8 {
					c, err := net.Dial("tcp4", ln.Addr().String())
					if err != nil {
						t.Error(err)
						return
					}
					c.SetDeadline(time.Now().Add(testTimeout))
					if typ == "http" {
						io.WriteString(c, "CONNECT "+target+" HTTP/1.1\r\n\r\nx")
					} else {
						c.Write(append([]byte{5, 1, 0}, connectReq(t, target)...))
						c.Write([]byte("x"))
					}
					// Read what comes (an over-the-cap client gets a close),
					// then end with a close or, every third time, a reset.
					buf := make([]byte, 64)
					c.Read(buf)
					if (w+i)%3 == 0 {
						c.(*net.TCPConn).SetLinger(0)
					}
					c.Close()
				}
			})
		}
		wg.Wait()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("%s: Serve: %v", typ, err)
		}
	}
	// The echo server's ends close once they read gnc's close, and the
	// runtime's pool of splice pipes is emptied by garbage collection:
	// wait for both, bounded by the test's deadline.
	ctx := testCtx(t)
	for openFDs(t) > before {
		runtime.GC()
		select {
		case <-ctx.Done():
			t.Fatalf("%d descriptors open after the servers ended, %d before", openFDs(t), before)
		case <-time.After(10 * time.Millisecond):
		}
	}
}
