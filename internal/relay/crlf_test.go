package relay

import (
	"strings"
	"testing"
)

func TestCRLFConverter(t *testing.T) {
	tests := []struct {
		name   string
		chunks []string
		want   string
	}{
		{"ncat example", []string{"a\nb\r\nc\r"}, "a\r\nb\r\nc\r"},
		{"CR and LF in two chunks", []string{"\r", "\n"}, "\r\n"},
		{"CRLF split after CR", []string{"line\r", "\nnext\n"}, "line\r\nnext\r\n"},
		{"LF at start of a chunk after plain text", []string{"a", "\nb"}, "a\r\nb"},
		{"lone CR stays", []string{"a\rb"}, "a\rb"},
		{"lone CR at end of chunk then text", []string{"a\r", "b\n"}, "a\rb\r\n"},
		{"blank lines", []string{"\n\n", "\n"}, "\r\n\r\n\r\n"},
		{"CR CR LF", []string{"\r\r\n"}, "\r\r\n"},
		{"empty chunks", []string{"", "a\n", "", "\n"}, "a\r\n\r\n"},
		{"no newline", []string{"abc"}, "abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c crlfConverter
			var got strings.Builder
			for _, ch := range tt.chunks {
				got.Write(c.convert([]byte(ch)))
			}
			if got.String() != tt.want {
				t.Errorf("convert(%q) = %q, want %q", tt.chunks, got.String(), tt.want)
			}
		})
	}
}

// Where a stream is cut into chunks does not change the result.
func TestCRLFConverterAnySplit(t *testing.T) {
	const in = "a\nb\r\nc\r\r\n\n\rx\n\r"
	var whole crlfConverter
	want := string(whole.convert([]byte(in)))
	for i := 0; i <= len(in); i++ {
		for j := i; j <= len(in); j++ {
			var c crlfConverter
			// convert reuses its buffer: copy each result before the next call.
			got := string(c.convert([]byte(in[:i])))
			got += string(c.convert([]byte(in[i:j])))
			got += string(c.convert([]byte(in[j:])))
			if got != want {
				t.Fatalf("split at %d,%d: %q, want %q", i, j, got, want)
			}
		}
	}
	if want != "a\r\nb\r\nc\r\r\n\r\n\rx\r\n\r" {
		t.Errorf("whole = %q", want)
	}
}
