package cli

import (
	"math"
	"regexp"
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
	if v, ok := parseDecimal(s); ok && v <= 0 {
		if v == 0 {
			return 0, nil
		}
		return -1, nil
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

// parseDecimal reads the number part of a time as C's strtod would for
// the forms that make sense here: optional leading blanks and sign, digits
// with at most one decimal point ("1.5", ".5", "10"), and an exponent.
func parseDecimal(s string) (float64, bool) {
	s = strings.TrimLeft(s, " \t")
	if !decimalPattern.MatchString(s) {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}

var decimalPattern = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)
