package cli

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// maxMillis is the largest time ncat accepts: 2^31-1 milliseconds.
const maxMillis = math.MaxInt32

// parseTime reads an ncat time value: a decimal number with an optional,
// case-insensitive unit ms, s, m or h; a bare number means seconds. what
// names the option in messages, e.g. "-w timeout".
func parseTime(what, s string) (time.Duration, error) {
	num, unit := splitUnit(s)
	v, ok := parseDecimal(num)
	invalid := usageErrorf("Invalid %s %q (must be greater than 0 and less than %ds). QUITTING.", what, s, maxMillis/1000)
	if !ok {
		return 0, invalid
	}
	ms := math.Trunc(v * unit)
	if ms < 1 || ms > maxMillis {
		return 0, invalid
	}
	if unit == 1000 && len(num) == len(s) && v >= 100 {
		return 0, usageErrorf("Since April 2010, the default unit for %s is seconds, so your time of %q is %.1f minutes. Use \"%sms\" for %s milliseconds. QUITTING.",
			what, s, v/60, s, s)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// parseQuitTime reads -q: an ncat time value, or, as Debian's nc takes it,
// 0 (quit at once after stdin EOF) or a negative number (never quit).
func parseQuitTime(s string) (time.Duration, error) {
	if rest, negative := strings.CutPrefix(s, "-"); negative {
		if _, ok := parseDecimal(rest); ok {
			return -1, nil
		}
	} else if v, ok := parseDecimal(s); ok && v == 0 {
		return 0, nil
	}
	return parseTime("-q timeout", s)
}

// splitUnit splits a unit suffix off s and returns the number part and the
// unit's size in milliseconds.
func splitUnit(s string) (string, float64) {
	lower := strings.ToLower(s)
	for _, u := range []struct {
		suffix string
		ms     float64
	}{{"ms", 1}, {"s", 1000}, {"m", 60_000}, {"h", 3_600_000}} {
		if strings.HasSuffix(lower, u.suffix) {
			return s[:len(s)-len(u.suffix)], u.ms
		}
	}
	return s, 1000
}

// parseDecimal accepts digits with at most one decimal point, and at least
// one digit: the forms ncat documents ("1.5", ".5", "10").
func parseDecimal(s string) (float64, bool) {
	digits, dots := 0, 0
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dots++
		default:
			return 0, false
		}
	}
	if digits == 0 || dots > 1 {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}
