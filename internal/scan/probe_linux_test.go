package scan

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"time"

	"gnc/internal/testnet"
)

// TestSocketProber scans a block of loopback ports, some listening, with
// the Linux prober and with the portable one, and expects the same
// answers from both.
func TestSocketProber(t *testing.T) {
	for _, host := range []string{testnet.IPv4, testnet.IPv6} {
		t.Run(host, func(t *testing.T) {
			if host == testnet.IPv6 {
				testnet.RequireIPv6(t)
			}
			open := map[int]bool{0: true, 3: true, 4: true, 19: true}
			base := testnet.PortBlock(t, "tcp", host, 20, 0, 3, 4, 19)
			ports := span(uint16(base), uint16(base+19))
			for name, dial := range map[string]func(context.Context, netip.AddrPort) (net.Conn, error){"socket": nil, "net": netDial} {
				var got []Result
				o := Options{Addr: netip.MustParseAddr(host), Ports: ports, Timeout: 10 * time.Second, Concurrency: 3, Dial: dial}
				if err := Run(t.Context(), o, collect(&got)); err != nil {
					t.Fatalf("%s: Run: %v", name, err)
				}
				if len(got) != len(ports) {
					t.Fatalf("%s: %d results, want %d", name, len(got), len(ports))
				}
				for i, r := range got {
					switch {
					case r.Port != ports[i]:
						t.Errorf("%s: result %d is port %d, want %d", name, i, r.Port, ports[i])
					case open[i] && r.Err != nil:
						t.Errorf("%s: port %d (listening): %v", name, r.Port, r.Err)
					case !open[i] && !errors.Is(r.Err, syscall.ECONNREFUSED):
						t.Errorf("%s: port %d (closed): %v, want connection refused", name, r.Port, r.Err)
					}
				}
			}
		})
	}
}

// fullListener listens with a backlog of 0 and never accepts; after one
// queued connection the kernel drops further SYNs, so a connection attempt
// stays in progress: a filtered port on loopback.
func fullListener(t *testing.T) (netip.AddrPort, int) {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
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
	ap := netip.AddrPortFrom(v4, uint16(sa.(*syscall.SockaddrInet4).Port))
	c, err := net.DialTimeout("tcp", ap.String(), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return ap, fd
}

func TestSocketProberWaits(t *testing.T) {
	filtered, lfd := fullListener(t)
	ln := testnet.Listen(t, "tcp", "127.0.0.1:0")
	open := uint16(testnet.Port(ln.Addr()))
	t.Run("timeout", func(t *testing.T) {
		var got []Result
		o := Options{Addr: v4, Ports: []uint16{filtered.Port(), open}, Timeout: 300 * time.Millisecond}
		if err := Run(t.Context(), o, collect(&got)); err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || !errors.Is(got[0].Err, os.ErrDeadlineExceeded) || got[1].Err != nil {
			t.Errorf("results %v, want a timeout, then open", got)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		var got []Result
		o := Options{Addr: v4, Ports: []uint16{filtered.Port()}}
		err := Run(ctx, o, collect(&got))
		if !errors.Is(err, context.DeadlineExceeded) || len(got) != 0 {
			t.Errorf("Run = %v with %v, want the context's error and no result", err, got)
		}
	})
	t.Run("open after a wait", func(t *testing.T) {
		// The probe's SYN is dropped, so it waits in the poller; once the
		// queued connection is accepted, the SYN's retransmission gets in.
		done := make(chan error, 1)
		go func() {
			p := newSocketProber(30 * time.Second)
			defer p.close()
			done <- p.probe(t.Context(), filtered)
		}()
		time.Sleep(200 * time.Millisecond) // usually enough to be waiting; passes either way
		nfd, _, err := syscall.Accept(lfd)
		if err != nil {
			t.Fatal(err)
		}
		defer syscall.Close(nfd)
		if err := <-done; err != nil {
			t.Errorf("probe of a port that accepts after a while: %v", err)
		}
	})
}

// TestUDPProber scans a block of loopback UDP ports, some bound: a bound
// port stays silent (open or filtered), the others answer with an ICMP
// error (refused). Loopback does not rate-limit those errors.
func TestUDPProber(t *testing.T) {
	for _, host := range []string{testnet.IPv4, testnet.IPv6} {
		t.Run(host, func(t *testing.T) {
			if host == testnet.IPv6 {
				testnet.RequireIPv6(t)
			}
			base := testnet.PortBlock(t, "udp", host, 8, 2, 5)
			ports := span(uint16(base), uint16(base+7))
			var got []Result
			o := Options{Addr: netip.MustParseAddr(host), Ports: ports, UDP: true, Wait: 300 * time.Millisecond}
			if err := Run(t.Context(), o, collect(&got)); err != nil {
				t.Fatal(err)
			}
			for i, r := range got {
				open := i == 2 || i == 5
				switch {
				case r.Port != ports[i]:
					t.Errorf("result %d is port %d, want %d", i, r.Port, ports[i])
				case open && r.Err != nil:
					t.Errorf("port %d (bound): %v, want no error", r.Port, r.Err)
				case !open && !errors.Is(r.Err, syscall.ECONNREFUSED):
					t.Errorf("port %d (closed): %v, want connection refused", r.Port, r.Err)
				}
			}
		})
	}
	t.Run("cancel", func(t *testing.T) {
		base := testnet.PortBlock(t, "udp", testnet.IPv4, 1, 0)
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		var got []Result
		err := Run(ctx, Options{Addr: v4, Ports: []uint16{uint16(base)}, UDP: true, Wait: time.Hour}, collect(&got))
		if !errors.Is(err, context.DeadlineExceeded) || len(got) != 0 {
			t.Errorf("Run = %v with %v, want the context's error and no result", err, got)
		}
	})
}

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(ents)
}

// TestSocketProberFDs: a scan leaves no descriptor behind, and running out
// of descriptors ends it with a *LocalError instead of reporting ports
// closed.
func TestSocketProberFDs(t *testing.T) {
	base := testnet.PortBlock(t, "tcp", testnet.IPv4, 50, 7, 30)
	ports := span(uint16(base), uint16(base+49))
	before := openFDs(t)
	var got []Result
	if err := Run(t.Context(), Options{Addr: v4, Ports: ports, Concurrency: 16}, collect(&got)); err != nil {
		t.Fatal(err)
	}
	if after := openFDs(t); after != before {
		t.Errorf("%d descriptors open after the scan, %d before", after, before)
	}

	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	// The limit bounds descriptor numbers: set it to the lowest free one,
	// so that no probe socket can be made.
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	lowest := f.Fd()
	f.Close()
	low := lim
	low.Cur = uint64(lowest)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Skipf("cannot lower the descriptor limit: %v", err)
	}
	got = nil
	err = Run(t.Context(), Options{Addr: v4, Ports: ports, Concurrency: 16}, collect(&got))
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	var le *LocalError
	if !errors.As(err, &le) || !errors.Is(err, syscall.EMFILE) {
		t.Errorf("Run with too few descriptors = %v, want a *LocalError for EMFILE", err)
	}
	if after := openFDs(t); after != before {
		t.Errorf("%d descriptors open after the failed scan, %d before", after, before)
	}
}
