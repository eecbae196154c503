package broker

import "sync"

// smallRead is the read size of a member that sends little: an idle
// member waits in Read on a buffer this small.
const smallRead = 512

// bigReads holds MaxLine read buffers, lent to members while they send
// faster than smallRead bytes at a time.
var bigReads = sync.Pool{New: func() any { return new([MaxLine]byte) }}

// readBuffer is one member's read buffer. It starts small and grows to
// MaxLine, from a pool, when a read fills it; the big buffer goes back to
// the pool after a read that does not fill it. So an idle member holds
// smallRead bytes, and one that streams reads MaxLine at a time, as ncat.
type readBuffer struct {
	small *[smallRead]byte
	big   *[MaxLine]byte
}

// next returns the buffer for the next read.
func (rb *readBuffer) next() []byte {
	if rb.big != nil {
		return rb.big[:]
	}
	if rb.small == nil {
		rb.small = new([smallRead]byte)
	}
	return rb.small[:]
}

// filled adjusts the buffer after a read of n bytes into what next
// returned.
func (rb *readBuffer) filled(n int) {
	switch {
	case rb.big == nil && n == smallRead:
		rb.big = bigReads.Get().(*[MaxLine]byte)
	case rb.big != nil && n < MaxLine:
		rb.release()
	}
}

// release gives the big buffer back to the pool.
func (rb *readBuffer) release() {
	if rb.big != nil {
		bigReads.Put(rb.big)
		rb.big = nil
	}
}
