package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"
	"time"
)

// A connect that gets no answer fails with ncat's "TIMEOUT." after -w. The
// loopback listener never accepts and its backlog is full, so the kernel
// drops further SYNs.
func TestDialTimeout(t *testing.T) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	port := sa.(*syscall.SockaddrInet4).Port
	addr := fmt.Sprintf("127.0.0.1:%d", port)

	// Fill the accept queue until a connect hangs.
	full := false
	for range 8 {
		c, err := net.DialTimeout("tcp4", addr, time.Second)
		if err != nil {
			full = true
			break
		}
		defer c.Close()
	}
	if !full {
		t.Skip("cannot make a loopback connect hang on this system")
	}

	const timeout = 200 * time.Millisecond
	_, err = Dial(testCtx(t), DialOptions{Network: "tcp", Host: "127.0.0.1", Port: port, Timeout: timeout})
	var ce *ConnectError
	if !errors.As(err, &ce) || err.Error() != "TIMEOUT." {
		t.Fatalf("Dial error = %v (%T), want *ConnectError \"TIMEOUT.\"", err, err)
	}

	// A context deadline is a timeout too.
	ctx, cancel := context.WithTimeout(testCtx(t), timeout)
	defer cancel()
	if _, err := Dial(ctx, DialOptions{Network: "tcp", Host: "127.0.0.1", Port: port}); err == nil || Describe(err) != "TIMEOUT." {
		t.Errorf("Dial with an expiring context = %v, want TIMEOUT.", err)
	}
}
