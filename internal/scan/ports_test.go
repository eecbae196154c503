package scan

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func span(lo, hi uint16) []uint16 {
	var p []uint16
	for i := int(lo); i <= int(hi); i++ {
		p = append(p, uint16(i))
	}
	return p
}

func TestParsePorts(t *testing.T) {
	tests := []struct {
		args []string
		want []uint16
		err  string
	}{
		{args: []string{"80"}, want: []uint16{80}},
		{args: []string{"20-30,80,443"}, want: append(span(20, 30), 80, 443)},
		{args: []string{"20-30", "80", "443"}, want: append(span(20, 30), 80, 443)},
		{args: []string{"443", "80,22"}, want: []uint16{22, 80, 443}},
		{args: []string{"80,80", "79-81"}, want: []uint16{79, 80, 81}},
		{args: []string{"5-5"}, want: []uint16{5}},
		{args: []string{"00080"}, want: []uint16{80}},
		{args: []string{"1-65535"}, want: span(1, 65535)},
		{args: []string{"65535"}, want: []uint16{65535}},
		{args: nil, err: `Invalid port list "": no ports.`},
		{args: []string{"0"}, err: `Invalid port list "0": "0": ports are 1 to 65535.`},
		{args: []string{"0-10"}, err: `Invalid port list "0-10": "0-10": ports are 1 to 65535.`},
		{args: []string{"65536"}, err: `Invalid port list "65536": "65536": ports are 1 to 65535.`},
		{args: []string{"80", "1-99999999999999999999"}, err: `Invalid port list "1-99999999999999999999": "1-99999999999999999999": ports are 1 to 65535.`},
		{args: []string{"30-20"}, err: `Invalid port list "30-20": range "30-20" ends before it starts.`},
		{args: []string{"a-b"}, err: `Invalid port list "a-b": "a-b" is not a port (N) or a range (N-M).`},
		{args: []string{"http"}, err: `Invalid port list "http": "http" is not a port (N) or a range (N-M).`},
		{args: []string{"1-2-3"}, err: `Invalid port list "1-2-3": "1-2-3" is not a port (N) or a range (N-M).`},
		{args: []string{"+5"}, err: `Invalid port list "+5": "+5" is not a port (N) or a range (N-M).`},
		{args: []string{" 5"}, err: `Invalid port list " 5": " 5" is not a port (N) or a range (N-M).`},
		{args: []string{""}, err: `Invalid port list "": empty item.`},
		{args: []string{"80,"}, err: `Invalid port list "80,": empty item.`},
		{args: []string{"80,,81"}, err: `Invalid port list "80,,81": empty item.`},
		{args: []string{",80"}, err: `Invalid port list ",80": empty item.`},
		{args: []string{"-80"}, err: `Invalid port list "-80": range "-80" needs a first and a last port.`},
		{args: []string{"80-"}, err: `Invalid port list "80-": range "80-" needs a first and a last port.`},
		{args: []string{"-"}, err: `Invalid port list "-": range "-" needs a first and a last port.`},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			got, err := ParsePorts(tc.args)
			if tc.err != "" {
				var se *SpecError
				if !errors.As(err, &se) || err.Error() != tc.err {
					t.Fatalf("ParsePorts(%q) = %v, %v; want error %q", tc.args, got, err, tc.err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("ParsePorts(%q) = %v, %v; want %v", tc.args, got, err, tc.want)
			}
		})
	}
}

// FuzzParsePorts checks that ParsePorts never panics, fails only with a
// *SpecError naming one of its arguments, and returns strictly ascending
// ports from 1 to 65535, each of which the arguments name.
func FuzzParsePorts(f *testing.F) {
	for _, s := range []string{"80", "20-30,80,443", "20-30\x0080\x00443", "0", "65536", "30-20", "a-b", "", "80,", "1-65535", "-", "5-5,5", "00080", "1-2-3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args := strings.Split(s, "\x00")
		ports, err := ParsePorts(args)
		if err != nil {
			var se *SpecError
			if !errors.As(err, &se) || !slices.Contains(args, se.Spec) || se.Reason == "" {
				t.Fatalf("ParsePorts(%q) error %v (%T) is not a *SpecError naming an argument", args, err, err)
			}
			return
		}
		if len(ports) == 0 {
			t.Fatalf("ParsePorts(%q) = no ports and no error", args)
		}
		for i, p := range ports {
			if p == 0 || i > 0 && ports[i-1] >= p {
				t.Fatalf("ParsePorts(%q) = %v: not strictly ascending from 1", args, ports)
			}
		}
		// Every single port named is in the result.
		for _, a := range args {
			for item := range strings.SplitSeq(a, ",") {
				if n, ok := parsePort(item); ok {
					if _, found := slices.BinarySearch(ports, uint16(n)); !found {
						t.Fatalf("ParsePorts(%q) = %v, missing %d", args, ports, n)
					}
				}
			}
		}
	})
}
