package broker

import (
	"bytes"
	"io"
	"testing"
	"time"
)

func TestReadBufferGrowsAndShrinks(t *testing.T) {
	var rb readBuffer
	defer rb.release()
	steps := []struct {
		read int // bytes the read returned
		want int // length of the next buffer
	}{
		{0, smallRead},
		{10, smallRead},
		{smallRead, MaxLine}, // a full small read: more is probably waiting
		{MaxLine, MaxLine},
		{MaxLine - 1, smallRead}, // the stream paused: the big one goes back
		{smallRead - 1, smallRead},
		{smallRead, MaxLine},
		{0, smallRead}, // EOF or an error
	}
	if got := len(rb.next()); got != smallRead {
		t.Fatalf("first buffer: %d bytes, want %d", got, smallRead)
	}
	for i, s := range steps {
		rb.filled(s.read)
		if got := len(rb.next()); got != s.want {
			t.Errorf("step %d: after a read of %d, next buffer %d bytes, want %d", i, s.read, got, s.want)
		}
	}
}

// A member that streams more than one read's worth reaches the others
// byte for byte while its read buffer grows and shrinks.
func TestBrokerRelaysLargeWrites(t *testing.T) {
	r := newRoom(t, Options{})
	a, b := r.dial(t), r.dial(t)
	waitLen(t, r.h, 2)
	want := make([]byte, 3<<20+7)
	for i := range want {
		want[i] = byte(i * 7 / 3)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.Write(want[:100]) // a small read first
		a.Write(want[100:])
	}()
	defer func() { <-done }()
	b.SetReadDeadline(time.Now().Add(waitTimeout))
	got := make([]byte, len(want))
	if _, err := io.ReadFull(b, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("bytes differ")
	}
}

// A member's writer runs only while its queue holds something.
func TestWriterStopsWhenDrained(t *testing.T) {
	r := newRoom(t, Options{})
	a, b := r.dial(t), r.dial(t)
	waitLen(t, r.h, 2)
	for range 3 { // the writer starts again for each message
		io.WriteString(a, "hello\n")
		readUntil(t, b, "hello\n")
		r.h.mu.Lock()
		ms := r.h.members
		r.h.mu.Unlock()
		deadline := time.Now().Add(waitTimeout)
		for _, m := range ms {
			for {
				m.mu.Lock()
				writing, q := m.writing, m.q
				m.mu.Unlock()
				if !writing && q == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("member %s: writer still running with %d queued", m.addr, len(q))
				}
				time.Sleep(time.Millisecond)
			}
		}
	}
}
