package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"sync"
	"syscall"
	"time"

	"gnc/internal/acl"
	"gnc/internal/conntrack"
	"gnc/internal/relay"
	"gnc/internal/spawn"
	"gnc/internal/transport"
)

// Version is gnc's version, set at build time with
// -ldflags "-X gnc/internal/cli.Version=...".
var Version = "0.1.0-dev"

// env is what a mode needs from the process: its stdio and the parsed
// options, plus the -v loggers.
type env struct {
	cfg    Config
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// stdinInterruptible says a blocked read of stdin can be interrupted
	// (it has read deadlines), so its readers can always be waited for.
	stdinInterruptible bool
	errMu              sync.Mutex
	log                *relay.Log
	prog               *spawn.Program // -e, -c or --lua-exec; nil for none
	// access is --allow/--deny; nil (everyone allowed) without them.
	access *acl.Checker
	// signals lets a mode claim signals from main; nil under plain Run.
	signals *Signals

	// getenv reads the environment (NCAT_PROXY_AUTH); nil means os.Getenv.
	getenv func(string) string
	// conns is the connection table (SIGUSR1, --status, --progress);
	// listening are the table's entries for the listen sockets.
	conns     *conntrack.Registry
	listening []*conntrack.Conn
	// progressLine says a --progress line is redrawn in place on stderr:
	// other messages clear it first (the next update draws it again).
	progressLine bool
}

// Run parses args and runs the mode they name with the given stdio until
// it ends or ctx is cancelled. stdin and stdout should be the process's
// *os.File stdio so the data path stays zero-copy.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return RunWithSignals(ctx, nil, args, stdin, stdout, stderr)
}

// RunWithSignals is Run for main: a mode may claim signals from sigs (see
// Signals), as --allowfile/--denyfile claim SIGHUP to reload the files.
func RunWithSignals(ctx context.Context, sigs *Signals, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	cfg, err := Parse(args)
	if err != nil {
		return err
	}
	switch {
	case cfg.Help:
		_, err := io.WriteString(stdout, helpText)
		return err
	case cfg.Version:
		fmt.Fprintf(stderr, "gnc %s\n", Version)
		return nil
	}
	e := &env{cfg: cfg, stdout: stdout, stderr: stderr, signals: sigs, conns: conntrack.New()}
	if cfg.LuaExecInternal != "" {
		e.stdin = stdin
		return e.runLuaInternal(ctx)
	}
	if e.prog, err = cfg.execProgram(); err != nil {
		return err
	}
	e.verbosef("Version %s", Version)
	stopObserving, err := e.observe(ctx, stdin)
	if err != nil {
		return err
	}
	defer stopObserving()
	if e.log, err = relay.OpenLog(cfg.OutputFile, cfg.HexDumpFile, cfg.AppendOutput); err != nil {
		return &FatalError{Err: err}
	}
	defer e.log.Close()
	in, restore := pollable(stdin)
	defer restore()
	e.stdin = in
	if dr, ok := in.(interface{ SetReadDeadline(time.Time) error }); ok {
		e.stdinInterruptible = dr.SetReadDeadline(time.Time{}) == nil
	}
	if cfg.Listen {
		return e.listen(ctx)
	}
	return e.connect(ctx)
}

// printf writes one "gnc: " line to stderr.
func (e *env) printf(format string, args ...any) {
	e.errMu.Lock()
	defer e.errMu.Unlock()
	e.clearProgressLine()
	fmt.Fprintf(e.stderr, "gnc: "+format+"\n", args...)
}

// verbosef is printf under -v.
func (e *env) verbosef(format string, args ...any) {
	if e.cfg.Verbose >= 1 {
		e.printf(format, args...)
	}
}

// debugf is printf under -vv.
func (e *env) debugf(format string, args ...any) {
	if e.cfg.Verbose >= 2 {
		e.printf(format, args...)
	}
}

// logfOrNil returns debugf, or nil without -vv so libraries skip the work.
func (e *env) logfOrNil() func(string, ...any) {
	if e.cfg.Verbose >= 2 {
		return e.debugf
	}
	return nil
}

// relayOptions are the session options common to every mode.
func (e *env) relayOptions() relay.Options {
	c := e.cfg
	return relay.Options{
		SendOnly:     c.SendOnly,
		RecvOnly:     c.RecvOnly,
		NoShutdown:   c.NoShutdown,
		QuitAfterEOF: c.QuitAfterEOF,
		IdleTimeout:  c.IdleTimeout,
		Delay:        c.Delay,
		CRLF:         c.CRLF,
		Telnet:       c.Telnet,
		Log:          e.log,
		Datagram:     c.UDP,
		MaxDatagram:  c.maxDatagram(),
		Conns:        e.conns,
	}
}

// sessionError turns what ended a relay session into gnc's error: nil for
// a normal end or a cancelled context, ncat's wording otherwise.
func sessionError(err error) error {
	var peer *relay.PeerError
	switch {
	case err == nil, errors.Is(err, context.Canceled):
		return err
	case errors.As(err, &peer):
		return errors.New(transport.Describe(peer.Err))
	}
	return stdoutError(err)
}

// stdoutError turns a write to a closed stdout into ErrStdoutClosed.
func stdoutError(err error) error {
	if errors.Is(err, syscall.EPIPE) {
		return ErrStdoutClosed
	}
	return err
}

// watchStdout makes hub's first stdout failure cancel the server; the
// returned function gives that failure as gnc's error, or nil.
func watchStdout(hub *relay.Hub, cancel context.CancelFunc) func() error {
	var mu sync.Mutex
	var failure error
	hub.OnOutputError = func(err error) {
		mu.Lock()
		failure = stdoutError(err)
		mu.Unlock()
		cancel()
	}
	return func() error {
		mu.Lock()
		defer mu.Unlock()
		return failure
	}
}

func elapsedSeconds(start time.Time) string {
	return fmt.Sprintf("%.2f", time.Since(start).Seconds())
}

func newTimer(d time.Duration) *time.Timer { return time.NewTimer(d) }
