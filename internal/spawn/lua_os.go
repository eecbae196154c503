package spawn

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"slices"
	"sync"
	"syscall"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// This file holds a script's child processes: os.execute and io.popen.
// gopher-lua's own give the child gnc's stdio and environment; under ncat
// the child of the Lua process inherits the connection as its stdio and
// the NCAT_* variables, and so it does here.

// childWaitDelay bounds how long a child's Wait waits, after the shell has
// exited (or been killed), for a pipe that exec.Cmd copies: a background
// process left holding it must not keep the script waiting. Such copies
// exist only for a stdout or stderr that is not a file.
const childWaitDelay = 2 * time.Second

// shell is /bin/sh -c command with the process's environment plus the
// connection's, and the script's stderr. It is killed when RunLua's ctx
// ends; the commands it started live on, as the children of an -e or -c
// program do when gnc stops it. (In a process group of its own, the shell
// could take its commands along, but they would lose the terminal, and
// outlive a gnc killed with its group.)
func (b *luaIO) shell(command string) *exec.Cmd {
	cmd := exec.CommandContext(b.ctx, "/bin/sh", "-c", command)
	cmd.Env = append(os.Environ(), b.env...)
	if b.err != io.Discard {
		cmd.Stderr = b.err
	}
	cmd.WaitDelay = childWaitDelay
	return cmd
}

// childStdin is a child's stdin: the script's input file itself, as a
// child of ncat's Lua process inherits it, unless the script's reader has
// bytes read ahead from it, which the child would miss (as with C stdio;
// here it gets nothing rather than a gap). Then, and when the input is not
// a file, it is nil (/dev/null): an io.Reader would make exec.Cmd copy in
// a goroutine that Wait waits for, until the connection's EOF.
func (b *luaIO) childStdin() io.Reader {
	if b.inFile == nil || b.stdin.closed || b.in.Buffered() > 0 {
		return nil
	}
	return b.inFile
}

// childStdout is a child's stdout: the script's (the connection), handed
// over directly when it is a file; nil (/dev/null) once the script has
// closed it.
func (b *luaIO) childStdout() io.Writer {
	if b.stdout.closed {
		return nil
	}
	return b.out
}

// pushExecResult pushes a finished command's result as Lua 5.3's
// os.execute and a popen file's close give it, which ncat's scripts are
// written for: true or nil (success or not), then "exit" and the exit
// status, or "signal" and the signal that killed it. A command whose shell
// could not start reports exit status 127, as system()'s child does. (Lua
// 5.1, which gopher-lua otherwise follows, returns one number there, and
// every number is true in Lua: `if os.execute(cmd) then` would take the
// success branch on failure.)
func pushExecResult(L *lua.LState, cmd *exec.Cmd) int {
	how, code := "exit", 127
	if ps := cmd.ProcessState; ps != nil {
		code = ps.ExitCode()
		if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			how, code = "signal", int(ws.Signal())
		}
	}
	if how == "exit" && code == 0 {
		L.Push(lua.LTrue)
	} else {
		L.Push(lua.LNil)
	}
	L.Push(lua.LString(how))
	L.Push(lua.LNumber(code))
	return 3
}

// execute is os.execute(command): command runs in /bin/sh -c (see shell)
// with the script's stdin (childStdin) and stdout (childStdout), and its
// result is Lua 5.3's (see pushExecResult). With no command it returns
// true: a shell is available.
func (b *luaIO) execute(L *lua.LState) int {
	if L.Get(1) == lua.LNil {
		L.Push(lua.LTrue)
		return 1
	}
	cmd := b.shell(L.CheckString(1))
	cmd.Stdin = b.childStdin()
	cmd.Stdout = b.childStdout()
	cmd.Run() // the result says what went wrong, as Lua's does
	return pushExecResult(L, cmd)
}

// popen is io.popen(command [, mode]): command runs in /bin/sh -c (see
// shell). Mode "r" (the default) reads its stdout, and its stdin is the
// script's (childStdin); "w" writes its stdin, and its stdout is the
// script's (childStdout). It returns a file, or nil and a message when the
// command cannot start. Closing the file closes the pipe and waits for the
// command; the result is Lua 5.3's, as os.execute's. A write to a "w"
// command that has exited ends the script, as SIGPIPE would end ncat's Lua
// process. When RunLua's ctx ends the pipe is closed, so a script blocked
// on it is released even if a command the shell started holds the other
// end.
func (b *luaIO) popen(L *lua.LState) int {
	command := L.CheckString(1)
	mode := L.OptString(2, "r")
	cmd := b.shell(command)
	f := &luaFile{name: "process"}
	var pipe io.Closer
	var err error
	switch mode {
	case "r":
		cmd.Stdin = b.childStdin()
		var r io.ReadCloser
		if r, err = cmd.StdoutPipe(); err == nil {
			f.r, pipe = bufio.NewReader(r), r
		}
	case "w":
		cmd.Stdout = b.childStdout()
		var w io.WriteCloser
		if w, err = cmd.StdinPipe(); err == nil {
			f.w, pipe = w, w
			f.readerGone = b.brokenPipe
		}
	default:
		L.ArgError(2, "invalid mode '"+mode+"'")
	}
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(command + ": " + err.Error()))
		return 2
	}
	stop := context.AfterFunc(b.ctx, func() { pipe.Close() })
	f.onClose = func(L *lua.LState) int {
		// Our end first, as pclose does: a command reading gets its EOF,
		// one still writing gets SIGPIPE, and Wait does not wait on
		// either for ever.
		stop()
		pipe.Close()
		cmd.Wait()
		return pushExecResult(L, cmd)
	}
	b.processes = append(slices.DeleteFunc(b.processes, func(f *luaFile) bool { return f.closed }), f)
	L.Push(newFileValue(L, f))
	return 1
}

// closeProcesses closes the io.popen files the script left open, as Lua
// does when its state is closed: each command gets its EOF or SIGPIPE and
// is waited for.
func (b *luaIO) closeProcesses(L *lua.LState) {
	for _, f := range b.processes {
		if !f.closed {
			f.closed = true
			L.Pop(f.onClose(L))
		}
	}
}

// shareable makes w safe for a popen'd command's output, which exec.Cmd
// copies in a goroutine of its own, and the script to write at once. A
// file needs nothing (the kernel orders the writes, and children get it
// directly), nor does io.Discard.
func shareable(w io.Writer) io.Writer {
	if _, ok := w.(*os.File); ok || w == io.Discard {
		return w
	}
	return &sharedWriter{w: w}
}

// sharedWriter serializes writes to a writer that is not a file.
type sharedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *sharedWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
