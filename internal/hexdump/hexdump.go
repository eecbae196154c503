// Package hexdump formats data in the layout of ncat's -x hex dump.
//
// It only formats bytes; it does not open, write or lock the -x file.
package hexdump

// LineLen is the length of one dump line without its newline, as long as the
// offset fits in four hex digits (chunks of at most 64 KiB).
const LineLen = 73

const (
	bytesPerLine = 16
	hexCol       = 7  // first hex digit, after the offset and 3 spaces
	asciiCol     = 57 // first character of the ASCII column
	hexDigits    = "0123456789abcdef"
)

// blankTail is a line after its offset with no bytes in it: LineLen-4 spaces
// and the newline.
const blankTail = sp16 + sp16 + sp16 + sp16 + "     " + "\n"

const sp16 = "                "

// The compiler checks that blankTail has the right length.
var _ = [1]struct{}{}[len(blankTail)-(LineLen-4+1)]

// AppendChunk appends the dump of chunk to dst and returns the extended
// slice. Every chunk is dumped on its own: offsets restart at 0000, as ncat
// dumps each read or write separately. An empty chunk appends nothing.
//
// Each line is a %04x offset, 3 spaces, 16 "%02x " fields with an extra
// space after the 8th, one more space and an ASCII column in which bytes
// 0x21..0x7e show as themselves and every other byte (space included) as
// '.'. A short last line is padded with spaces to LineLen. Offsets of 0x10000
// and above take more than four digits, as with printf's %04x.
//
// AppendChunk allocates only when dst lacks capacity, and then once.
func AppendChunk(dst, chunk []byte) []byte {
	if len(chunk) == 0 {
		return dst
	}
	lines := (len(chunk) + bytesPerLine - 1) / bytesPerLine
	need := lines * (LineLen + 1)
	if len(chunk) > 0x10000 {
		// Offsets past 0xffff are wider; over-reserve a little rather than count.
		need += lines * 4
	}
	if cap(dst)-len(dst) < need {
		// One allocation, -race included (slices.Grow made two there).
		grown := make([]byte, len(dst), len(dst)+need)
		copy(grown, dst)
		dst = grown
	}
	for off := 0; off < len(chunk); off += bytesPerLine {
		dst = appendLine(dst, off, chunk[off:min(off+bytesPerLine, len(chunk))])
	}
	return dst
}

// appendLine appends one line for the (at most 16) bytes b found at offset
// off of their chunk.
func appendLine(dst []byte, off int, b []byte) []byte {
	dst = appendOffset(dst, off)
	var line [len(blankTail)]byte // on the stack; indices are line columns minus 4
	copy(line[:], blankTail)
	for i, c := range b {
		p := hexCol - 4 + 3*i
		if i >= 8 {
			p++
		}
		line[p] = hexDigits[c>>4]
		line[p+1] = hexDigits[c&0x0f]
		if c < 0x21 || c > 0x7e {
			c = '.'
		}
		line[asciiCol-4+i] = c
	}
	return append(dst, line[:]...)
}

// appendOffset appends off in hex, zero-padded to at least four digits.
func appendOffset(dst []byte, off int) []byte {
	n := 4
	for v := off >> 16; v > 0; v >>= 4 {
		n++
	}
	for shift := 4 * (n - 1); shift >= 0; shift -= 4 {
		dst = append(dst, hexDigits[(off>>shift)&0x0f])
	}
	return dst
}
