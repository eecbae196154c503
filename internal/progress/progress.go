// Package progress draws gnc's --progress line on stderr: bytes sent and
// received, the current rate and the time elapsed, with the percentage and
// an ETA when the size to send is known, redrawn in place on a terminal at
// most a few times a second, then one summary line. It does not count
// bytes: it reads a counter function (the connection table's totals).
package progress

import (
	"context"
	"fmt"
	"io"
	"time"
)

// DefaultInterval is the time between redraws.
const DefaultInterval = 250 * time.Millisecond

// Options configure Run. The zero value draws every DefaultInterval, one
// line per update, with no total.
type Options struct {
	// Total is how many bytes are to be sent (the size of a regular file on
	// stdin); 0 when unknown, which leaves out the percentage and ETA.
	Total int64
	// Interval is the time between redraws; 0 means DefaultInterval.
	Interval time.Duration
	// Terminal redraws one line in place ("\r" and erase to the end of the
	// line); false writes each update as a line of its own, for a log.
	Terminal bool
}

// Counts reads the bytes received and sent so far.
type Counts func() (in, out int64)

// Run draws the progress of read on w until ctx ends, then writes the
// summary line and returns. Each update is one Write from Run's goroutine;
// a caller sharing w with other writers makes w serialize them.
func Run(ctx context.Context, w io.Writer, read Counts, o Options) {
	interval := o.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	start := time.Now()
	t := time.NewTicker(interval)
	defer t.Stop()
	var prev sample
	prev.at = start
	drawn := false
	for {
		select {
		case <-ctx.Done():
			in, out := read()
			end := line{in: in, out: out, elapsed: time.Since(start)}
			s := end.summary()
			if o.Terminal {
				if drawn {
					s = "\r" + s + eraseLine
				}
			}
			io.WriteString(w, s+"\n")
			return
		case now := <-t.C:
			in, out := read()
			cur := sample{at: now, bytes: in + out}
			l := line{in: in, out: out, elapsed: now.Sub(start), total: o.Total}
			if dt := cur.at.Sub(prev.at); dt > 0 {
				l.rate = float64(cur.bytes-prev.bytes) / dt.Seconds()
			}
			prev = cur
			s := l.String()
			if o.Terminal {
				io.WriteString(w, "\r"+s+eraseLine)
			} else {
				io.WriteString(w, s+"\n")
			}
			drawn = true
		}
	}
}

// eraseLine clears from the cursor to the end of the line (ECMA-48 EL).
const eraseLine = "\x1b[K"

type sample struct {
	at    time.Time
	bytes int64
}

// line is one progress update.
type line struct {
	in, out int64
	elapsed time.Duration
	rate    float64 // bytes per second over the last interval
	total   int64   // bytes to send; 0 unknown
}

// String is the progress line: "gnc: sent 12.0 MiB, received 0 B,
// 48.0 MiB/s, 0:03", then "; 12% of 100.0 MiB, ETA 0:21" with a total.
func (l line) String() string {
	s := fmt.Sprintf("gnc: sent %s, received %s, %s/s, %s", Bytes(l.out), Bytes(l.in), Bytes(int64(l.rate)), clock(l.elapsed))
	if l.total > 0 {
		done := min(l.out, l.total)
		s += fmt.Sprintf("; %d%% of %s", done*100/l.total, Bytes(l.total))
		if avg := float64(done) / l.elapsed.Seconds(); done > 0 && l.elapsed > 0 && avg > 0 {
			eta := time.Duration(float64(l.total-done) / avg * float64(time.Second))
			s += ", ETA " + clock(eta)
		}
	}
	return s
}

// summary is the final line: "gnc: sent 100.0 MiB, received 0 B in 2.05
// seconds (48.8 MiB/s)."
func (l line) summary() string {
	avg := 0.0
	if l.elapsed > 0 {
		avg = float64(l.in+l.out) / l.elapsed.Seconds()
	}
	return fmt.Sprintf("gnc: sent %s, received %s in %.2f seconds (%s/s).", Bytes(l.out), Bytes(l.in), l.elapsed.Seconds(), Bytes(int64(avg)))
}

// Bytes writes n with binary units: 0 B, 512 B, 1.5 KiB, 100.0 MiB.
func Bytes(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	v := float64(n)
	for _, u := range []string{"KiB", "MiB", "GiB", "TiB"} {
		v /= 1024
		if v < 1024 || u == "TiB" {
			return fmt.Sprintf("%.1f %s", v, u)
		}
	}
	panic("unreachable")
}

// clock writes a duration as m:ss, or h:mm:ss from an hour on.
func clock(d time.Duration) string {
	s := int64(d / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
