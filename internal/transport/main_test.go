package transport

import (
	"context"
	"net"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"

	"gnc/internal/testnet"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testTimeout bounds every real wait; a guard against hangs, not a
// performance threshold.
const testTimeout = 30 * time.Second

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

var hasIPv6 = func() bool {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	ln.Close()
	return true
}()

func requireIPv6(t testing.TB) {
	t.Helper()
	if !hasIPv6 {
		t.Skip("no IPv6 loopback")
	}
}

// listenTCP listens on a loopback address, closed when the test ends.
func listenTCP(t testing.TB, network, addr string) *net.TCPListener {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln.(*net.TCPListener)
}

// closedPort returns a loopback TCP port nobody listens on (a moment ago).
func closedPort(t testing.TB, network, addr string) int {
	t.Helper()
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	// Below the ephemeral range, so no concurrent client takes it first.
	return testnet.FreePort(t, network, host)
}

// socketDir is a short temporary directory for Unix socket paths (which are
// limited to about 100 bytes, too few for t.TempDir under long test names).
func socketDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "gnc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// acceptOne accepts one connection from ln in the background.
func acceptOne(ln net.Listener) <-chan net.Conn {
	ch := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(ch)
			return
		}
		ch <- c
	}()
	return ch
}

func recvConn(ctx context.Context, t testing.TB, ch <-chan net.Conn) net.Conn {
	t.Helper()
	select {
	case c, ok := <-ch:
		if !ok {
			t.Fatal("accept failed")
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(testTimeout))
		return c
	case <-ctx.Done():
		t.Fatal("no connection accepted")
		return nil
	}
}
