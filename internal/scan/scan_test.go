package scan

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

var v4 = netip.MustParseAddr("127.0.0.1")

// fakeNet is a Dial for Options: port p answers after a delay that depends
// on p, so probes finish out of order; ports in open are open, the others
// refused. It records the most probes ever in flight.
type fakeNet struct {
	open map[uint16]bool

	mu       sync.Mutex
	inflight int
	max      int
	dialed   []uint16
}

func (f *fakeNet) dial(ctx context.Context, a netip.AddrPort) (net.Conn, error) {
	f.mu.Lock()
	f.inflight++
	f.max = max(f.max, f.inflight)
	f.dialed = append(f.dialed, a.Port())
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inflight--
		f.mu.Unlock()
	}()
	select {
	case <-time.After(time.Duration(97-int(a.Port())%97) * time.Millisecond):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if f.open[a.Port()] {
		c1, c2 := net.Pipe()
		c2.Close()
		return c1, nil
	}
	return nil, syscall.ECONNREFUSED
}

func collect(rs *[]Result) func(Result) error {
	return func(r Result) error {
		*rs = append(*rs, r)
		return nil
	}
}

func TestRunOrderAndBound(t *testing.T) {
	for _, conc := range []int{1, 7, 64, 1000} {
		t.Run(fmt.Sprint(conc), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ports := span(1, 500)
				f := &fakeNet{open: map[uint16]bool{3: true, 250: true, 499: true}}
				var got []Result
				err := Run(t.Context(), Options{Addr: v4, Ports: ports, Concurrency: conc, Dial: f.dial}, collect(&got))
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(ports) {
					t.Fatalf("%d results, want %d", len(got), len(ports))
				}
				for i, r := range got {
					if r.Port != ports[i] {
						t.Fatalf("result %d is port %d, want %d (port order)", i, r.Port, ports[i])
					}
					if open := r.Err == nil; open != f.open[r.Port] {
						t.Errorf("port %d: err %v, open want %v", r.Port, r.Err, f.open[r.Port])
					}
					if r.Err != nil && !errors.Is(r.Err, syscall.ECONNREFUSED) {
						t.Errorf("port %d: err %v, want ECONNREFUSED", r.Port, r.Err)
					}
				}
				if want := min(conc, len(ports)); f.max != want {
					t.Errorf("at most %d probes in flight, want exactly %d", f.max, want)
				}
				slices.Sort(f.dialed)
				if !slices.Equal(f.dialed, ports) {
					t.Errorf("dialed %d ports, want each of %d once", len(f.dialed), len(ports))
				}
			})
		})
	}
}

func TestRunTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hang := func(ctx context.Context, a netip.AddrPort) (net.Conn, error) {
			if a.Port() == 2 {
				return nil, syscall.ECONNREFUSED
			}
			<-ctx.Done()
			return nil, ctx.Err()
		}
		var got []Result
		err := Run(t.Context(), Options{Addr: v4, Ports: []uint16{1, 2, 3}, Timeout: time.Second, Dial: hang}, collect(&got))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || !errors.Is(got[0].Err, context.DeadlineExceeded) ||
			!errors.Is(got[1].Err, syscall.ECONNREFUSED) || !errors.Is(got[2].Err, context.DeadlineExceeded) {
			t.Errorf("results %v, want timeout, refused, timeout", got)
		}
	})
}

func TestRunStops(t *testing.T) {
	ports := span(1, 300)
	t.Run("report error", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := &fakeNet{}
			stop := errors.New("stdout gone")
			var got []Result
			err := Run(t.Context(), Options{Addr: v4, Ports: ports, Concurrency: 16, Dial: f.dial}, func(r Result) error {
				got = append(got, r)
				if r.Port == 10 {
					return stop
				}
				return nil
			})
			if err != stop {
				t.Errorf("Run = %v, want the report's error", err)
			}
			if len(got) != 10 {
				t.Errorf("%d reports, want 10 (none after the failing one)", len(got))
			}
		})
	})
	t.Run("cancel", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := &fakeNet{}
			ctx, cancel := context.WithCancel(t.Context())
			time.AfterFunc(500*time.Millisecond, cancel)
			var got []Result
			err := Run(ctx, Options{Addr: v4, Ports: ports, Concurrency: 2, Dial: f.dial}, collect(&got))
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Run = %v, want context.Canceled", err)
			}
			if len(got) == 0 || len(got) >= len(ports) {
				t.Errorf("%d reports before the cancel, want some but not all", len(got))
			}
			for _, r := range got {
				if errors.Is(r.Err, context.Canceled) {
					t.Errorf("port %d reported as cancelled; a cancelled probe is no result", r.Port)
				}
			}
		})
	})
	t.Run("local error", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			emfile := func(ctx context.Context, a netip.AddrPort) (net.Conn, error) {
				if a.Port() >= 50 {
					return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.EMFILE}
				}
				return nil, syscall.ECONNREFUSED
			}
			var got []Result
			err := Run(t.Context(), Options{Addr: v4, Ports: ports, Concurrency: 4, Dial: emfile}, collect(&got))
			var le *LocalError
			if !errors.As(err, &le) || !errors.Is(err, syscall.EMFILE) {
				t.Errorf("Run = %v, want a *LocalError for EMFILE", err)
			}
			for _, r := range got {
				if r.Port >= 50 {
					t.Errorf("port %d reported after the local error", r.Port)
				}
			}
		})
	})
}

func TestConcurrencyFor(t *testing.T) {
	for _, tc := range []struct {
		limit uint64
		want  int
	}{{0, 1}, {10, 1}, {33, 1}, {34, 2}, {256, 224}, {288, 256}, {1024, 256}, {1 << 20, 256}} {
		if got := concurrencyFor(tc.limit); got != tc.want {
			t.Errorf("concurrencyFor(%d) = %d, want %d", tc.limit, got, tc.want)
		}
	}
	if n := DefaultConcurrency(); n < 1 || n > MaxDefaultConcurrency {
		t.Errorf("DefaultConcurrency() = %d", n)
	}
}
