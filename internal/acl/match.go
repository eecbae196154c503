package acl

import (
	"net/netip"
	"slices"
)

// List is a set of host specs to match client addresses against. Addresses
// and CIDR prefixes are found by lookup (one per distinct prefix length
// present); octet ranges that are not prefixes by their first three octets
// when those are single values (192.168.5.1-100), else one by one. Its
// zero value is an empty list; a List is read-only once built.
type List struct {
	prefixes     map[netip.Prefix]struct{}
	lens4, lens6 []int // the prefix lengths present, per family
	byNet        map[[3]byte][]*octetRanges
	ranges       []*octetRanges // the others
	n            int
}

func (l *List) add(r rule) {
	if r.octets != nil {
		l.n++
		if net, ok := r.octets.net24(); ok {
			if l.byNet == nil {
				l.byNet = map[[3]byte][]*octetRanges{}
			}
			l.byNet[net] = append(l.byNet[net], r.octets)
			return
		}
		l.ranges = append(l.ranges, r.octets)
		return
	}
	if l.prefixes == nil {
		l.prefixes = map[netip.Prefix]struct{}{}
	}
	l.prefixes[r.prefix] = struct{}{}
	lens := &l.lens6
	if r.prefix.Addr().Is4() {
		lens = &l.lens4
	}
	if !slices.Contains(*lens, r.prefix.Bits()) {
		*lens = append(*lens, r.prefix.Bits())
		slices.Sort(*lens)
	}
}

// Len is the number of distinct rules in the list.
func (l *List) Len() int {
	if l == nil {
		return 0
	}
	return len(l.prefixes) + l.n
}

// Contains says whether a matches the list. An IPv4 address (also in its
// IPv4-mapped IPv6 form) matches IPv4 specs and, through its mapped form
// ::ffff:a.b.c.d, IPv6 specs; an IPv6 address matches IPv6 specs only.
// Zones are ignored.
func (l *List) Contains(a netip.Addr) bool {
	if l == nil || !a.IsValid() {
		return false
	}
	a = a.WithZone("").Unmap()
	if a.Is4() {
		if l.hasPrefix(a, l.lens4) {
			return true
		}
		b := a.As4()
		for _, r := range l.byNet[[3]byte(b[:3])] {
			if r.contains(b) {
				return true
			}
		}
		for _, r := range l.ranges {
			if r.contains(b) {
				return true
			}
		}
		a = netip.AddrFrom16(a.As16())
	}
	return l.hasPrefix(a, l.lens6)
}

func (l *List) hasPrefix(a netip.Addr, lens []int) bool {
	for _, bits := range lens {
		p, err := a.Prefix(bits)
		if err != nil {
			continue
		}
		if _, ok := l.prefixes[p]; ok {
			return true
		}
	}
	return false
}
