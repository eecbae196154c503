package spawn

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		// The reference's rows (ncat 7.93 on loopback).
		{`/bin/echo a\ b c`, []string{"/bin/echo", "a b", "c"}},
		{`/bin/echo 'c d' "e f"`, []string{"/bin/echo", "'c", "d'", `"e`, `f"`}},
		{"/bin/echo a\\\\b  x\ty", []string{"/bin/echo", `a\b`, "x", "y"}},
		// Checked against ncat 7.93 with /usr/bin/printf [%s].
		{`/usr/bin/printf [%s] a \`, []string{"/usr/bin/printf", "[%s]", "a", ""}},
		{`/usr/bin/printf [%s] a\`, []string{"/usr/bin/printf", "[%s]", "a"}},
		{`/usr/bin/printf [%s] \ `, []string{"/usr/bin/printf", "[%s]", " "}},
		{`/usr/bin/printf [%s] x\"y'z $HOME ~ *`, []string{"/usr/bin/printf", "[%s]", `x"y'z`, "$HOME", "~", "*"}},
		{"  /usr/bin/printf\t[%s] a\\\\b  x\ty  ", []string{"/usr/bin/printf", "[%s]", `a\b`, "x", "y"}},
		// More.
		{"", nil},
		{"   \t ", nil},
		{"/bin/cat", []string{"/bin/cat"}},
		{"/bin/cat\n-n", []string{"/bin/cat", "-n"}},
		{`\\`, []string{`\`}},
		{`a\\\ b`, []string{`a\ b`}},
		{`\a\b`, []string{"ab"}},
		{"a\\\tb", []string{"a\tb"}},
		{"é ü", []string{"é", "ü"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Split(tt.in)); diff != "" {
				t.Errorf("Split(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// FuzzSplit checks Split against a second reading of the rules: no word
// holds unescaped whitespace, no panic, and re-escaping every word splits
// back to the same words.
func FuzzSplit(f *testing.F) {
	for _, s := range []string{`/bin/echo a\ b c`, `/bin/echo 'c d' "e f"`, "a\\\\b  x\ty", `a \`, `\`, "", " \n "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words := Split(s)
		var b strings.Builder
		for i, w := range words {
			if i > 0 {
				b.WriteByte(' ')
			}
			if w == "" {
				b.WriteString(`\`) // a lone trailing backslash makes an empty word
				if i != len(words)-1 {
					t.Fatalf("Split(%q) = %q: an empty word before the last", s, words)
				}
				continue
			}
			for j := 0; j < len(w); j++ {
				if w[j] == '\\' || isSpace(w[j]) {
					b.WriteByte('\\')
				}
				b.WriteByte(w[j])
			}
		}
		again := Split(b.String())
		if !cmp.Equal(words, again, cmp.Comparer(func(a, b string) bool { return a == b })) {
			t.Fatalf("Split(%q) = %q; re-escaped %q splits to %q", s, words, b.String(), again)
		}
	})
}
