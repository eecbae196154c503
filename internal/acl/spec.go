// Package acl decides which clients may use a listener: the host specs of
// --allow and --deny (Nmap's syntax: addresses, octet ranges and wildcards,
// CIDR, host names), given on the command line or in files, and a Checker
// that answers "may this address connect?" while SIGHUP swaps its lists.
// It does not accept, close or log connections; its callers do.
package acl

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// SpecError is a host spec that cannot be used. Its text is ncat's, without
// the final "QUITTING.".
type SpecError struct {
	Spec string
	Msg  string // the whole message
}

func (e *SpecError) Error() string { return e.Msg }

func errParsingNetmask(spec string) error {
	return &SpecError{spec, fmt.Sprintf("Error parsing netmask in %q.", spec)}
}

func errIllegalNetmask(spec string) error {
	return &SpecError{spec, fmt.Sprintf("Illegal netmask in %q. Must be smaller than address bit length.", spec)}
}

func errNameNetmask(spec string) error {
	return &SpecError{spec, fmt.Sprintf("Illegal netmask in %q. Must be between 0 and 32.", spec)}
}

func errResolving(spec, name, reason string) error {
	return &SpecError{spec, fmt.Sprintf("Error resolving name %q: %s", name, reason)}
}

// Spec is one parsed host spec. A numeric spec knows its addresses; a host
// name is resolved later, by Resolve, so that parsing does no I/O.
type Spec struct {
	text  string
	rules []rule
	name  string // a host name to resolve; "" for numeric specs
	bits  int    // the name's /bits, -1 when none was given
}

// IsName says the spec is a host name, which needs DNS.
func (s Spec) IsName() bool { return s.name != "" }

// String is the spec as written.
func (s Spec) String() string { return s.text }

// rule is one matching element: a prefix (addresses, CIDR) or, for v4
// octet ranges that are not a prefix, the set of values of each octet.
type rule struct {
	prefix netip.Prefix // valid unless octets is set
	octets *octetRanges
}

// octetRanges is an IPv4 range spec: for each octet, the set of its values
// as a 256-bit set.
type octetRanges [4][4]uint64

func (o *octetRanges) set(i, v int)           { o[i][v>>6] |= 1 << (v & 63) }
func (o *octetRanges) has(i int, v byte) bool { return o[i][v>>6]&(1<<(v&63)) != 0 }

func (o *octetRanges) contains(a [4]byte) bool {
	return o.has(0, a[0]) && o.has(1, a[1]) && o.has(2, a[2]) && o.has(3, a[3])
}

// mask widens the ranges by a netmask as Nmap does: per octet, every value
// that shares the masked bits of a value in the set joins the set.
func (o *octetRanges) mask(bits int) {
	for i := range 4 {
		m := min(max(bits-8*i, 0), 8)
		if m == 8 {
			continue
		}
		keep := byte(0xff << (8 - m))
		var wide [4]uint64
		for v := range 256 {
			if o.has(i, byte(v)) {
				base := int(byte(v) & keep)
				for w := base; w < base+1<<(8-m); w++ {
					wide[w>>6] |= 1 << (w & 63)
				}
			}
		}
		o[i] = wide
	}
}

// block returns the octet's values as lo and a power-of-two size when they
// form one aligned block.
func (o *octetRanges) block(i int) (lo, size int, ok bool) {
	lo, hi := -1, -1
	n := 0
	for v := range 256 {
		if o.has(i, byte(v)) {
			if lo < 0 {
				lo = v
			}
			hi = v
			n++
		}
	}
	size = hi - lo + 1
	if lo < 0 || n != size || size&(size-1) != 0 || lo%size != 0 {
		return 0, 0, false
	}
	return lo, size, true
}

// net24 returns the first three octets when each is a single value.
func (o *octetRanges) net24() ([3]byte, bool) {
	var n [3]byte
	for i := range 3 {
		lo, size, ok := o.block(i)
		if !ok || size != 1 {
			return n, false
		}
		n[i] = byte(lo)
	}
	return n, true
}

// prefix returns the ranges as a CIDR prefix when they are one
// (10.*.*.* is 10.0.0.0/8), so that the common cases match by lookup.
func (o *octetRanges) prefix() (netip.Prefix, bool) {
	var a [4]byte
	bits := 32
	wide := false
	for i := range 4 {
		lo, size, ok := o.block(i)
		switch {
		case !ok, wide && size != 256:
			return netip.Prefix{}, false
		case size > 1 && !wide:
			wide = true
			k := 0
			for 1<<k < size {
				k++
			}
			bits = 8*i + 8 - k
		}
		a[i] = byte(lo)
	}
	return netip.PrefixFrom(netip.AddrFrom4(a), bits), true
}

// ParseSpec parses one host spec: an IPv4 or IPv6 address, IPv4 octet
// ranges and wildcards (192.168.0-255.1-254, 127.0.0.1-, 10.*.*.*), any of
// these with a /bits netmask, or a host name with an optional /bits, left
// for Resolve. Errors are *SpecError with ncat's text.
func ParseSpec(spec string) (Spec, error) {
	host, maskText, hasMask := strings.Cut(spec, "/")
	bits := -1
	if hasMask {
		n, err := strconv.Atoi(maskText)
		if err != nil || !isDigits(maskText) {
			return Spec{}, errParsingNetmask(spec)
		}
		bits = n
	}
	if a, err := netip.ParseAddr(host); err == nil && a.Is6() {
		if bits > 128 {
			return Spec{}, errIllegalNetmask(spec)
		}
		if bits < 0 {
			bits = 128
		}
		p := netip.PrefixFrom(a.WithZone(""), bits).Masked()
		return Spec{text: spec, rules: []rule{{prefix: p}}, bits: -1}, nil
	}
	if r, ok := parseOctetRanges(host); ok {
		if bits > 32 {
			return Spec{}, errIllegalNetmask(spec)
		}
		if bits >= 0 {
			r.mask(bits)
		}
		return Spec{text: spec, rules: []rule{octetRule(r)}, bits: -1}, nil
	}
	if a, ok := parseInetAton(host); ok {
		if bits > 32 {
			return Spec{}, errIllegalNetmask(spec)
		}
		if bits < 0 {
			bits = 32
		}
		p := netip.PrefixFrom(a, bits).Masked()
		return Spec{text: spec, rules: []rule{{prefix: p}}, bits: -1}, nil
	}
	if bits > 128 {
		return Spec{}, errNameNetmask(spec)
	}
	if host == "" {
		return Spec{}, errResolving(spec, host, "Name or service not known")
	}
	return Spec{text: spec, name: host, bits: bits}, nil
}

func octetRule(r *octetRanges) rule {
	if p, ok := r.prefix(); ok {
		return rule{prefix: p}
	}
	return rule{octets: r}
}

// parseOctetRanges parses four dot-separated octets, each "*" or a decimal
// range "a-b" whose ends may be left out ("a-" to 255, "-b" from 0).
func parseOctetRanges(s string) (*octetRanges, bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return nil, false
	}
	r := new(octetRanges)
	for i, p := range parts {
		lo, hi, ok := parseOctetRange(p)
		if !ok {
			return nil, false
		}
		for v := lo; v <= hi; v++ {
			r.set(i, v)
		}
	}
	return r, true
}

func parseOctetRange(p string) (lo, hi int, ok bool) {
	if p == "*" {
		return 0, 255, true
	}
	a, b, isRange := strings.Cut(p, "-")
	lo, hi = 0, 255
	if a != "" || !isRange {
		if lo, ok = parseOctet(a); !ok {
			return 0, 0, false
		}
	}
	switch {
	case !isRange:
		hi = lo
	case b != "":
		if hi, ok = parseOctet(b); !ok {
			return 0, 0, false
		}
	}
	return lo, hi, lo <= hi
}

func parseOctet(s string) (int, bool) {
	if !isDigits(s) {
		return 0, false
	}
	s = strings.TrimLeft(s, "0")
	if len(s) > 3 {
		return 0, false
	}
	n, _ := strconv.Atoi("0" + s)
	return n, n <= 255
}

// parseInetAton reads the numeric IPv4 forms the C library's inet_aton
// takes and ncat therefore accepts: one to four parts, each decimal, octal
// (leading 0) or hex (0x), the last filling the remaining bytes (127.1,
// 0x7f.0.0.1, 2130706433).
func parseInetAton(s string) (netip.Addr, bool) {
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	var v [4]uint64
	for i, p := range parts {
		base := 10
		switch {
		case len(p) > 1 && (p[:2] == "0x" || p[:2] == "0X"):
			base, p = 16, p[2:]
		case len(p) > 1 && p[0] == '0':
			base, p = 8, p[1:]
		}
		if p == "" || p[0] == '+' || p[0] == '-' {
			return netip.Addr{}, false
		}
		n, err := strconv.ParseUint(p, base, 32)
		if err != nil {
			return netip.Addr{}, false
		}
		v[i] = n
	}
	last := len(parts) - 1
	for i := range last {
		if v[i] > 255 {
			return netip.Addr{}, false
		}
	}
	if v[last] >= 1<<(8*(4-last)) {
		return netip.Addr{}, false
	}
	n := v[last]
	for i := range last {
		n |= v[i] << (24 - 8*i)
	}
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), true
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

// SplitList splits a --allow or --deny value at its commas; empty elements
// are skipped, as ncat does.
func SplitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f != "" {
			out = append(out, f)
		}
	}
	return out
}
