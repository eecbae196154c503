package cli

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// fuzzArgs decodes a fuzz input into arguments: each is terminated by a NUL
// byte, as in a C argv block, and a last one may omit the terminator. So ""
// is no arguments, "\x00" one empty argument, "-l\x0080" is -l 80.
func fuzzArgs(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\x00"), "\x00")
}

func fuzzEncode(args []string) string {
	var b strings.Builder
	for _, a := range args {
		b.WriteString(a)
		b.WriteByte(0)
	}
	return b.String()
}

// FuzzParse checks that Parse never panics, fails only with a *UsageError,
// is deterministic, leaves its input alone, and that every Config it
// accepts is one the modes can run: ports in range, times positive and
// bounded, no combination checkCombinations refuses.
// The committed seeds in testdata/fuzz/FuzzParse are replayed by go test.
func FuzzParse(f *testing.F) {
	for _, tc := range parseCases() {
		f.Add(fuzzEncode(tc.args))
	}
	f.Fuzz(func(t *testing.T, s string) {
		args := fuzzArgs(s)
		in := slices.Clone(args)
		c, err := Parse(args)
		if !slices.Equal(args, in) {
			t.Fatalf("Parse(%q) modified its arguments to %q", in, args)
		}
		c2, err2 := Parse(slices.Clone(in))
		if fmt.Sprint(err) != fmt.Sprint(err2) || !cmp.Equal(c, c2) {
			t.Fatalf("Parse(%q) is not deterministic: %+v, %v then %+v, %v", in, c, err, c2, err2)
		}
		if err != nil {
			checkFuzzError(t, in, err)
			return
		}
		if problem, bug := configProblem(c); problem != "" {
			if bug != "" {
				t.Skipf("BUG: %s: Parse(%q): %s", bug, in, problem)
			}
			t.Fatalf("Parse(%q) accepted an impossible Config: %s\n%+v", in, problem, c)
		}
	})
}

func checkFuzzError(t *testing.T, args []string, err error) {
	t.Helper()
	var ue *UsageError
	if !errors.As(err, &ue) {
		t.Fatalf("Parse(%q) error %v is %T, want *UsageError", args, err, err)
	}
	if ue.Msg == "" {
		t.Fatalf("Parse(%q) returned a *UsageError with no message", args)
	}
	// pflag's own wording leaking through translateFlagError.
	for prefix, bug := range map[string]string{"bad flag syntax": bugBadSyntax, "invalid argument ": bugNoArgOption} {
		if strings.HasPrefix(ue.Msg, prefix) {
			t.Skipf("BUG: %s: Parse(%q) = %q", bug, args, ue.Msg)
		}
	}
}

// configProblem describes what is wrong with a Config Parse accepted, and
// names the known bug that explains it, if any. Problems explained by known
// bugs come last, so they cannot hide another one.
func configProblem(c Config) (problem, bug string) {
	okTime := func(d time.Duration) bool {
		return d >= time.Millisecond && d <= maxMillis*time.Millisecond && d%time.Millisecond == 0
	}
	if c.Help || c.Version {
		want := DefaultConfig()
		want.Help, want.Version = c.Help, c.Version
		if d := cmp.Diff(want, c); d != "" {
			return "help/version Config carries other options (-want +got):\n" + d, ""
		}
		return "", ""
	}
	switch {
	case c.Port < 0 || c.Port > 65535:
		return fmt.Sprintf("Port %d", c.Port), ""
	case c.SourcePort < -1 || c.SourcePort > 65535:
		return fmt.Sprintf("SourcePort %d", c.SourcePort), ""
	case c.Listen && c.SourcePort != -1:
		return "listen mode with a SourcePort", ""
	case c.Family != 0 && c.Family != 4 && c.Family != 6:
		return fmt.Sprintf("Family %d", c.Family), ""
	case !okTime(c.ConnectTimeout):
		return fmt.Sprintf("ConnectTimeout %v", c.ConnectTimeout), ""
	case c.IdleTimeout != 0 && !okTime(c.IdleTimeout):
		return fmt.Sprintf("IdleTimeout %v", c.IdleTimeout), ""
	case c.Delay != 0 && !okTime(c.Delay):
		return fmt.Sprintf("Delay %v", c.Delay), ""
	case c.QuitAfterEOF > 0 && !okTime(c.QuitAfterEOF):
		return fmt.Sprintf("QuitAfterEOF %v", c.QuitAfterEOF), ""
	case c.MaxConns < 0:
		return fmt.Sprintf("MaxConns %d", c.MaxConns), ""
	case !c.Listen && c.MaxConns != DefaultConfig().MaxConns:
		return "--max-conns in connect mode", ""
	case c.Listen && c.SourceAddr != "":
		return "-l with -s", ""
	case c.Listen && c.ZeroIO:
		return "-l with -z", ""
	case c.ZeroIO && c.Telnet:
		return "-z with -t", ""
	case len(c.ScanPorts) > 0 && (!c.ZeroIO || c.Unix || c.Port != 0):
		return "a port list without -z, or with -U or a Port", ""
	case !slices.IsSorted(c.ScanPorts) || slices.Contains(c.ScanPorts, 0) || len(slices.Compact(slices.Clone(c.ScanPorts))) != len(c.ScanPorts):
		return fmt.Sprintf("ScanPorts not ascending ports from 1: %v", c.ScanPorts), ""
	case c.SendOnly && c.RecvOnly:
		return "--send-only with --recv-only", ""
	case c.Unix && (c.SourcePort != -1 || c.Family != 0 || c.Port != 0):
		return "Unix socket with a port or address family", ""
	case c.AppendOutput && c.OutputFile == "" && c.HexDumpFile == "":
		return "--append-output without -o or -x", ""
	case c.Progress != "" && c.Progress != "auto" && c.Progress != "always":
		return fmt.Sprintf("Progress %q", c.Progress), ""
	case c.Status != "" && !okStatus(c.Status):
		return fmt.Sprintf("Status %q", c.Status), ""
	case c.Verbose < 0:
		return fmt.Sprintf("Verbose %d", c.Verbose), bugNoArgOption
	case !c.Listen && c.Host == "":
		return "connect mode without a host", bugEmptyHost
	case c.Unix && c.Host == "":
		return "Unix socket without a path", bugEmptyHost
	}
	return "", ""
}

// FuzzParseTime checks parseTime and parseQuitTime: no panics, *UsageError
// only, results in whole milliseconds within ncat's bounds, and the
// documented equivalences (units are case-insensitive, a bare number below
// 100 is seconds, -q agrees with the other options on positive values).
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"1", "1.5", ".5", "500ms", "2S", "1m", "1h", "100s", "0", "-1", "100", "1e3", "2147484s", "5s0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		const what = "-w timeout"
		d, err := parseTime(what, s)
		if err != nil {
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("parseTime(%q) error %v is %T, want *UsageError", s, err, err)
			}
			invalid := invalidTime(what, s)
			april := fmt.Sprintf("Since April 2010, the default unit for %s is seconds, so your time of %q is ", what, s)
			if ue.Msg != invalid && !strings.HasPrefix(ue.Msg, april) {
				t.Fatalf("parseTime(%q) error %q is neither ncat message", s, ue.Msg)
			}
		} else {
			if d < time.Millisecond || d > maxMillis*time.Millisecond || d%time.Millisecond != 0 {
				t.Fatalf("parseTime(%q) = %v, outside 1ms..2^31-1 ms or not whole ms", s, d)
			}
		}

		// Case of the unit does not matter.
		if isASCII(s) {
			for _, v := range []string{strings.ToUpper(s), strings.ToLower(s)} {
				dv, errv := parseTime(what, v)
				if dv != d || (errv == nil) != (err == nil) {
					t.Fatalf("parseTime(%q) = %v, %v but parseTime(%q) = %v, %v", s, d, err, v, dv, errv)
				}
			}
		}
		// A bare number is seconds (as long as it is not refused as a
		// likely millisecond value).
		if last := s[max(len(s)-1, 0):]; err == nil && (last == "." || last >= "0" && last <= "9") {
			if ds, errs := parseTime(what, s+"s"); errs != nil || ds != d {
				t.Fatalf("parseTime(%q) = %v but parseTime(%q) = %v, %v", s, d, s+"s", ds, errs)
			}
		}

		q, qerr := parseQuitTime(s)
		if qerr != nil {
			var ue *UsageError
			if !errors.As(qerr, &ue) {
				t.Fatalf("parseQuitTime(%q) error %v is %T, want *UsageError", s, qerr, qerr)
			}
			if !strings.Contains(ue.Msg, "-q timeout") {
				t.Fatalf("parseQuitTime(%q) error %q does not name -q", s, ue.Msg)
			}
		} else if q > 0 && (q < time.Millisecond || q > maxMillis*time.Millisecond || q%time.Millisecond != 0) {
			t.Fatalf("parseQuitTime(%q) = %v, outside 1ms..2^31-1 ms or not whole ms", s, q)
		}
		if err == nil && (qerr != nil || q != d) {
			t.Fatalf("parseTime(%q) = %v but parseQuitTime = %v, %v", s, d, q, qerr)
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// okStatus reports whether a --status address is host:port with a host
// and a port number.
func okStatus(s string) bool {
	host, port, err := net.SplitHostPort(s)
	n, perr := strconv.Atoi(port)
	return err == nil && host != "" && perr == nil && n >= 0 && n <= 65535
}
