package hexdump

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The testdata/ncat-*.hex files were written by ncat 7.93 itself:
//
//	ncat -l 127.0.0.1 43117 -x testdata/ncat-hello.hex >/dev/null &
//	printf 'hello world, this is a test of hexdump\0\1\377\n' | ncat 127.0.0.1 43117
//
// Each input reached the listener in a single read, so each file is the dump
// of exactly one chunk.
func TestAppendChunkMatchesNcat(t *testing.T) {
	allBytes := make([]byte, 256)
	for i := range allBytes {
		allBytes[i] = byte(i)
	}
	tests := []struct {
		golden string
		chunk  []byte
	}{
		{"ncat-hello.hex", []byte("hello world, this is a test of hexdump\x00\x01\xff\n")},
		{"ncat-all-bytes.hex", allBytes},
		{"ncat-abcdefghi.hex", []byte("abcdefghi")},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("testdata", tt.golden))
			if err != nil {
				t.Fatal(err)
			}
			if got := AppendChunk(nil, tt.chunk); !bytes.Equal(got, want) {
				t.Errorf("AppendChunk(%q):\n got %q\nwant %q", tt.chunk, got, want)
			}
		})
	}
}

func TestAppendChunk(t *testing.T) {
	// line builds a dump line from its three fields, padding each to its column.
	line := func(off, hexes, ascii string) string {
		return fmt.Sprintf("%s   %-49s %-16s\n", off, hexes, ascii)
	}
	tests := []struct {
		name  string
		chunk string
		want  string
	}{
		{"empty", "", ""},
		{"one byte", "A", line("0000", "41", "A")},
		{"space is a dot", " ", line("0000", "20", ".")},
		{"eight bytes", "01234567", line("0000", "30 31 32 33 34 35 36 37", "01234567")},
		{"nine bytes", "012345678", line("0000", "30 31 32 33 34 35 36 37  38", "012345678")},
		{"full line", "0123456789abcdef",
			"0000   30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  0123456789abcdef\n"},
		{"seventeen bytes", "0123456789abcdef\x7f",
			"0000   30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  0123456789abcdef\n" +
				line("0010", "7f", ".")},
		{"edges of printable", "\x00\x1f\x20\x21\x7e\x7f\x80\xff",
			line("0000", "00 1f 20 21 7e 7f 80 ff", "...!~...")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(AppendChunk(nil, []byte(tt.chunk))); got != tt.want {
				t.Errorf("AppendChunk(%q):\n got %q\nwant %q", tt.chunk, got, tt.want)
			}
			if got := string(AppendChunk([]byte("prefix"), []byte(tt.chunk))); got != "prefix"+tt.want {
				t.Errorf("AppendChunk(prefix, %q) = %q, want prefix kept", tt.chunk, got)
			}
		})
	}
}

// Two reads, "abc" and "defgh", are two dumps that both start at 0000.
func TestAppendChunkOffsetsRestart(t *testing.T) {
	got := string(AppendChunk(AppendChunk(nil, []byte("abc")), []byte("defgh")))
	lines := strings.SplitAfter(got, "\n")
	if len(lines) != 3 || lines[2] != "" {
		t.Fatalf("got %q, want two lines", got)
	}
	for i, l := range lines[:2] {
		if !strings.HasPrefix(l, "0000   ") {
			t.Errorf("line %d = %q, want offset 0000", i, l)
		}
	}
}

func TestAppendChunkLargeOffsets(t *testing.T) {
	chunk := make([]byte, 0x10000+17)
	out := AppendChunk(nil, chunk)
	if err := check(chunk, out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	for _, tt := range []struct {
		line   int
		prefix string
	}{
		{0xfff, "fff0   "},
		{0x1000, "10000   "},
		{0x1001, "10010   "},
	} {
		if !strings.HasPrefix(lines[tt.line], tt.prefix) {
			t.Errorf("line %#x = %q, want prefix %q", tt.line, lines[tt.line], tt.prefix)
		}
	}
}

func TestAppendChunkAllocs(t *testing.T) {
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 2048) // 32 KiB
	dst := make([]byte, 0, 2048*(LineLen+1))
	var out []byte
	if n := testing.AllocsPerRun(100, func() { out = AppendChunk(dst[:0], chunk) }); n != 0 {
		t.Errorf("AppendChunk with room in dst: %v allocations, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { out = AppendChunk(nil, chunk) }); n != 1 {
		t.Errorf("AppendChunk(nil, ...): %v allocations, want 1", n)
	}
	_ = out
}

func FuzzAppendChunk(f *testing.F) {
	// Seeds: testdata/fuzz/FuzzAppendChunk.
	f.Fuzz(func(t *testing.T, chunk []byte) {
		out := AppendChunk([]byte("x"), chunk)
		if out[0] != 'x' {
			t.Fatalf("prefix overwritten: %q", out)
		}
		if err := check(chunk, out[1:]); err != nil {
			t.Fatal(err)
		}
	})
}

// check verifies out as the dump of chunk: line count and widths, offsets,
// hex fields that decode back to chunk, and the ASCII column.
func check(chunk, out []byte) error {
	if len(chunk) == 0 {
		if len(out) != 0 {
			return fmt.Errorf("empty chunk dumped as %q", out)
		}
		return nil
	}
	if out[len(out)-1] != '\n' {
		return fmt.Errorf("dump does not end in a newline: %q", out)
	}
	lines := strings.Split(string(out[:len(out)-1]), "\n")
	if want := (len(chunk) + 15) / 16; len(lines) != want {
		return fmt.Errorf("%d bytes gave %d lines, want %d", len(chunk), len(lines), want)
	}
	for i, l := range lines {
		off := fmt.Sprintf("%04x", 16*i)
		w := len(off) - 4 // extra offset digits past 0xffff
		if len(l) != LineLen+w {
			return fmt.Errorf("line %d is %d characters, want %d: %q", i, len(l), LineLen+w, l)
		}
		if !strings.HasPrefix(l, off+"   ") {
			return fmt.Errorf("line %d = %q, want offset %s", i, l, off)
		}
		b := chunk[16*i : min(16*i+16, len(chunk))]
		hexes := l[7+w : 7+w+48+1]
		want := fmt.Sprintf("% x", b)
		if len(b) > 8 {
			want = want[:23] + "  " + want[24:]
		}
		if strings.TrimRight(hexes, " ") != want {
			return fmt.Errorf("line %d hex field %q, want %q", i, hexes, want)
		}
		if got, err := hex.DecodeString(strings.ReplaceAll(hexes, " ", "")); err != nil || !bytes.Equal(got, b) {
			return fmt.Errorf("line %d hex field %q does not decode to %q", i, hexes, b)
		}
		ascii := []byte(l[57+w:])
		for j := range ascii {
			want := byte(' ')
			if j < len(b) {
				want = b[j]
				if want <= ' ' || want >= 0x7f {
					want = '.'
				}
			}
			if ascii[j] != want {
				return fmt.Errorf("line %d ASCII column %q, byte %d want %q", i, ascii, j, want)
			}
		}
	}
	return nil
}

func BenchmarkAppendChunk(b *testing.B) {
	chunk := bytes.Repeat([]byte("hello world\x00\x01\xff\n\t"), 2048) // 32 KiB
	dst := make([]byte, 0, len(chunk)/16*(LineLen+1))
	b.SetBytes(int64(len(chunk)))
	for b.Loop() {
		dst = AppendChunk(dst[:0], chunk)
	}
}
