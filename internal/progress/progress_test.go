package progress

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestBytes(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{0, "0 B"}, {1023, "1023 B"}, {1024, "1.0 KiB"}, {1536, "1.5 KiB"}, {100 << 20, "100.0 MiB"},
		{3 << 30, "3.0 GiB"}, {5 << 40, "5.0 TiB"}, {5000 << 40, "5000.0 TiB"},
	} {
		if got := Bytes(tc.n); got != tc.want {
			t.Errorf("Bytes(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestLine(t *testing.T) {
	for _, tc := range []struct {
		name string
		l    line
		want string
	}{
		{"start", line{}, "gnc: sent 0 B, received 0 B, 0 B/s, 0:00"},
		{"no total", line{in: 2048, out: 10 << 20, elapsed: 65 * time.Second, rate: 1 << 20},
			"gnc: sent 10.0 MiB, received 2.0 KiB, 1.0 MiB/s, 1:05"},
		{"total", line{out: 25 << 20, elapsed: 5 * time.Second, rate: 5 << 20, total: 100 << 20},
			"gnc: sent 25.0 MiB, received 0 B, 5.0 MiB/s, 0:05; 25% of 100.0 MiB, ETA 0:15"},
		{"total, nothing sent", line{elapsed: time.Second, total: 100},
			"gnc: sent 0 B, received 0 B, 0 B/s, 0:01; 0% of 100 B"},
		{"over total", line{out: 200, elapsed: time.Second, total: 100},
			"gnc: sent 200 B, received 0 B, 0 B/s, 0:01; 100% of 100 B, ETA 0:00"},
		{"hours", line{elapsed: 3*time.Hour + 2*time.Minute + time.Second}, "gnc: sent 0 B, received 0 B, 0 B/s, 3:02:01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.l.String(); got != tc.want {
				t.Errorf("line = %q\nwant   %q", got, tc.want)
			}
		})
	}
	got := line{in: 1 << 20, out: 3 << 20, elapsed: 2 * time.Second}.summary()
	if want := "gnc: sent 3.0 MiB, received 1.0 MiB in 2.00 seconds (2.0 MiB/s)."; got != want {
		t.Errorf("summary = %q, want %q", got, want)
	}
}

func TestRun(t *testing.T) {
	for _, tc := range []struct {
		name     string
		terminal bool
		want     string
	}{
		{"log", false, "gnc: sent 1.0 MiB, received 0 B, 4.0 MiB/s, 0:00; 25% of 4.0 MiB, ETA 0:00\n" +
			"gnc: sent 2.0 MiB, received 0 B, 4.0 MiB/s, 0:00; 50% of 4.0 MiB, ETA 0:00\n" +
			"gnc: sent 3.0 MiB, received 0 B, 4.0 MiB/s, 0:00; 75% of 4.0 MiB, ETA 0:00\n" +
			"gnc: sent 4.0 MiB, received 1.0 KiB, 4.0 MiB/s, 0:01; 100% of 4.0 MiB, ETA 0:00\n" +
			"gnc: sent 4.0 MiB, received 1.0 KiB in 1.00 seconds (4.0 MiB/s).\n"},
		{"terminal", true, "\rgnc: sent 1.0 MiB, received 0 B, 4.0 MiB/s, 0:00; 25% of 4.0 MiB, ETA 0:00\x1b[K" +
			"\rgnc: sent 2.0 MiB, received 0 B, 4.0 MiB/s, 0:00; 50% of 4.0 MiB, ETA 0:00\x1b[K" +
			"\rgnc: sent 3.0 MiB, received 0 B, 4.0 MiB/s, 0:00; 75% of 4.0 MiB, ETA 0:00\x1b[K" +
			"\rgnc: sent 4.0 MiB, received 1.0 KiB, 4.0 MiB/s, 0:01; 100% of 4.0 MiB, ETA 0:00\x1b[K" +
			"\rgnc: sent 4.0 MiB, received 1.0 KiB in 1.00 seconds (4.0 MiB/s).\x1b[K\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var out atomic.Int64
				var b strings.Builder
				ctx, cancel := context.WithCancel(t.Context())
				done := make(chan struct{})
				read := func() (int64, int64) {
					if out.Load() == 4<<20 {
						return 1024, out.Load()
					}
					return 0, out.Load()
				}
				go func() {
					Run(ctx, &b, read, Options{Total: 4 << 20, Terminal: tc.terminal})
					close(done)
				}()
				for range 3 {
					out.Add(1 << 20)
					time.Sleep(DefaultInterval)
					synctest.Wait()
				}
				out.Add(1 << 20)
				time.Sleep(DefaultInterval) // the fourth update, at one second
				synctest.Wait()
				cancel()
				<-done
				if got := b.String(); got != tc.want {
					t.Errorf("Run wrote\n%q\nwant\n%q", got, tc.want)
				}
			})
		})
	}
}

func TestRunNothingDrawnYet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var b strings.Builder
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		Run(ctx, &b, func() (int64, int64) { return 0, 0 }, Options{Terminal: true})
		if want := "gnc: sent 0 B, received 0 B in 0.00 seconds (0 B/s).\n"; b.String() != want {
			t.Errorf("Run wrote %q, want %q", b.String(), want)
		}
	})
}
