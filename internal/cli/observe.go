package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"sync"

	"gnc/internal/conntrack"
	"gnc/internal/progress"
)

// observe starts what watches the run's connection table: the table on
// SIGUSR1, the --status endpoint and the --progress line. The returned
// function stops them and waits for them; the progress summary is written
// by then.
func (e *env) observe(ctx context.Context, stdin io.Reader) (func(), error) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	stop := func() {
		cancel()
		wg.Wait()
	}
	if e.signals != nil {
		// SIGUSR1 (and SIGINFO) ask for the table for the whole run: their
		// default action would end gnc. The handler runs on main's signal
		// goroutine and must not block; the table is written here.
		requests := make(chan struct{}, 1)
		for _, sig := range tableSignals() {
			e.signals.Handle(sig, func() {
				select {
				case requests <- struct{}{}:
				default: // one is pending already
				}
			})
		}
		wg.Go(func() { e.printTables(ctx, requests) })
	}
	if e.cfg.Status != "" {
		var lc net.ListenConfig
		ln, err := lc.Listen(ctx, "tcp", e.cfg.Status)
		if err != nil {
			stop()
			return nil, &FatalError{Err: fmt.Errorf("--status: %w", err)}
		}
		e.verbosef("Status on http://%s/connections and /metrics", ln.Addr())
		wg.Go(func() { e.conns.Serve(ctx, ln) })
	}
	if e.showProgress() {
		o := progress.Options{Total: sizeToSend(stdin), Terminal: isTerminal(e.stderr)}
		e.progressLine = o.Terminal
		w := lockedWriter{&e.errMu, e.stderr}
		wg.Go(func() { progress.Run(ctx, w, e.conns.Bytes, o) })
	}
	return stop, nil
}

// showProgress says whether --progress draws: always with
// --progress=always, and with --progress only when stderr is a terminal,
// so scripts that pass it see nothing change.
func (e *env) showProgress() bool {
	switch e.cfg.Progress {
	case "always":
		return true
	case "auto":
		return isTerminal(e.stderr)
	}
	return false
}

// printTables writes the connection table to stderr at each request.
func (e *env) printTables(ctx context.Context, requests <-chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-requests:
			rows, t := e.conns.Snapshot()
			e.errMu.Lock()
			e.clearProgressLine()
			fmt.Fprintf(e.stderr, "gnc: %d connection%s, %d listening; %d accepted, %d denied; %d bytes in, %d bytes out\n",
				t.Active, plural(t.Active), t.Listeners, t.Accepted, t.Denied, t.BytesIn, t.BytesOut)
			conntrack.WriteTable(e.stderr, rows)
			e.errMu.Unlock()
		}
	}
}

func plural(n int64) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// clearProgressLine erases a progress line drawn in place, so that a
// message does not start in its middle. errMu must be held.
func (e *env) clearProgressLine() {
	if e.progressLine {
		io.WriteString(e.stderr, "\r\x1b[K")
	}
}

// sizeToSend is what is left to read of a regular file on stdin, for the
// progress line's percentage; 0 when stdin is anything else.
func sizeToSend(stdin io.Reader) int64 {
	f, ok := stdin.(*os.File)
	if !ok {
		return 0
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return 0
	}
	pos, err := f.Seek(0, io.SeekCurrent)
	if err != nil || pos > fi.Size() {
		return 0
	}
	return fi.Size() - pos
}

// lockedWriter serializes writes to stderr with gnc's messages.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// trackListeners lists a listen mode's sockets in the connection table
// until untrackListeners.
func (e *env) trackListeners(lns []net.Listener, pcs []net.PacketConn) {
	for _, ln := range lns {
		e.listening = append(e.listening, e.conns.TrackListener(ln.Addr(), ln))
	}
	for _, pc := range pcs {
		e.listening = append(e.listening, e.conns.TrackListener(pc.LocalAddr(), pc))
	}
}

// untrackListeners takes the listening sockets out of the table, when
// single-connection mode has closed them or the mode ends.
func (e *env) untrackListeners() {
	for _, c := range e.listening {
		c.Close()
	}
	e.listening = nil
}
