//go:build linux

package main

import (
	"strconv"
	"strings"
	"testing"
)

func TestTableMarkdown(t *testing.T) {
	tab := &table{
		title:  "Throughput",
		tools:  []string{"gnc", "ncat", "socat", "nc.openbsd"},
		format: func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) },
	}
	tab.add(row{
		name:  "pass",
		cells: map[string]cell{"gnc": {value: 3, ok: true}, "ncat": {value: 1, ok: true}, "socat": {value: 3, ok: true}, "nc.openbsd": {note: "—"}},
		goals: []goal{{peer: "ncat", ratio: 3}, {peer: "socat", ratio: 1}},
	})
	tab.add(row{
		name:  "fail",
		cells: map[string]cell{"gnc": {value: 2, ok: true}, "ncat": {value: 1, ok: true}, "socat": {value: 4, ok: true}},
		goals: []goal{{peer: "ncat", ratio: 3}},
	})
	tab.add(row{
		name:  "cpu",
		cells: map[string]cell{"gnc": {value: 1, ok: true}, "ncat": {value: 2, ok: true}, "socat": {value: 4, ok: true}, "nc.openbsd": {note: "failed"}},
		goals: []goal{{peer: everyPeer, ratio: 1, lower: true}},
	})
	tab.add(row{
		name:  "pending",
		cells: map[string]cell{"gnc": {note: "pending"}, "ncat": {value: 1, ok: true}},
		goals: []goal{{peer: "ncat", ratio: 2}},
	})
	var b strings.Builder
	tab.markdown(&b)
	want := `### Throughput

| case | gnc | ncat | socat | nc.openbsd | target | result |
|---|--:|--:|--:|--:|---|---|
| pass | 3 | 1 (3.00×) | 3 (1.00×) | — | ≥ 3× ncat, ≥ socat | PASS |
| fail | 2 | 1 (2.00×) | 4 (0.50×) | — | ≥ 3× ncat | FAIL |
| cpu | 1 | 2 (0.50×) | 4 (0.25×) | failed | < every peer | PASS (no nc.openbsd) |
| pending | pending | 1 | — | — | ≥ 2× ncat | pending |

`
	if got := b.String(); got != want {
		t.Errorf("markdown:\n%s\nwant:\n%s", got, want)
	}
}

func TestTableAbsoluteGoals(t *testing.T) {
	tab := &table{
		title:  "Scale",
		tools:  []string{"gnc", "ncat"},
		format: func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) },
	}
	tab.add(row{
		name:  "members",
		cells: map[string]cell{"gnc": {value: 19950, ok: true}, "ncat": {note: "aborts at 1,019"}},
		goals: []goal{{ratio: 19000, abs: true}},
	})
	tab.add(row{
		name:  "KiB per member",
		cells: map[string]cell{"gnc": {value: 10.5, ok: true}, "ncat": {note: "—"}},
		goals: []goal{{ratio: 10, abs: true, lower: true}},
	})
	var b strings.Builder
	tab.markdown(&b)
	want := `### Scale

| case | gnc | ncat | target | result |
|---|--:|--:|---|---|
| members | 19950 | aborts at 1,019 | ≥ 19000 | PASS |
| KiB per member | 10.5 | — | ≤ 10 | FAIL |

`
	if got := b.String(); got != want {
		t.Errorf("markdown:\n%s\nwant:\n%s", got, want)
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 19950: "19,950", 1234567: "1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestLineRoundTrip(t *testing.T) {
	l := make([]byte, lineLen)
	makeLine(l, kindData, 0x1234, 987654321)
	if l[0] != kindData || l[lineLen-1] != '\n' || len(l) != 64 {
		t.Fatalf("line %q", l)
	}
	if seq, ok := parseHex(l[1:17]); !ok || seq != 0x1234 {
		t.Errorf("seq = %x, %v", seq, ok)
	}
	if sent, ok := parseHex(l[18:34]); !ok || sent != 987654321 {
		t.Errorf("sent = %d, %v", sent, ok)
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"4GiB", 4 << 30}, {"64MiB", 64 << 20}, {"512KiB", 512 << 10}, {"1000", 1000},
		{"", 0}, {"0", 0}, {"-1MiB", 0}, {"4GB", 0}, {"1.5GiB", 0},
	} {
		got, err := parseSize(tc.in)
		if got != tc.want || (err != nil) != (tc.want == 0) {
			t.Errorf("parseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}
