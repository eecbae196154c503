// Package telnet answers Telnet option negotiation in a byte stream and
// strips it.
//
// It is gnc's -t: every WILL and WONT is refused with DONT, every DO and DONT
// with WONT, wherever it appears in the stream, and no Telnet command reaches
// the data. (ncat 7.93 answers only negotiations at the start of a read and
// passes every byte through.) The package only transforms bytes; it does not
// read, write or own a connection.
package telnet

import "bytes"

// Telnet command bytes (RFC 854, RFC 855).
const (
	se   = 240 // end of subnegotiation
	sb   = 250 // start of subnegotiation
	will = 251
	wont = 252
	do   = 253
	dont = 254
	iac  = 255 // interpret as command
)

type state uint8

const (
	stData  state = iota // plain data
	stIAC                // after IAC
	stOpt                // after IAC WILL/WONT/DO/DONT; Filter.verb says which
	stSB                 // inside IAC SB … IAC SE
	stSBIAC              // after IAC inside a subnegotiation
)

// Filter removes Telnet commands from a stream and collects the answers to
// its option negotiations. It keeps the state of a command split across
// calls to Process. The zero value is ready to use, at the start of a
// stream. A Filter must not be used by more than one goroutine at a time.
type Filter struct {
	state state
	verb  byte // WILL, WONT, DO or DONT while state is stOpt
}

// Process filters the next chunk in of the stream. It appends the data
// bytes of in to dst and the negotiation answers to reply, and returns the
// extended slices; it allocates only when they lack capacity. Neither result
// grows by more than len(in).
//
//   - IAC WILL/WONT opt is answered IAC DONT opt; IAC DO/DONT opt is answered
//     IAC WONT opt.
//   - IAC IAC is the data byte 0xFF.
//   - IAC SB … IAC SE is removed unanswered; IAC IAC inside it is part of it.
//     An IAC followed by anything but SE or IAC ends a subnegotiation that
//     lacks its IAC SE, and that IAC starts a new command.
//   - Any other IAC x (NOP, GA, AYT, …) is removed.
//
// A command cut at the end of in is completed by the next call; one cut off
// by the end of the stream is dropped. The results therefore depend only on
// the concatenation of the chunks, not on where they were split.
//
// dst may be in[:0], to filter in place: data never overtakes the input.
// reply must not overlap in.
func (f *Filter) Process(dst, reply, in []byte) (data, replies []byte) {
	for i := 0; i < len(in); {
		c := in[i]
		switch f.state {
		case stData:
			n := bytes.IndexByte(in[i:], iac)
			if n < 0 {
				return append(dst, in[i:]...), reply
			}
			dst = append(dst, in[i:i+n]...)
			i += n + 1
			f.state = stIAC
			continue
		case stIAC:
			f.state = f.command(c)
			if c == iac {
				dst = append(dst, iac)
			}
		case stOpt:
			answer := byte(wont)
			if f.verb == will || f.verb == wont {
				answer = dont
			}
			reply = append(reply, iac, answer, c)
			f.state = stData
		case stSB:
			n := bytes.IndexByte(in[i:], iac)
			if n < 0 {
				return dst, reply
			}
			i += n
			f.state = stSBIAC
		case stSBIAC:
			switch c {
			case se:
				f.state = stData
			case iac:
				f.state = stSB
			default:
				// Unterminated subnegotiation: c follows an IAC that
				// starts a command.
				f.state = f.command(c)
			}
		}
		i++
	}
	return dst, reply
}

// command returns the state after IAC c, remembering the verb of an option
// negotiation. IAC IAC returns to data; the caller emits the 0xFF.
func (f *Filter) command(c byte) state {
	switch c {
	case will, wont, do, dont:
		f.verb = c
		return stOpt
	case sb:
		return stSB
	default:
		return stData
	}
}
