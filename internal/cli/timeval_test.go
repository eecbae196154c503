package cli

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// timeCase is one ncat time value and what parseTime (or parseQuitTime)
// must make of it: want, or a *UsageError with exactly the message err.
type timeCase struct {
	in   string
	want time.Duration
	err  string
	bug  string // known bug: the row states the correct result but is skipped
}

func sinceApril(what, s, minutes string) string {
	return fmt.Sprintf("Since April 2010, the default unit for %s is seconds, so your time of %q is %s minutes. Use \"%sms\" for %s milliseconds. QUITTING.",
		what, s, minutes, s, s)
}

func TestParseTime(t *testing.T) {
	const what = "-w timeout"
	bad := func(s string) timeCase { return timeCase{in: s, err: invalidTime(what, s)} }
	cases := []timeCase{
		{in: "1", want: time.Second},
		{in: "1.5", want: 1500 * time.Millisecond},
		{in: ".5", want: 500 * time.Millisecond},
		{in: "5.", want: 5 * time.Second},
		{in: "500ms", want: 500 * time.Millisecond},
		{in: "1MS", want: time.Millisecond},
		{in: "1.5ms", want: time.Millisecond}, // whole milliseconds, truncated as ncat does
		{in: "0.0015", want: time.Millisecond},
		{in: "0.001", want: time.Millisecond},
		{in: "2S", want: 2 * time.Second},
		{in: "2s", want: 2 * time.Second},
		{in: "1m", want: time.Minute},
		{in: "1M", want: time.Minute},
		{in: "1.5m", want: 90 * time.Second},
		{in: "1h", want: time.Hour},
		{in: "1H", want: time.Hour},
		{in: "99", want: 99 * time.Second},
		{in: "99.99", want: 99990 * time.Millisecond},
		{in: "100s", want: 100 * time.Second},
		{in: "100ms", want: 100 * time.Millisecond},
		{in: "2147483647ms", want: 2147483647 * time.Millisecond},
		{in: "2147483.647s", want: 2147483647 * time.Millisecond},
		{in: "2147483.6479s", want: 2147483647 * time.Millisecond},
		{in: "596.5h", want: 2147400 * time.Second},
		{in: "007", want: 7 * time.Second},

		bad("0"),
		bad("0s"),
		bad("0.0"),
		bad("0.5ms"),
		bad("0.0009"),
		bad("1x"),
		bad("5s0"),
		bad("5ss"),
		bad("1sms"),
		bad("-1"),
		bad("-1s"),
		bad(""),
		bad("s"),
		bad("ms"),
		bad("."),
		bad(".s"),
		bad("1..2"),
		bad("1.2.3"),
		bad("2147484s"),
		bad("2147483.648s"),
		bad("2147483648ms"),
		bad("35791.395m"),
		bad("597h"),
		bad("99999999999999999999"),
		bad("1e400"),
		bad("inf"),
		bad("nan"),
		bad("1 s"),
		bad("1_000ms"),
		bad("٣"), // a non-ASCII digit

		{in: "100", err: sinceApril(what, "100", "1.7")},
		{in: "100.0", err: sinceApril(what, "100.0", "1.7")},
		{in: "250", err: sinceApril(what, "250", "4.2")},
		{in: "1000.5", err: sinceApril(what, "1000.5", "16.7")},
		{in: "2147483", err: sinceApril(what, "2147483", "35791.4")},
		{in: "1e3", err: sinceApril(what, "1e3", "16.7")},
		{in: "1e1", want: 10 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseTime(what, tc.in)
			checkTime(t, tc, got, err)
		})
	}

	// The option name is the caller's.
	for _, w := range []string{"-i timeout", "-d delay", "-q timeout"} {
		if _, err := parseTime(w, "0"); err == nil || err.Error() != invalidTime(w, "0") {
			t.Errorf("parseTime(%q, \"0\") error = %v, want %q", w, err, invalidTime(w, "0"))
		}
		if _, err := parseTime(w, "100"); err == nil || err.Error() != sinceApril(w, "100", "1.7") {
			t.Errorf("parseTime(%q, \"100\") error = %v, want %q", w, err, sinceApril(w, "100", "1.7"))
		}
	}
}

func TestParseQuitTime(t *testing.T) {
	const what = "-q timeout"
	bad := func(s string) timeCase { return timeCase{in: s, err: invalidTime(what, s)} }
	cases := []timeCase{
		{in: "0", want: 0},
		{in: "00", want: 0},
		{in: "0.0", want: 0},
		{in: "-1", want: -1},
		{in: "-5", want: -1},
		{in: "-1.5", want: -1},
		{in: "-100", want: -1},
		{in: "1", want: time.Second},
		{in: "1.5", want: 1500 * time.Millisecond},
		{in: "500ms", want: 500 * time.Millisecond},
		{in: "2m", want: 2 * time.Minute},
		{in: "100s", want: 100 * time.Second},

		bad(""),
		bad("-"),
		bad("--1"),
		bad("-x"),
		bad("-1s"),
		bad("0s"),
		bad("0ms"),
		bad("0.5ms"),
		bad("1x"),
		bad("2147484s"),
		{in: "100", err: sinceApril(what, "100", "1.7")},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseQuitTime(tc.in)
			if tc.err == "" && tc.want < 0 {
				// Any negative value means "never quit"; only the sign matters.
				if err != nil || got >= 0 {
					t.Errorf("parseQuitTime(%q) = %v, %v; want a negative duration", tc.in, got, err)
				}
				return
			}
			checkTime(t, tc, got, err)
		})
	}
}

func checkTime(t *testing.T, tc timeCase, got time.Duration, err error) {
	t.Helper()
	var problem string
	switch {
	case tc.err == "" && err != nil:
		problem = fmt.Sprintf("%q: error %v, want %v", tc.in, err, tc.want)
	case tc.err == "" && got != tc.want:
		problem = fmt.Sprintf("%q = %v, want %v", tc.in, got, tc.want)
	case tc.err != "" && err == nil:
		problem = fmt.Sprintf("%q = %v, want error %q", tc.in, got, tc.err)
	case tc.err != "":
		var ue *UsageError
		if !errors.As(err, &ue) {
			problem = fmt.Sprintf("%q: error %v is %T, want *UsageError", tc.in, err, err)
		} else if err.Error() != tc.err {
			problem = fmt.Sprintf("%q error:\n got: %s\nwant: %s", tc.in, err, tc.err)
		}
	}
	switch {
	case tc.bug != "" && problem != "":
		t.Skipf("BUG: %s\n%s", tc.bug, problem)
	case tc.bug != "":
		t.Errorf("row is marked BUG (%s) but passes now: drop the mark", tc.bug)
	case problem != "":
		t.Error(problem)
	}
}
