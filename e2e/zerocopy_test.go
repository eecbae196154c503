//go:build linux

package e2e

import (
	"bytes"
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"gnc/internal/testnet"
)

// zeroCopyCall matches a successful splice or sendfile in strace's log.
var zeroCopyCall = regexp.MustCompile(`(?m)\b(splice|sendfile)\(.*\)\s*=\s*[1-9]\d*$`)

// straceGnc runs gnc under strace, logging splice and sendfile calls of
// every thread to the returned file.
func straceGnc(t *testing.T, o procOpts, args ...string) (*proc, string) {
	t.Helper()
	strace := testnet.RequireTool(t, "strace")
	log := filepath.Join(t.TempDir(), "strace.log")
	full := append([]string{"-f", "-qq", "-e", "trace=splice,sendfile", "-o", log, gncBin}, args...)
	p := startProc(t, o, strace, full...)
	p.name = "gnc (strace)"
	return p, log
}

func zeroCopyCalls(t *testing.T, log string) []string {
	t.Helper()
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	var calls []string
	for _, m := range zeroCopyCall.FindAllStringSubmatch(string(b), -1) {
		calls = append(calls, m[1])
	}
	return calls
}

const zeroCopySize = 8 << 20

// TestZeroCopyFileToTCP: a regular file on stdin goes to a plain TCP
// connection by sendfile or splice, not through user space.
func TestZeroCopyFileToTCP(t *testing.T) {
	t.Parallel()
	in := filepath.Join(t.TempDir(), "in")
	f, err := os.Create(in)
	if err != nil {
		t.Fatal(err)
	}
	src := testnet.NewStream(1, zeroCopySize)
	if _, err := io.Copy(f, src); err != nil {
		t.Fatal(err)
	}
	f.Seek(0, io.SeekStart)
	t.Cleanup(func() { f.Close() })

	ln, port := listenTCP(t, v4)
	p, log := straceGnc(t, procOpts{stdin: f}, v4, itoa(port))
	c := accept(t, ln)
	c.SetReadDeadline(time.Now().Add(testTimeout))
	h := sha256.New()
	n, err := io.Copy(h, c)
	if err != nil || n != zeroCopySize {
		t.Fatalf("server read %d bytes, %v; want %d", n, err, zeroCopySize)
	}
	if !bytes.Equal(h.Sum(nil), src.Sum()) {
		t.Fatal("the bytes that arrived differ from the file")
	}
	c.Close()
	p.expectExit(0)
	calls := zeroCopyCalls(t, log)
	if len(calls) == 0 {
		t.Errorf("no successful splice or sendfile while sending a file over TCP; strace log:\n%s", readFile(t, log))
	}
	t.Logf("zero-copy calls: %d (%v…)", len(calls), calls[:min(len(calls), 3)])
}

// TestZeroCopyTCPToFile: a plain TCP connection goes to a regular file on
// stdout by splice.
func TestZeroCopyTCPToFile(t *testing.T) {
	t.Parallel()
	outPath := filepath.Join(t.TempDir(), "out")
	out, err := os.Create(outPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { out.Close() })

	ln, port := listenTCP(t, v4)
	p, log := straceGnc(t, procOpts{stdout: out}, v4, itoa(port))
	c := accept(t, ln)
	src := testnet.NewStream(2, zeroCopySize)
	c.SetWriteDeadline(time.Now().Add(testTimeout))
	if _, err := io.Copy(c, src); err != nil {
		t.Fatal(err)
	}
	c.Close()
	p.expectExit(0)
	got, err := os.ReadFile(outPath)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(got); len(got) != zeroCopySize || !bytes.Equal(sum[:], src.Sum()) {
		t.Fatalf("stdout file has %d bytes (want %d) or differs from what was sent", len(got), zeroCopySize)
	}
	calls := zeroCopyCalls(t, log)
	if len(calls) == 0 {
		t.Errorf("no successful splice while receiving TCP into a file; strace log:\n%s", readFile(t, log))
	}
	t.Logf("zero-copy calls: %d (%v…)", len(calls), calls[:min(len(calls), 3)])
}
