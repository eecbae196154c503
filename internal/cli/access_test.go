package cli

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSignal is a signal signal.Notify ignores, so tests can Deliver it
// without touching the process's real signals.
type fakeSignal string

func (s fakeSignal) String() string { return string(s) }
func (fakeSignal) Signal()          {}

func TestSignals(t *testing.T) {
	var none *Signals
	if none.Deliver(fakeSignal("x")) {
		t.Error("a nil Signals claimed a signal")
	}
	none.Handle(fakeSignal("x"), func() {}) // no effect, no panic

	s := NewSignals(make(chan os.Signal, 1))
	var got []string
	s.Handle(fakeSignal("reload"), func() { got = append(got, "reload") })
	for range 2 {
		if !s.Deliver(fakeSignal("reload")) {
			t.Error("a claimed signal was left to main")
		}
	}
	if s.Deliver(fakeSignal("stop")) {
		t.Error("an unclaimed signal was claimed")
	}
	if strings.Join(got, ",") != "reload,reload" {
		t.Errorf("handler ran %v", got)
	}
	// A table signal before any mode prints tables is dropped, not left
	// to main to stop gnc with.
	for _, sig := range tableSignals() {
		if !s.Deliver(sig) {
			t.Errorf("an unclaimed %v was left to main", sig)
		}
	}
}

// syncBuffer is a stderr tests can read while gnc writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestReloadAccess: the reload signal re-reads the files, a broken file
// keeps the old lists, and the reloader ends with its context.
func TestReloadAccess(t *testing.T) {
	sig := reloadSignal()
	if sig == nil {
		t.Skip("no reload signal on this OS")
	}
	dir := t.TempDir()
	deny := filepath.Join(dir, "deny")
	os.WriteFile(deny, []byte("127.0.0.2\n"), 0o644)
	cfg, err := Parse([]string{"-lv", "--denyfile", deny, "--allow", "127.0.0.0/8"})
	if err != nil {
		t.Fatal(err)
	}
	stderr := new(syncBuffer)
	sigs := NewSignals(make(chan os.Signal, 1))
	e := &env{cfg: cfg, stderr: stderr, signals: sigs}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	stop, err := e.startAccess(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	addr := func(ip string) net.Addr { return &net.TCPAddr{IP: net.ParseIP(ip), Port: 1} }
	if !e.admit(addr("127.0.0.1")) || e.admit(addr("127.0.0.2")) || e.admit(addr("10.0.0.1")) {
		t.Fatal("first verdicts wrong")
	}
	waitFor := func(want string) {
		t.Helper()
		for !strings.Contains(stderr.String(), want) {
			select {
			case <-ctx.Done():
				t.Fatalf("no %q in stderr:\n%s", want, stderr.String())
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
	os.WriteFile(deny, []byte("# swap\n127.0.0.1\n"), 0o644)
	if !sigs.Deliver(sig) {
		t.Fatal("reload signal not claimed")
	}
	waitFor("gnc: Reloaded --allowfile/--denyfile: 1 allowed and 1 denied address specs.\n")
	if e.admit(addr("127.0.0.1")) || !e.admit(addr("127.0.0.2")) {
		t.Error("verdicts not changed by the reload")
	}
	os.WriteFile(deny, []byte("127.0.0.1/99\n"), 0o644)
	sigs.Deliver(sig)
	waitFor("gnc: Reloading --allowfile/--denyfile failed; the old lists stay in force: " + deny + `:1: Illegal netmask in "127.0.0.1/99". Must be smaller than address bit length.` + "\n")
	if e.admit(addr("127.0.0.1")) || !e.admit(addr("127.0.0.2")) {
		t.Error("a failed reload changed the verdicts")
	}
	if n := strings.Count(stderr.String(), "gnc: New connection denied: not allowed\n"); n != 4 {
		t.Errorf("%d denial lines, want 4:\n%s", n, stderr.String())
	}
}

// TestNoAccessNoHook: without access options there is no checker and no
// hook, so the accept paths pay nothing.
func TestNoAccessNoHook(t *testing.T) {
	e := &env{cfg: DefaultConfig()}
	stop, err := e.startAccess(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	stop()
	if e.access != nil || e.allowFunc() != nil {
		t.Error("a checker without --allow/--deny")
	}
}
