package telnet

import (
	"bytes"
	"testing"
)

var tests = []struct {
	name      string
	in        string
	data      string
	replies   string
	midstream bool // a command is still open at the end of in
}{
	{name: "empty"},
	{name: "plain data", in: "hello\r\n", data: "hello\r\n"},
	{
		// ncat-behaviour.md §11: ncat 7.93 answers only the first two and
		// writes all 12 bytes to stdout.
		name:    "reference example",
		in:      "\xff\xfd\x01\xff\xfb\x03hi\xff\xfd\x18\n",
		data:    "hi\n",
		replies: "\xff\xfc\x01\xff\xfe\x03\xff\xfc\x18",
	},
	{name: "will", in: "\xff\xfb\x01", replies: "\xff\xfe\x01"},
	{name: "wont", in: "\xff\xfc\x01", replies: "\xff\xfe\x01"},
	{name: "do", in: "\xff\xfd\x1f", replies: "\xff\xfc\x1f"},
	{name: "dont", in: "\xff\xfe\x1f", replies: "\xff\xfc\x1f"},
	{name: "option 255", in: "\xff\xfd\xff", replies: "\xff\xfc\xff"},
	{name: "escaped 0xff", in: "a\xff\xffb", data: "a\xffb"},
	{name: "escaped 0xff twice", in: "\xff\xff\xff\xff", data: "\xff\xff"},
	{name: "escape then command", in: "\xff\xff\xff\xfd\x01", data: "\xff", replies: "\xff\xfc\x01"},
	{name: "nop ga ayt", in: "a\xff\xf1b\xff\xf9c\xff\xf6", data: "abc"},
	{name: "bare se", in: "a\xff\xf0b", data: "ab"},
	{
		name: "subnegotiation",
		in:   "a\xff\xfa\x18\x01\xff\xf0b",
		data: "ab",
	},
	{
		name: "subnegotiation with escaped iac and se byte",
		in:   "a\xff\xfa\x18\x00\xff\xff\xf0x\xff\xf0b",
		data: "ab",
	},
	{
		name:    "negotiation inside subnegotiation bytes is not answered",
		in:      "\xff\xfa\x18\xfb\x01\xff\xf0",
		replies: "",
	},
	{
		name:    "unterminated subnegotiation ended by a command",
		in:      "\xff\xfa\x18abc\xff\xfd\x01def",
		data:    "def",
		replies: "\xff\xfc\x01",
	},
	{
		name: "unterminated subnegotiation ended by another",
		in:   "\xff\xfa\x18abc\xff\xfa\x20x\xff\xf0def",
		data: "def",
	},
	{name: "dangling iac", in: "ab\xff", data: "ab", midstream: true},
	{name: "dangling will", in: "ab\xff\xfb", data: "ab", midstream: true},
	{name: "open subnegotiation", in: "ab\xff\xfa\x18xyz", data: "ab", midstream: true},
	{name: "open subnegotiation after iac", in: "ab\xff\xfa\x18xyz\xff", data: "ab", midstream: true},
}

func TestProcess(t *testing.T) {
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f Filter
			data, replies := f.Process(nil, nil, []byte(tt.in))
			if string(data) != tt.data || string(replies) != tt.replies {
				t.Errorf("Process(%q) = %q, %q; want %q, %q", tt.in, data, replies, tt.data, tt.replies)
			}
			if open := f.state != stData; open != tt.midstream {
				t.Errorf("after %q: command open = %v, want %v", tt.in, open, tt.midstream)
			}
		})
	}
}

func TestProcessAppends(t *testing.T) {
	var f Filter
	data, replies := f.Process([]byte("d:"), []byte("r:"), []byte("x\xff\xfd\x01y"))
	if string(data) != "d:xy" || string(replies) != "r:\xff\xfc\x01" {
		t.Errorf("got %q, %q; want prefixes kept", data, replies)
	}
}

// Every way of cutting the stream in two, and byte-at-a-time feeding, give
// the same results as one call.
func TestProcessSplit(t *testing.T) {
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			for cut := 0; cut <= len(in); cut++ {
				data, replies := feed(in[:cut], in[cut:])
				if string(data) != tt.data || string(replies) != tt.replies {
					t.Errorf("cut at %d: got %q, %q; want %q, %q", cut, data, replies, tt.data, tt.replies)
				}
			}
			data, replies := feed(chunks(in, 1)...)
			if string(data) != tt.data || string(replies) != tt.replies {
				t.Errorf("byte at a time: got %q, %q; want %q, %q", data, replies, tt.data, tt.replies)
			}
		})
	}
}

func TestProcessInPlace(t *testing.T) {
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			var f Filter
			data, replies := f.Process(in[:0], nil, in)
			if string(data) != tt.data || string(replies) != tt.replies {
				t.Errorf("in place: got %q, %q; want %q, %q", data, replies, tt.data, tt.replies)
			}
		})
	}
}

func TestProcessAllocs(t *testing.T) {
	in := bytes.Repeat([]byte("some data\xff\xfd\x01\xff\xff\xff\xfa\x18x\xff\xf0"), 100)
	dst := make([]byte, 0, len(in))
	reply := make([]byte, 0, len(in))
	var f Filter
	if n := testing.AllocsPerRun(100, func() { f.Process(dst, reply, in) }); n != 0 {
		t.Errorf("Process with room in dst and reply: %v allocations, want 0", n)
	}
}

func FuzzFilter(f *testing.F) {
	// Seeds: testdata/fuzz/FuzzFilter.
	f.Fuzz(func(t *testing.T, in []byte, cut uint16) {
		var whole Filter
		data, replies := whole.Process(nil, nil, in)
		if len(data) > len(in) || len(replies) > len(in) {
			t.Fatalf("%d input bytes gave %d data and %d reply bytes", len(in), len(data), len(replies))
		}
		if bytes.IndexByte(in, iac) < 0 && (!bytes.Equal(data, in) || len(replies) != 0) {
			t.Fatalf("input without IAC changed: %q → %q, %q", in, data, replies)
		}
		if len(replies)%3 != 0 {
			t.Fatalf("replies %q are not whole commands", replies)
		}
		for i := 0; i < len(replies); i += 3 {
			if replies[i] != iac || (replies[i+1] != dont && replies[i+1] != wont) {
				t.Fatalf("reply %q at %d is not IAC DONT/WONT", replies[i:i+3], i)
			}
		}

		c := int(cut) % (len(in) + 1)
		d2, r2 := feed(in[:c], in[c:])
		if !bytes.Equal(d2, data) || !bytes.Equal(r2, replies) {
			t.Fatalf("cut at %d: got %q, %q; want %q, %q", c, d2, r2, data, replies)
		}
		d3, r3 := feed(chunks(in, 1+int(cut)%7)...)
		if !bytes.Equal(d3, data) || !bytes.Equal(r3, replies) {
			t.Fatalf("chunks of %d: got %q, %q; want %q, %q", 1+int(cut)%7, d3, r3, data, replies)
		}

		buf := bytes.Clone(in)
		var inPlace Filter
		d4, r4 := inPlace.Process(buf[:0], nil, buf)
		if !bytes.Equal(d4, data) || !bytes.Equal(r4, replies) {
			t.Fatalf("in place: got %q, %q; want %q, %q", d4, r4, data, replies)
		}
	})
}

// feed runs one Filter over the chunks and returns everything it produced.
func feed(chunks ...[]byte) (data, replies []byte) {
	var f Filter
	for _, c := range chunks {
		data, replies = f.Process(data, replies, c)
	}
	return data, replies
}

// chunks cuts b into pieces of n bytes, the last one shorter.
func chunks(b []byte, n int) [][]byte {
	var out [][]byte
	for len(b) > n {
		out = append(out, b[:n])
		b = b[n:]
	}
	return append(out, b)
}

func BenchmarkProcess(b *testing.B) {
	in := bytes.Repeat([]byte("a line of ordinary text without commands\r\n"), 800) // ~33 KiB
	in = append(in, "\xff\xfd\x01"...)
	dst := make([]byte, 0, len(in))
	reply := make([]byte, 0, 64)
	var f Filter
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		f.Process(dst, reply, in)
	}
}
