package broker

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestAppendEscaped(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		// The worked example of ncat-behaviour.md §5, as gnc writes it.
		{"worked example", "hello\x01\x1b[31m\x7f\xc3\xa9\ttab\r\n", "hello\\001\\033[31m\\177é\ttab\r\n"},
		{"printable ascii", " ~abc", " ~abc"},
		{"tab cr lf pass", "\t\r\n", "\t\r\n"},
		{"nul", "\x00", "\\000"},
		{"c0", "\x1f", "\\037"},
		{"del", "\x7f", "\\177"},
		{"backslash not escaped", `a\b`, `a\b`},
		{"c1 control U+0085", "\xc2\x85", "\\302\\205"},
		{"c1 control U+009F", "\xc2\x9f", "\\302\\237"},
		{"U+00A0 passes", "\xc2\xa0", "\xc2\xa0"},
		{"three bytes", "€", "€"},
		{"four bytes", "😀", "😀"},
		{"lone continuation", "\x80", "\\200"},
		{"truncated sequence", "\xe2\x82", "\\342\\202"},
		{"invalid 0xff", "a\xffb", "a\\377b"},
		{"overlong", "\xc0\xaf", "\\300\\257"},
		{"surrogate", "\xed\xa0\x80", "\\355\\240\\200"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(appendEscaped(nil, []byte(tt.in))); got != tt.want {
				t.Errorf("appendEscaped(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func feedAll(chunks []string, flush bool) []string {
	var lb lineBuffer
	var out []string
	emit := func(line []byte) { out = append(out, string(line)) }
	for _, c := range chunks {
		lb.feed([]byte(c), emit)
	}
	if flush {
		lb.flush(emit)
	}
	return out
}

func TestLineBuffer(t *testing.T) {
	long := strings.Repeat("x", MaxLine)
	// A 2-byte rune straddling the MaxLine cut stays whole.
	straddle := strings.Repeat("y", MaxLine-1) + "é" + "z"
	tests := []struct {
		name   string
		chunks []string
		flush  bool
		want   []string
	}{
		{"one line", []string{"hi\n"}, false, []string{"hi\n"}},
		{"two lines one chunk", []string{"a\nb\n"}, false, []string{"a\n", "b\n"}},
		{"partial joined", []string{"part1", "part2\n"}, false, []string{"part1part2\n"}},
		{"partial held", []string{"part1"}, false, nil},
		{"partial flushed with newline", []string{"part1"}, true, []string{"part1\n"}},
		{"crlf kept", []string{"a\r", "\n"}, false, []string{"a\r\n"}},
		{"empty line", []string{"\n"}, false, []string{"\n"}},
		{"max line forced", []string{long + "tail\n"}, false, []string{long + "\n", "tail\n"}},
		{"max line held", []string{long[:100], long[100:]}, false, nil},
		{"max line flushed", []string{long[:100], long[100:]}, true, []string{long + "\n"}},
		{"max line then newline", []string{long, "\n"}, false, []string{long + "\n"}},
		{"max line plus one", []string{long, "a"}, true, []string{long + "\n", "a\n"}},
		{"cut at rune start", []string{straddle}, true, []string{strings.Repeat("y", MaxLine-1) + "\n", "éz\n"}},
		{"nothing to flush", nil, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := feedAll(tt.chunks, tt.flush)
			if len(got) != len(tt.want) {
				t.Fatalf("lines = %d %q, want %d", len(got), short(got), len(tt.want))
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("line %d = %q, want %q", i, shortS(got[i]), shortS(tt.want[i]))
				}
			}
		})
	}
}

func short(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = shortS(s)
	}
	return out
}

func shortS(s string) string {
	if len(s) > 40 {
		return s[:20] + "…" + s[len(s)-20:]
	}
	return s
}

func TestParseCommand(t *testing.T) {
	tests := []struct {
		line string
		want command
	}{
		{"hello\n", command{}},
		{"\n", command{}},
		{"/shrug\n", command{}},
		{"/nickname bob\n", command{}},
		{" /nick bob\n", command{}},
		{"/nick alice\n", command{cmdNick, "alice"}},
		{"/nick alice\r\n", command{cmdNick, "alice"}},
		{"/nick alice", command{cmdNick, "alice"}},
		{"/nick  a.b-c_9 \n", command{cmdNick, "a.b-c_9"}},
		{"/nick " + strings.Repeat("n", 32) + "\n", command{cmdNick, strings.Repeat("n", 32)}},
		{"/nick " + strings.Repeat("n", 33) + "\n", command{cmdBad, `invalid name "` + strings.Repeat("n", 33) + `": use 1-32 of A-Z a-z 0-9 _ . -.`}},
		{"/nick\n", command{cmdBad, "usage: /nick NAME (1-32 of A-Z a-z 0-9 _ . -)."}},
		{"/nick a b\n", command{cmdBad, "usage: /nick NAME (1-32 of A-Z a-z 0-9 _ . -)."}},
		{"/nick a!b\n", command{cmdBad, `invalid name "a!b": use 1-32 of A-Z a-z 0-9 _ . -.`}},
		{"/nick é\n", command{cmdBad, `invalid name "\u00e9": use 1-32 of A-Z a-z 0-9 _ . -.`}},
		{"/nick user7\n", command{cmdBad, "the name user7 is reserved."}},
		{"/nick announce\n", command{cmdBad, "the name announce is reserved."}},
		{"/nick user\n", command{cmdNick, "user"}},
		{"/nick user7x\n", command{cmdNick, "user7x"}},
		{"/who\n", command{kind: cmdWho}},
		{"/who\r\n", command{kind: cmdWho}},
		{"/who me\n", command{cmdBad, "usage: /who (no arguments)."}},
		{"/help\n", command{kind: cmdHelp}},
		{"/help nick\n", command{kind: cmdHelp}},
	}
	for _, tt := range tests {
		if got := parseCommand([]byte(tt.line)); got != tt.want {
			t.Errorf("parseCommand(%q) = %+v, want %+v", tt.line, got, tt.want)
		}
	}
}

// FuzzChatFilter checks the line framing and escaping together: every
// emitted line ends in exactly one newline, no line is longer than the
// limit, nothing is lost, and escaped text is valid UTF-8 with no control
// bytes but tab, CR and LF.
func FuzzChatFilter(f *testing.F) {
	f.Add([]byte("hello\x01\x1b[31m\x7f\xc3\xa9\ttab\r\n"), uint8(3))
	f.Add([]byte("part1part2\n"), uint8(5))
	f.Add([]byte("\xc2\x85\xff\xed\xa0\x80\n"), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, split uint8) {
		orig := bytes.Clone(data)
		var lb lineBuffer
		var got []byte
		emit := func(line []byte) {
			if len(line) == 0 || line[len(line)-1] != '\n' || bytes.IndexByte(line, '\n') != len(line)-1 {
				t.Fatalf("line %q is not one newline-terminated line", line)
			}
			if len(line) > MaxLine+1 {
				t.Fatalf("line of %d bytes, over the limit", len(line))
			}
			esc := appendEscaped(nil, line)
			if !utf8.Valid(esc) {
				t.Fatalf("escaped %q = %q, not valid UTF-8", line, esc)
			}
			for _, r := range string(esc) {
				if r < 0x20 && r != '\t' && r != '\r' && r != '\n' || r == 0x7f || r >= 0x80 && r <= 0x9f {
					t.Fatalf("escaped %q = %q keeps control %U", line, esc, r)
				}
			}
			got = append(got, line...)
		}
		n := int(split) + 1
		for len(data) > 0 {
			k := min(n, len(data))
			lb.feed(data[:k], emit)
			data = data[k:]
		}
		lb.flush(emit)
		// Lines lose nothing but gain forced newlines; removing every
		// newline from both sides must give the same bytes.
		nl := []byte("\n")
		if !bytes.Equal(bytes.ReplaceAll(got, nl, nil), bytes.ReplaceAll(orig, nl, nil)) {
			t.Fatalf("lines %q do not carry the input %q", got, orig)
		}
	})
}

// FuzzChatCommand checks that parseCommand never panics and that an
// accepted nick is always a valid one.
func FuzzChatCommand(f *testing.F) {
	for _, s := range []string{"/nick alice\n", "/who\n", "/help\n", "/nick a b\n", "/nick user5\n", "hello\n", "/nick \xff\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		c := parseCommand(line)
		switch c.kind {
		case cmdNick:
			if checkNick(c.arg) != "" || len(c.arg) == 0 || len(c.arg) > MaxNick {
				t.Fatalf("parseCommand(%q) accepted bad nick %q", line, c.arg)
			}
		case cmdNone:
			if bytes.HasPrefix(line, []byte("/nick ")) || bytes.Equal(bytes.TrimRight(line, "\r\n"), []byte("/who")) {
				t.Fatalf("parseCommand(%q) = not a command", line)
			}
		case cmdBad:
			if c.arg == "" {
				t.Fatalf("parseCommand(%q): bad command without a reply", line)
			}
		}
	})
}
