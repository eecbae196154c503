package testnet

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"io"
	"math/rand/v2"
	"sync"
)

// Stream is a deterministic pseudo-random byte stream of a fixed length, for
// bulk transfers: the same seed gives the same bytes, generated as they are
// read (nothing is held in memory), and the SHA-256 of what has been read is
// kept along the way.
type Stream struct {
	rng  *rand.ChaCha8
	left int64
	sum  hash.Hash
}

// NewStream returns a Stream of n bytes drawn from seed.
func NewStream(seed uint64, n int64) *Stream {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	return &Stream{rng: rand.NewChaCha8(key), left: n, sum: sha256.New()}
}

// Read fills p with the next bytes of the stream.
func (s *Stream) Read(p []byte) (int, error) {
	if s.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > s.left {
		p = p[:s.left]
	}
	n, _ := s.rng.Read(p) // never fails
	s.sum.Write(p[:n])
	s.left -= int64(n)
	return n, nil
}

// Sum returns the SHA-256 of the bytes read so far (all of them once Read
// has returned io.EOF).
func (s *Stream) Sum() []byte { return s.sum.Sum(nil) }

// HashWriter counts and hashes (SHA-256) what is written to it; it is safe
// for one writer and concurrent readers.
type HashWriter struct {
	mu      sync.Mutex
	sum     hash.Hash
	count   int64
	changed chan struct{} // closed and replaced at every write
}

// NewHashWriter returns an empty HashWriter.
func NewHashWriter() *HashWriter {
	return &HashWriter{sum: sha256.New(), changed: make(chan struct{})}
}

// Write hashes p.
func (h *HashWriter) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sum.Write(p)
	h.count += int64(len(p))
	close(h.changed)
	h.changed = make(chan struct{})
	return len(p), nil
}

// Count returns how many bytes have been written.
func (h *HashWriter) Count() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.count
}

// WaitFor waits until at least n bytes have been written, or ctx ends.
func (h *HashWriter) WaitFor(ctx context.Context, n int64) error {
	for {
		h.mu.Lock()
		count, changed := h.count, h.changed
		h.mu.Unlock()
		if count >= n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Sum returns the SHA-256 of everything written so far.
func (h *HashWriter) Sum() []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.sum.Sum(nil)
}
