package acl

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// FuzzSpec checks that any spec parses to a *SpecError or to rules that
// match without panicking, and that octet ranges turned into prefixes
// give the same verdict as the ranges themselves.
func FuzzSpec(f *testing.F) {
	for _, tc := range specCases {
		f.Add(tc.spec, []byte{127, 0, 0, 1})
	}
	for _, s := range []string{"10.0.0.0/33", "::1/129", "1.2.3.4/x", "*", "1-.2-.-3.*/17", "0x7f.1", "4294967295", "a,b"} {
		f.Add(s, []byte{10, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})
	}
	f.Fuzz(func(t *testing.T, spec string, raw []byte) {
		s, err := ParseSpec(spec)
		if err != nil {
			var se *SpecError
			if !errors.As(err, &se) || se.Spec != spec {
				t.Fatalf("ParseSpec(%q) error %v is not a *SpecError for it", spec, err)
			}
			return
		}
		var a netip.Addr
		switch {
		case len(raw) >= 16:
			a = netip.AddrFrom16([16]byte(raw[:16]))
		case len(raw) >= 4:
			a = netip.AddrFrom4([4]byte(raw[:4]))
		default:
			return
		}
		if s.IsName() {
			if s.CheckNoDNS() == nil {
				t.Fatalf("name spec %q passes -n", spec)
			}
			return
		}
		var l List
		for _, r := range s.rules {
			l.add(r)
		}
		l.Contains(a)
		host, _, _ := strings.Cut(spec, "/")
		if r, ok := parseOctetRanges(host); ok && a.Is4() {
			if p, ok := r.prefix(); ok && p.Contains(a) != r.contains(a.As4()) {
				t.Fatalf("%q: prefix %v and ranges disagree on %v", host, p, a)
			}
		}
	})
}

// FuzzReadSpecs checks that a spec file never yields an empty spec, one
// with whitespace, or one with a comment in it.
func FuzzReadSpecs(f *testing.F) {
	f.Add("# office\n10.0.0.0/8  192.168.1.1\t# printer\n\n::1\r\n")
	f.Add("a#b#c\n#\n\n  \t \n")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		specs, err := ReadSpecs(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, s := range specs {
			if s.Text == "" || strings.ContainsAny(s.Text, "# \t\r\n") || s.Line < 1 {
				t.Fatalf("ReadSpecs(%q) gave %+v", in, s)
			}
		}
	})
}
