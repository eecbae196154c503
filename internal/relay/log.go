package relay

import (
	"errors"
	"os"
	"sync"

	"gnc/internal/hexdump"
)

// Log writes a session's data to the -o file (raw) and the -x file (ncat's
// hex dump, one dump per chunk), both directions in transfer order. It is
// safe for concurrent use. A nil *Log logs nothing.
type Log struct {
	mu  sync.Mutex
	raw *os.File
	hex *os.File
	buf []byte
}

// OpenLog opens the -o and -x files ("" = none) as ncat does: truncated, or
// appended to with appendMode; mode 0664 less the umask.
func OpenLog(rawPath, hexPath string, appendMode bool) (*Log, error) {
	if rawPath == "" && hexPath == "" {
		return nil, nil
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if appendMode {
		flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	l := &Log{}
	var err error
	if rawPath != "" {
		if l.raw, err = os.OpenFile(rawPath, flags, 0o664); err != nil {
			return nil, err
		}
	}
	if hexPath != "" {
		if l.hex, err = os.OpenFile(hexPath, flags, 0o664); err != nil {
			l.Close()
			return nil, err
		}
	}
	return l, nil
}

// Record logs one chunk as it was read or written.
func (l *Log) Record(chunk []byte) {
	if l == nil || len(chunk) == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.raw != nil {
		l.raw.Write(chunk)
	}
	if l.hex != nil {
		l.buf = hexdump.AppendChunk(l.buf[:0], chunk)
		l.hex.Write(l.buf)
	}
}

// Close closes the files.
func (l *Log) Close() error {
	if l == nil {
		return nil
	}
	var errs []error
	if l.raw != nil {
		errs = append(errs, l.raw.Close())
	}
	if l.hex != nil {
		errs = append(errs, l.hex.Close())
	}
	return errors.Join(errs...)
}
