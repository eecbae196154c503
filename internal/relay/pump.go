package relay

import (
	"io"
	"time"
)

// pump copies src to dst chunk by chunk for the options that see the bytes.
// Each read is handled whole: recorded for idleness, transformed, logged,
// written in one Write (one datagram), then the -d delay.
type pump struct {
	dst       io.Writer
	reader    io.Reader
	bufSize   int
	transform func([]byte) []byte // nil = none; may return a new slice
	logRaw    bool                // log the chunk as read rather than as written
	log       *Log
	idle      *idleWatch
	delay     time.Duration
	done      <-chan struct{} // cuts a delay short when the session ends
	// onRead and onWrite, if not nil, are told of the bytes of each read
	// and each write (the connection table's counters).
	onRead, onWrite func(int64)
}

func (p *pump) run() (written int64, readErr, writeErr error) {
	buf := make([]byte, p.bufSize)
	for {
		n, err := p.reader.Read(buf)
		if n > 0 {
			p.idle.touch()
			if p.onRead != nil {
				p.onRead(int64(n))
			}
			chunk := buf[:n]
			if p.logRaw {
				p.log.Record(chunk)
			}
			if p.transform != nil {
				chunk = p.transform(chunk)
			}
			if !p.logRaw {
				p.log.Record(chunk)
			}
			if len(chunk) > 0 {
				m, werr := p.dst.Write(chunk)
				written += int64(m)
				if p.onWrite != nil {
					p.onWrite(int64(m))
				}
				if werr != nil {
					return written, nil, werr
				}
				p.idle.touch()
			}
			if p.delay > 0 && !p.sleep() {
				return written, nil, nil
			}
		}
		if err == io.EOF {
			return written, nil, nil
		}
		if err != nil {
			return written, err, nil
		}
	}
}

func (p *pump) sleep() bool {
	t := time.NewTimer(p.delay)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-p.done:
		return false
	}
}
