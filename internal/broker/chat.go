package broker

import (
	"bytes"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// MaxLine is the longest partial line chat holds back waiting for its
// newline; a longer one is sent in pieces of this size, each ended with a
// newline. It is also the size of one read from a member, as ncat's.
const MaxLine = 8 << 10

// appendEscaped appends line to dst with chat's escaping: printable ASCII,
// tab, CR, LF and valid printable UTF-8 pass; C0 controls, DEL, C1 controls
// (U+0080–U+009F) and bytes that are not valid UTF-8 become a backslash and
// three octal digits, as ncat writes them. A backslash itself passes, as in
// ncat, so the escaping is not reversible.
func appendEscaped(dst, line []byte) []byte {
	for i := 0; i < len(line); {
		if run := plainRun(line[i:]); run > 0 {
			dst = append(dst, line[i:i+run]...)
			i += run
			continue
		}
		b := line[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b < 0x7f || b == '\t' || b == '\r' || b == '\n' {
				dst = append(dst, b)
			} else {
				dst = appendOctal(dst, b)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(line[i:])
		if r == utf8.RuneError && size <= 1 || r >= 0x80 && r <= 0x9f {
			for _, c := range line[i : i+max(size, 1)] {
				dst = appendOctal(dst, c)
			}
			i += max(size, 1)
			continue
		}
		dst = append(dst, line[i:i+size]...)
		i += size
	}
	return dst
}

// plainRun is the length of the run of printable ASCII (and tab, CR, LF)
// that p starts with: the common text that passes unchanged in one append.
func plainRun(p []byte) int {
	for i, b := range p {
		if (b < 0x20 || b >= 0x7f) && b != '\t' && b != '\r' && b != '\n' {
			return i
		}
	}
	return len(p)
}

func appendOctal(dst []byte, b byte) []byte {
	return append(dst, '\\', '0'+b>>6, '0'+b>>3&7, '0'+b&7)
}

// lineBuffer turns one sender's chunks into whole lines: chat gives each
// line one prefix, so a partial line waits for its newline, for MaxLine
// bytes, or for the sender to leave.
type lineBuffer struct {
	partial []byte
}

// feed adds chunk and calls emit for every line it completes, newline
// included. A line is at most MaxLine bytes before its newline: a longer
// one is emitted in MaxLine pieces (cut at a UTF-8 boundary), each with a
// newline added. emit must not keep the slice.
func (lb *lineBuffer) feed(chunk []byte, emit func(line []byte)) {
	for len(chunk) > 0 {
		i := bytes.IndexByte(chunk, '\n')
		if len(lb.partial) == 0 && i >= 0 && i <= MaxLine {
			emit(chunk[:i+1]) // the common case: a whole line, no copy
			chunk = chunk[i+1:]
			continue
		}
		end := len(chunk)
		if i >= 0 {
			end = i
		}
		take := min(end, MaxLine-len(lb.partial))
		lb.partial = append(lb.partial, chunk[:take]...)
		chunk = chunk[take:]
		switch {
		case len(chunk) > 0 && chunk[0] == '\n':
			emit(append(lb.partial, '\n'))
			lb.partial = lb.partial[:0]
			chunk = chunk[1:]
		case len(chunk) > 0: // over MaxLine with more to come: cut
			cut := runeCut(lb.partial)
			emit(append(lb.partial[:cut:cut], '\n'))
			lb.partial = append(lb.partial[:0:0], lb.partial[cut:]...)
		}
	}
	if len(lb.partial) == 0 {
		lb.partial = nil // an idle member holds no buffer
	}
}

// runeCut is where to cut a full partial line: MaxLine, or before a UTF-8
// sequence the limit would break.
func runeCut(p []byte) int {
	cut := len(p)
	for k := cut - 1; k >= 0 && k >= cut-utf8.UTFMax; k-- {
		if utf8.RuneStart(p[k]) {
			if k > 0 && !utf8.FullRune(p[k:cut]) {
				cut = k
			}
			break
		}
	}
	return cut
}

// flush emits a held partial line, ended with a newline.
func (lb *lineBuffer) flush(emit func(line []byte)) {
	if len(lb.partial) == 0 {
		return
	}
	line := append(lb.partial, '\n')
	lb.partial = nil
	emit(line)
}

// commandKind is a chat command a member may type.
type commandKind int

const (
	cmdNone commandKind = iota // not a command: an ordinary line
	cmdNick                    // /nick NAME
	cmdWho                     // /who
	cmdHelp                    // /help
	cmdBad                     // a command used wrongly; command.arg says how
)

// command is one parsed chat command.
type command struct {
	kind commandKind
	arg  string // the name for cmdNick, the reply text for cmdBad
}

// MaxNick is the longest name /nick accepts.
const MaxNick = 32

// parseCommand reads a line (with or without its line ending) as a chat
// command. A line that does not start with one of the command words is
// not a command and is relayed as it is, so "/shrug" still reaches the room.
func parseCommand(line []byte) command {
	line = bytes.TrimRight(line, "\r\n")
	if len(line) == 0 || line[0] != '/' {
		return command{}
	}
	word, rest, _ := bytes.Cut(line, []byte(" "))
	args := bytes.Fields(rest)
	switch string(word) {
	case "/nick":
		if len(args) != 1 {
			return command{cmdBad, "usage: /nick NAME (1-32 of A-Z a-z 0-9 _ . -)."}
		}
		name := string(args[0])
		if why := checkNick(name); why != "" {
			return command{cmdBad, why}
		}
		return command{cmdNick, name}
	case "/who":
		if len(args) != 0 {
			return command{cmdBad, "usage: /who (no arguments)."}
		}
		return command{kind: cmdWho}
	case "/help":
		return command{kind: cmdHelp}
	}
	return command{}
}

// checkNick returns why name cannot be a nick, or "" when it can. Names of
// the form userN and "announce" are reserved: they would look like someone
// else, or like the room itself.
func checkNick(name string) string {
	if len(name) < 1 || len(name) > MaxNick {
		return fmt.Sprintf("invalid name %s: use 1-%d of A-Z a-z 0-9 _ . -.", strconv.QuoteToASCII(name), MaxNick)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-') {
			return fmt.Sprintf("invalid name %s: use 1-%d of A-Z a-z 0-9 _ . -.", strconv.QuoteToASCII(name), MaxNick)
		}
	}
	if name == "announce" || isUserN(name) {
		return fmt.Sprintf("the name %s is reserved.", name)
	}
	return ""
}

// isUserN reports whether name is "user" and digits, chat's default names.
func isUserN(name string) bool {
	digits, ok := bytes.CutPrefix([]byte(name), []byte("user"))
	if !ok || len(digits) == 0 {
		return false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// helpText is the reply to /help, one announce line per command.
const helpText = "<announce> commands:\n" +
	"<announce>   /nick NAME  take the name NAME (1-32 of A-Z a-z 0-9 _ . -)\n" +
	"<announce>   /who        list the members, their addresses and idle times\n" +
	"<announce>   /help       this list\n"
