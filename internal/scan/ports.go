package scan

import (
	"fmt"
	"strings"
)

// SpecError is a port list that does not parse. Its text names the whole
// argument and what is wrong with it:
// Invalid port list "30-20": range "30-20" ends before it starts.
type SpecError struct {
	Spec   string // the argument as given
	Reason string
}

func (e *SpecError) Error() string {
	return fmt.Sprintf("Invalid port list %q: %s.", e.Spec, e.Reason)
}

// ParsePorts parses -z port arguments: each is a comma-separated list of
// ports (N) and inclusive ranges (N-M), ports from 1 to 65535. The result
// is in ascending order, each port once, however often it was named.
func ParsePorts(args []string) ([]uint16, error) {
	if len(args) == 0 {
		return nil, &SpecError{Reason: "no ports"}
	}
	var seen [65536 / 64]uint64
	n := 0
	for _, arg := range args {
		for item := range strings.SplitSeq(arg, ",") {
			lo, hi, reason := parseItem(item)
			if reason != "" {
				return nil, &SpecError{Spec: arg, Reason: reason}
			}
			for p := lo; p <= hi; p++ {
				if seen[p/64]&(1<<(p%64)) == 0 {
					seen[p/64] |= 1 << (p % 64)
					n++
				}
			}
		}
	}
	ports := make([]uint16, 0, n)
	for p := 1; p <= 65535; p++ {
		if seen[p/64]&(1<<(p%64)) != 0 {
			ports = append(ports, uint16(p))
		}
	}
	return ports, nil
}

// parseItem parses one N or N-M; a non-empty reason says why it is invalid.
func parseItem(item string) (lo, hi int, reason string) {
	if item == "" {
		return 0, 0, "empty item"
	}
	a, b, isRange := strings.Cut(item, "-")
	if !isRange {
		b = a
	}
	lo, ok1 := parsePort(a)
	hi, ok2 := parsePort(b)
	switch {
	case isRange && (a == "" || b == ""):
		return 0, 0, fmt.Sprintf("range %q needs a first and a last port", item)
	case !ok1 || !ok2:
		if !isDigits(a) || !isDigits(b) {
			return 0, 0, fmt.Sprintf("%q is not a port (N) or a range (N-M)", item)
		}
		return 0, 0, fmt.Sprintf("%q: ports are 1 to 65535", item)
	case lo > hi:
		return 0, 0, fmt.Sprintf("range %q ends before it starts", item)
	}
	return lo, hi, ""
}

// parsePort reads a decimal port from 1 to 65535 (leading zeros allowed).
func parsePort(s string) (int, bool) {
	if !isDigits(s) {
		return 0, false
	}
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
		if n > 65535 {
			return 0, false
		}
	}
	return n, n >= 1
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
