package relay

import (
	"time"

	"gnc/internal/conntrack"
)

// Options are the per-session choices of the command line. The zero value
// relays both ways with no transformation and half-closes at stdin EOF; as
// its QuitAfterEOF is 0 (-q 0) it also ends there. ncat's default, going on
// until the peer's EOF, is QuitAfterEOF -1.
type Options struct {
	SendOnly   bool // never read the connection (--send-only)
	RecvOnly   bool // never read stdin nor send (--recv-only)
	NoShutdown bool // no half-close at stdin EOF (--no-shutdown)

	// QuitAfterEOF ends the session that long after stdin EOF (-q);
	// negative means stdin EOF alone never ends it.
	QuitAfterEOF time.Duration
	// StdinEOFEnds ends the session at stdin EOF (UDP connect mode), or
	// QuitAfterEOF later when that is not negative.
	StdinEOFEnds bool
	// HoldAfterPeerEOF keeps the session after the peer's EOF until stdin
	// ends (connect mode with -k).
	HoldAfterPeerEOF bool
	// CloseStdoutAtPeerEOF closes stdout, when it is an io.Closer, once
	// the connection has nothing more to give (EOF or error): an exec
	// child reading the other end of a pipe then sees its end of input.
	CloseStdoutAtPeerEOF bool

	IdleTimeout time.Duration // -i: 0 = none
	Delay       time.Duration // -d: pause after each chunk
	CRLF        bool          // -C: LF to CRLF on data sent
	Telnet      bool          // -t: answer and strip Telnet negotiation
	Log         *Log          // -o/-x, nil = none

	// Datagram says the connection keeps message boundaries (UDP, unixgram):
	// each stdin read is sent as one datagram, each datagram read whole.
	Datagram bool
	// MaxDatagram caps each datagram read from stdin; 0 is MaxDatagramSend.
	// DTLS sets it to the largest record, 16 KiB.
	MaxDatagram int

	// Conns, when not nil, lists each connection (and -k member) in gnc's
	// connection table while it lasts, with live byte counts. The counts
	// come from the copies' own results, so they cost no wrapper and keep
	// the zero-copy paths.
	Conns *conntrack.Registry
	// Track, if not nil, is the session's entry in the table, made by the
	// caller (which may have counted bytes it relayed before Run); Run
	// counts into it instead of making one in Conns, and closes it.
	Track *conntrack.Conn
}

// datagramSize is the stdin read size in datagram mode.
func (o *Options) datagramSize() int {
	if o.MaxDatagram > 0 {
		return o.MaxDatagram
	}
	return MaxDatagramSend
}

// needsUserCopy reports whether the options must see the bytes, which takes
// the splice and sendfile paths away. With none of them, data moves with
// io.Copy between the bare connection and *os.File.
func (o *Options) needsUserCopy() bool {
	return o.Datagram || o.IdleTimeout > 0 || o.Delay > 0 || o.CRLF || o.Telnet || o.Log != nil
}

// MaxDatagramSend is the largest UDP payload over IPv4, and so the read
// size for stdin in datagram mode: each read is sent as one datagram, and
// this size fits both address families.
const MaxDatagramSend = 65507

// DatagramBuffer is the read buffer for datagrams arriving from the
// network: larger than any UDP payload (65527 bytes over IPv6) and than a
// default Unix datagram, so one read is one whole datagram.
const DatagramBuffer = 128 << 10

// streamChunk is the buffer size of user-space stream copies.
const streamChunk = 64 << 10
