//go:build linux

package e2e

import (
	"context"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"gnc/internal/testnet"
)

var (
	netipV4 = netip.MustParseAddr(v4)
	netipV6 = netip.MustParseAddr(v6)
)

// dualName is a host name that resolves to 127.0.0.1 and then ::1, and the
// way to run gnc so that it does.
type dualName struct {
	name string
	// hosts, if not empty, is a hosts file that gnc must see as /etc/hosts:
	// gnc then runs in its own mount namespace with the file bound there.
	hosts string
}

// localhostIsDual reports whether "localhost" resolves to both loopbacks.
var localhostIsDual = sync.OnceValue(func() bool {
	addrs, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip", "localhost")
	if err != nil {
		return false
	}
	var has4, has6 bool
	for _, a := range addrs {
		has4 = has4 || a.Unmap() == netipV4
		has6 = has6 || a == netipV6
	}
	return has4 && has6
})

// canUnshare reports whether unshare -m can bind a file over /etc/hosts.
var canUnshare = sync.OnceValue(func() bool {
	if _, err := exec.LookPath("unshare"); err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return exec.CommandContext(ctx, "unshare", "-m", "sh", "-c", "mount --bind /etc/hosts /etc/hosts").Run() == nil
})

// needDualName returns a name resolving to both loopback addresses (in that
// order where a hosts file is used), or skips the test. When this host's
// localhost has only one address, a private /etc/hosts is mounted for gnc
// alone with unshare; the system's file is never touched.
func needDualName(t testing.TB) dualName {
	t.Helper()
	testnet.RequireIPv6(t)
	if localhostIsDual() {
		return dualName{name: "localhost"}
	}
	if !canUnshare() {
		t.Skip("localhost has one address family here and unshare -m is unavailable to give gnc one with both")
	}
	hosts := filepath.Join(t.TempDir(), "hosts")
	content := "127.0.0.1 gnc-dual.test\n::1 gnc-dual.test\n"
	if err := os.WriteFile(hosts, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return dualName{name: "gnc-dual.test", hosts: hosts}
}

// start runs gnc with args in an environment where d.name resolves.
func (d dualName) start(t testing.TB, args ...string) *proc {
	t.Helper()
	if d.hosts == "" {
		return gnc(t, args...)
	}
	script := `mount --bind "$0" /etc/hosts && exec "$@"`
	full := append([]string{"-m", "sh", "-c", script, d.hosts, gncBin}, args...)
	p := startProc(t, procOpts{}, "unshare", full...)
	p.name = "gnc (unshare)"
	return p
}

// fullBacklogListener returns a TCP listener on host:port (0: any) whose
// accept queue is full, so that a further connect gets no answer and times
// out. It is closed when the test ends.
func fullBacklogListener(t testing.TB, host string, port int) (int, bool) {
	t.Helper()
	family, sa := syscall.AF_INET, syscall.Sockaddr(&syscall.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}})
	if host == v6 {
		family, sa = syscall.AF_INET6, &syscall.SockaddrInet6{Port: port, Addr: [16]byte{15: 1}}
	}
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, sa); err != nil {
		return 0, false
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	got, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	switch a := got.(type) {
	case *syscall.SockaddrInet4:
		port = a.Port
	case *syscall.SockaddrInet6:
		port = a.Port
	}
	addr := testnet.Addr(host, port)
	// Fill the queue: connections complete until it is full; the first
	// one that times out proves the next SYN is dropped.
	for i := range 16 {
		c, err := net.DialTimeout("tcp", addr, 300*time.Millisecond)
		if err != nil {
			if i == 0 {
				t.Fatalf("could not connect to the backlog listener at all: %v", err)
			}
			return port, true
		}
		t.Cleanup(func() { c.Close() })
	}
	t.Skip("the kernel accepted 16 connections on a backlog of 0; cannot make a connect time out")
	return 0, false
}
