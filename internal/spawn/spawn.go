// Package spawn runs the program of -e, -c or --lua-exec for one
// connection: it splits -e's command line as ncat does, builds the child's
// NCAT_* environment, and either hands the child the socket itself or
// relays between the connection and the child's pipes with the relay
// package. It does not accept, dial or decide which path to take; the
// caller's Options do.
package spawn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	lua "github.com/yuin/gopher-lua"

	"gnc/internal/relay"
)

// Kind is the kind of program a connection runs.
type Kind int

const (
	Exec  Kind = iota + 1 // -e: argv from Split, no shell, no PATH search
	Shell                 // -c: /bin/sh -c with the command as one argument
	Lua                   // --lua-exec: a Lua script run inside gnc
)

// Program is a command ready to run once per connection.
type Program struct {
	kind Kind
	argv []string
	lua  *lua.FunctionProto
	name string // the script's file name
}

// New prepares a program: for Exec it splits arg, for Shell it keeps it as
// is, for Lua it loads and compiles the script file arg (an error here is
// ncat's "Error loading the Lua script" case).
func New(kind Kind, arg string) (*Program, error) {
	p := &Program{kind: kind, name: arg}
	switch kind {
	case Exec:
		p.argv = Split(arg)
		if len(p.argv) == 0 {
			return nil, errors.New("the command to execute is empty")
		}
	case Shell:
		p.argv = []string{"/bin/sh", "-c", arg}
	case Lua:
		proto, err := compileLua(arg)
		if err != nil {
			return nil, err
		}
		p.lua = proto
	default:
		return nil, fmt.Errorf("spawn: unknown kind %d", kind)
	}
	return p, nil
}

// Args is the argument vector of an Exec or Shell program (nil for Lua).
func (p *Program) Args() []string { return p.argv }

// Options say how a program meets its connection.
type Options struct {
	// Stderr is the child's standard error (ncat gives the child its own);
	// an *os.File is handed to the child as is. nil: discarded.
	Stderr io.Writer
	// Relay, if not nil, makes the child talk through pipes that gnc
	// relays with these options, so TLS, -o, -x, -C (on the child's
	// output), -d, -t, -i, --send-only and --recv-only apply. nil hands
	// the connection's socket itself to the child, which needs a
	// connection with a descriptor (TCP, UDP, Unix); any other net.Conn
	// (TLS, a UDP peer behind a shared socket) is relayed anyway. Lua
	// scripts always run over pipes.
	Relay *relay.Options
	// Env is the environment the NCAT_* variables are added to; nil is
	// gnc's own.
	Env []string
	// Logf, if not nil, gets debug lines (-vv). nil: discarded.
	Logf func(format string, args ...any)
	// RemoteAddr names the peer in NCAT_REMOTE_*; nil: conn.RemoteAddr()
	// (a UDP socket connected with a raw connect(2) does not know its peer).
	RemoteAddr net.Addr
	// Prelude are datagrams already taken off the connection's socket,
	// which the program reads before anything relayed from it (with
	// Relay only: a UDP session's datagrams queued before its socket was
	// connected to the peer).
	Prelude [][]byte
	// StopGrace is how long a child may take to exit after SIGTERM once
	// ctx is cancelled, before SIGKILL. Zero: 2 seconds.
	StopGrace time.Duration
}

func (o *Options) logf(format string, args ...any) {
	if o.Logf != nil {
		o.Logf(format, args...)
	}
}

// StartError is a program that could not be started. Its text is ncat's
// per-connection message, "exec: No such file or directory".
type StartError struct{ Err error }

func (e *StartError) Error() string {
	var errno syscall.Errno
	if errors.As(e.Err, &errno) {
		s := errno.Error()
		return "exec: " + strings.ToUpper(s[:1]) + s[1:]
	}
	return "exec: " + e.Err.Error()
}
func (e *StartError) Unwrap() error { return e.Err }

// ScriptError is a Lua script that failed while it ran.
type ScriptError struct{ Err error }

// Error is the script's error message on one line, without gopher-lua's
// stack traceback.
func (e *ScriptError) Error() string { return "lua: " + e.Message() }

// Message is the script's error message alone, on one line.
func (e *ScriptError) Message() string {
	var api *lua.ApiError
	if errors.As(e.Err, &api) && api.Object != nil {
		return api.Object.String()
	}
	msg, _, _ := strings.Cut(e.Err.Error(), "\n")
	return msg
}
func (e *ScriptError) Unwrap() error { return e.Err }

type filer interface{ File() (*os.File, error) }

// Run runs the program for conn and returns once the program has ended,
// been reaped, and conn is closed: Run takes conn over. It returns nil when
// the session ended by the EOF rules, a *StartError or *ScriptError, the
// relay's *relay.PeerError or *relay.IdleError, or ctx's error. When ctx
// is cancelled a child gets SIGTERM, and SIGKILL after StopGrace.
func (p *Program) Run(ctx context.Context, conn net.Conn, o Options) error {
	remote := o.RemoteAddr
	if remote == nil {
		remote = conn.RemoteAddr()
	}
	env := Env(conn.LocalAddr(), remote)
	if f, ok := conn.(filer); ok && o.Relay == nil && p.kind != Lua {
		return p.runWithSocket(ctx, conn, f, env, o)
	}
	ro := relay.Options{}
	if o.Relay != nil {
		ro = *o.Relay
	}
	return p.runPiped(ctx, conn, env, ro, o)
}

// runWithSocket gives the child a duplicate of the socket as its stdin and
// stdout. File and Start make the shared open file description blocking,
// so gnc closes its own copies right after Start and never uses them again.
func (p *Program) runWithSocket(ctx context.Context, conn net.Conn, fc filer, env []string, o Options) error {
	f, err := fc.File()
	conn.Close()
	if err != nil {
		return fmt.Errorf("exec: %w", err)
	}
	cmd := p.command(ctx, env, o)
	cmd.Stdin, cmd.Stdout = f, f
	err = cmd.Start()
	f.Close()
	if err != nil {
		return &StartError{Err: err}
	}
	o.logf("Started %s (pid %d) with the socket as stdin and stdout.", cmd.Path, cmd.Process.Pid)
	p.reaped(cmd, cmd.Wait(), o)
	return ctx.Err()
}

func (p *Program) reaped(cmd *exec.Cmd, err error, o Options) {
	if err != nil {
		o.logf("Child %d ended: %v.", cmd.Process.Pid, err)
	} else {
		o.logf("Child %d ended.", cmd.Process.Pid)
	}
}

func (p *Program) command(ctx context.Context, env []string, o Options) *exec.Cmd {
	// Path is set directly: -e does no PATH search, as ncat's execv.
	cmd := exec.CommandContext(ctx, p.argv[0])
	cmd.Path, cmd.Args, cmd.Err = p.argv[0], p.argv, nil
	base := o.Env
	if base == nil {
		base = os.Environ()
	}
	cmd.Env = append(append([]string(nil), base...), env...)
	cmd.Stderr = o.Stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = o.StopGrace
	if cmd.WaitDelay == 0 {
		cmd.WaitDelay = 2 * time.Second
	}
	return cmd
}

// runPiped runs the program on two pipes and relays them with conn.
func (p *Program) runPiped(ctx context.Context, conn net.Conn, env []string, ro relay.Options, o Options) error {
	inR, inW, err := os.Pipe() // the child's stdin
	if err != nil {
		conn.Close()
		return err
	}
	outR, outW, err := os.Pipe() // the child's stdout
	if err != nil {
		inR.Close()
		inW.Close()
		conn.Close()
		return err
	}
	childOut := outW
	if ro.RecvOnly {
		// Nothing is ever sent: the program's output goes nowhere, rather
		// than into a pipe nobody reads.
		outW.Close()
		if childOut, err = os.OpenFile(os.DevNull, os.O_WRONLY, 0); err != nil {
			inR.Close()
			inW.Close()
			outR.Close()
			conn.Close()
			return err
		}
	}
	wait, err := p.start(ctx, inR, childOut, env, o)
	if err != nil {
		inW.Close()
		outR.Close()
		conn.Close()
		return err
	}
	// The child's output is the relay's "stdin" and its input the relay's
	// "stdout". The session ends when the child closes its output; the
	// connection's EOF closes the child's input and the child's last
	// output still goes out (ncat 7.96+, #2843).
	ro.QuitAfterEOF = 0
	ro.StdinEOFEnds = false
	ro.HoldAfterPeerEOF = true
	ro.CloseStdoutAtPeerEOF = true
	if ro.SendOnly {
		inW.Close() // the connection is never read: nothing will come
	}
	if len(o.Prelude) > 0 {
		// Read by the relay like any datagram, after the program runs:
		// written here first, a burst could fill the program's pipes
		// before anyone reads its output.
		conn = &preludeConn{Conn: conn, queued: o.Prelude}
	}
	_, rerr := relay.Run(ctx, conn, outR, inW, ro)
	inW.Close()
	outR.Close()
	werr := wait()
	var peer *relay.PeerError
	var idle *relay.IdleError
	switch {
	case errors.As(rerr, &peer), errors.As(rerr, &idle), errors.Is(rerr, context.Canceled):
		return rerr
	case rerr != nil:
		// The child stopped reading (a broken pipe): its end, not an error.
		o.logf("Relay to the child ended: %v.", rerr)
	}
	return werr
}

// preludeConn is a datagram connection whose first reads return queued,
// one datagram each, before its own.
type preludeConn struct {
	net.Conn
	queued [][]byte
}

func (c *preludeConn) Read(p []byte) (int, error) {
	if len(c.queued) > 0 {
		n := copy(p, c.queued[0]) // a datagram longer than p is cut, as a socket would
		c.queued = c.queued[1:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// start starts the program on the pipe ends stdin and stdout, which it
// takes over, and returns the function that waits for its end.
func (p *Program) start(ctx context.Context, stdin, stdout *os.File, env []string, o Options) (func() error, error) {
	if p.kind == Lua {
		return p.startLua(ctx, stdin, stdout, env, o), nil
	}
	cmd := p.command(ctx, env, o)
	cmd.Stdin, cmd.Stdout = stdin, stdout
	err := cmd.Start()
	stdin.Close()
	stdout.Close()
	if err != nil {
		return nil, &StartError{Err: err}
	}
	o.logf("Started %s (pid %d) on pipes.", cmd.Path, cmd.Process.Pid)
	return func() error {
		p.reaped(cmd, cmd.Wait(), o)
		return nil
	}, nil
}
