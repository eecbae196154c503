//go:build linux

package e2e

import (
	"bytes"
	"context"
	"encoding/hex"
	"syscall"
	"testing"
	"time"

	"gnc/internal/testnet"
)

// Bulk transfers: 1 GiB of deterministic pseudo-random bytes from one gnc
// to another, streamed (never held in memory), SHA-256 compared at both
// ends. Skipped with -short. Not parallel: they would slow everything else.

const (
	bulkSize  = 1 << 30
	bulkBound = 4 * time.Minute // a bound against hangs, not a speed target
)

// TestBulkTCP: gnc (stdin a stream) → gnc -l (stdout hashed), single
// connection: stdin EOF half-closes, the listener writes everything and
// exits 0 at the EOF, and so does the sender at the listener's close.
func TestBulkTCP(t *testing.T) {
	if testing.Short() {
		t.Skip("1 GiB transfer skipped in -short mode")
	}
	port := testnet.FreePort(t, "tcp", v4)
	sink := testnet.NewHashWriter()
	recv := gncWith(t, procOpts{stdout: sink, timeout: bulkBound}, "-l", v4, itoa(port))
	waitListening(t, "tcp", port, "")
	src := testnet.NewStream(0x6e63, bulkSize)
	start := time.Now()
	send := gncWith(t, procOpts{stdin: src, timeout: bulkBound}, v4, itoa(port))

	if code := recv.waitFor(bulkBound); code != 0 {
		t.Fatalf("receiver exited %d\n%s", code, recv.dump())
	}
	if code := send.waitFor(bulkBound); code != 0 {
		t.Fatalf("sender exited %d\n%s", code, send.dump())
	}
	t.Logf("1 GiB over TCP in %v", time.Since(start).Round(time.Millisecond))
	compareSums(t, src, sink)
}

// TestBulkKeepOpen: the same through a -l -k receiver, which never exits:
// the sender ends when the receiver drops it at its EOF, and the receiver's
// stdout must then hold every byte.
func TestBulkKeepOpen(t *testing.T) {
	if testing.Short() {
		t.Skip("1 GiB transfer skipped in -short mode")
	}
	port := testnet.FreePort(t, "tcp", v4)
	sink := testnet.NewHashWriter()
	recv := gncWith(t, procOpts{stdout: sink, timeout: bulkBound}, "-l", "-k", v4, itoa(port))
	waitListening(t, "tcp", port, "")
	src := testnet.NewStream(0x6b6b, bulkSize)
	start := time.Now()
	send := gncWith(t, procOpts{stdin: src, timeout: bulkBound}, v4, itoa(port))
	if code := send.waitFor(bulkBound); code != 0 {
		t.Fatalf("sender exited %d\n%s", code, send.dump())
	}
	// The last bytes may still be on their way through the stdout pipe.
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	defer cancel()
	sink.WaitFor(ctx, bulkSize)
	t.Logf("1 GiB through -k in %v", time.Since(start).Round(time.Millisecond))
	recv.requireRunning("-k never exits by itself")
	compareSums(t, src, sink)
	recv.signal(syscall.SIGTERM)
	recv.wait()
}

func compareSums(t *testing.T, src *testnet.Stream, sink *testnet.HashWriter) {
	t.Helper()
	if n := sink.Count(); n != bulkSize {
		t.Fatalf("received %d bytes, sent %d", n, bulkSize)
	}
	sent, got := src.Sum(), sink.Sum()
	if !bytes.Equal(sent, got) {
		t.Fatalf("SHA-256 sent %s, received %s", hex.EncodeToString(sent), hex.EncodeToString(got))
	}
	t.Logf("SHA-256 %s at both ends", hex.EncodeToString(got))
}
