package spawn

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// compileLua loads and compiles a script once, at start, so a missing or
// broken script is refused before any connection (as ncat's "Error loading
// the Lua script").
func compileLua(path string) (*lua.FunctionProto, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		//lint:ignore ST1005 ncat's message, which gnc prints as is
		return nil, fmt.Errorf("Error loading the Lua script: cannot open %s: %s.", path, sentenceCase(err.Error()))
	}
	defer f.Close()
	chunk, err := parse.Parse(bufio.NewReader(f), path)
	if err != nil {
		return nil, fmt.Errorf("Error loading the Lua script: %v", err)
	}
	proto, err := lua.Compile(chunk, path)
	if err != nil {
		return nil, fmt.Errorf("Error loading the Lua script: %v", err)
	}
	return proto, nil
}

func sentenceCase(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// startLua runs the script in a goroutine with stdin and stdout as its
// io.stdin and io.stdout, and returns the function that waits for it.
func (p *Program) startLua(ctx context.Context, stdin, stdout *os.File, env []string, o Options) func() error {
	done := make(chan error, 1) // one slot for the one sender
	go func() {
		err := RunLua(ctx, p.lua, stdin, stdout, env, o.Stderr)
		stdout.Close()
		stdin.Close()
		done <- err
	}()
	return func() error {
		err := <-done
		if err != nil {
			o.logf("Lua script %s ended: %v.", p.name, err)
		}
		if errors.Is(err, ErrBrokenPipe) {
			// The client left: reported under -vv only, as the end of
			// a -e child that SIGPIPE killed.
			return nil
		}
		return err
	}
}

// LoadLua compiles a script file for RunLua.
func LoadLua(path string) (*lua.FunctionProto, error) { return compileLua(path) }

// ErrBrokenPipe is why a script ended that wrote to an output nobody reads
// any more (the client has gone), where ncat's Lua child dies of SIGPIPE.
// RunLua returns it in a *ScriptError.
var ErrBrokenPipe = errors.New("broken pipe")

// RunLua runs a compiled script in a fresh interpreter whose standard
// input and output are in and out: io.read, io.lines (with no file name),
// io.write, print, io.stdin, io.stdout, io.input() and io.output() use
// them instead of the process's stdio. os.getenv sees env (NAME=value
// entries) before the process's environment, and os.exit ends the script,
// not gnc. stderr (nil: discarded) is io.stderr. os.execute and io.popen
// run /bin/sh with the process's environment plus env, and with the
// script's stdio where it can be passed on (see luaIO.childStdin). A write
// to out that fails because its reader is gone ends the script.
//
// It returns nil when the script ends or calls os.exit, a *ScriptError
// when it fails (wrapping ErrBrokenPipe for the write above), or ctx's
// error when ctx ends it.
func RunLua(ctx context.Context, proto *lua.FunctionProto, in io.Reader, out io.Writer, env []string, stderr io.Writer) error {
	// Cancelling the interpreter's context ends the script for good: the
	// VM checks it before every instruction, so a pcall that caught the
	// first error cannot carry on.
	vm, stop := context.WithCancel(ctx)
	defer stop()
	L := lua.NewState()
	defer L.Close()
	L.SetContext(vm)
	b := newLuaIO(ctx, stop, in, out, env, stderr)
	b.bind(L)
	L.Push(L.NewFunctionFromProto(proto))
	err := L.PCall(0, lua.MultRet, nil)
	b.closeProcesses(L)
	switch {
	case b.ended == endedByExit:
		return nil
	case b.ended == endedByBrokenPipe:
		return &ScriptError{Err: ErrBrokenPipe}
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return &ScriptError{Err: err}
}

// scriptEnd says which Go function ended a script, if one did.
type scriptEnd int

const (
	notEnded scriptEnd = iota
	endedByExit
	endedByBrokenPipe
)

// luaIO is a script's stdio (the connection's two directions) and what
// its child processes inherit.
type luaIO struct {
	ctx    context.Context    // bounds the children of os.execute and io.popen
	stop   context.CancelFunc // cancels the interpreter's context
	in     *bufio.Reader
	inFile *os.File // in's source when it is a file, for children's stdin
	out    io.Writer
	err    io.Writer
	env    []string // the connection's NCAT_* variables

	stdin, stdout, stderr *luaFile

	ended     scriptEnd
	processes []*luaFile // io.popen's, closed at the end if the script did not
}

func newLuaIO(ctx context.Context, stop context.CancelFunc, in io.Reader, out io.Writer, env []string, stderr io.Writer) *luaIO {
	if stderr == nil {
		stderr = io.Discard
	}
	b := &luaIO{ctx: ctx, stop: stop, in: bufio.NewReader(in), out: shareable(out), err: shareable(stderr), env: env}
	b.inFile, _ = in.(*os.File)
	b.stdin = &luaFile{name: "stdin", r: b.in}
	b.stdout = &luaFile{name: "stdout", w: b.out, readerGone: b.brokenPipe, onClose: func(L *lua.LState) int {
		if c, ok := out.(io.Closer); ok {
			c.Close()
		}
		L.Push(lua.LTrue)
		return 1
	}}
	b.stderr = &luaFile{name: "stderr", w: b.err}
	return b
}

// endScript ends the script at once, by raising an error, and for good, by
// cancelling the interpreter's context (see RunLua).
func (b *luaIO) endScript(L *lua.LState, why scriptEnd, msg string) {
	b.ended = why
	b.stop()
	L.RaiseError("%s", msg)
}

// brokenPipe ends a script whose stdout has lost its reader, as SIGPIPE
// ends ncat's Lua child: a script that writes in a loop and never reads
// would otherwise run (and hold its -m slot) for ever.
func (b *luaIO) brokenPipe(L *lua.LState) { b.endScript(L, endedByBrokenPipe, "broken pipe") }

// readerGone says a write failed because nothing reads its pipe any more,
// or the writer itself was closed under it.
func readerGone(err error) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, os.ErrClosed) || errors.Is(err, io.ErrClosedPipe)
}

// luaFile is the value behind io.stdin, io.stdout, io.stderr and the files
// of io.popen.
type luaFile struct {
	name   string
	r      *bufio.Reader
	w      io.Writer
	closed bool
	// onClose, if not nil, is what file:close does besides marking the
	// file closed: it pushes close's results and returns their number.
	// nil: close just returns true.
	onClose func(L *lua.LState) int
	// readerGone, if not nil, is called when a write fails because its
	// reader has gone, and does not return. nil: the write returns nil
	// and a message, as any failed write.
	readerGone func(L *lua.LState)
}

// write writes s to f, ending the script when f.readerGone says so.
func (f *luaFile) write(L *lua.LState, s string) error {
	_, err := io.WriteString(f.w, s)
	if err != nil && f.readerGone != nil && readerGone(err) {
		f.readerGone(L)
	}
	return err
}

const luaFileType = "gnc.file"

// newFileValue is f as a Lua value, with the methods bind registered.
func newFileValue(L *lua.LState, f *luaFile) *lua.LUserData {
	ud := L.NewUserData()
	ud.Value = f
	L.SetMetatable(ud, L.GetTypeMetatable(luaFileType))
	return ud
}

func (b *luaIO) bind(L *lua.LState) {
	mt := L.NewTypeMetatable(luaFileType)
	methods := L.SetFuncs(L.NewTable(), map[string]lua.LGFunction{
		"read":    luaFileRead,
		"write":   luaFileWrite,
		"lines":   luaFileLines,
		"close":   luaFileClose,
		"flush":   func(L *lua.LState) int { L.Push(L.Get(1)); return 1 },
		"setvbuf": func(L *lua.LState) int { L.Push(lua.LTrue); return 1 },
	})
	L.SetField(mt, "__index", methods)
	L.SetField(mt, "__tostring", L.NewFunction(func(L *lua.LState) int {
		f := checkFile(L, 1)
		L.Push(lua.LString("file (" + f.name + ")"))
		return 1
	}))
	stdin := newFileValue(L, b.stdin)
	stdout := newFileValue(L, b.stdout)
	stderr := newFileValue(L, b.stderr)

	ioTable := L.GetGlobal("io").(*lua.LTable)
	origLines := L.GetField(ioTable, "lines")
	L.SetField(ioTable, "stdin", stdin)
	L.SetField(ioTable, "stdout", stdout)
	L.SetField(ioTable, "stderr", stderr)
	L.SetFuncs(ioTable, map[string]lua.LGFunction{
		"write": func(L *lua.LState) int { return writeValues(L, stdout, 1) },
		"read":  func(L *lua.LState) int { return readValues(L, b.stdin, 1) },
		"lines": func(L *lua.LState) int {
			if L.GetTop() > 0 && L.Get(1) != lua.LNil {
				// A named file: gopher-lua's own io.lines.
				top := L.GetTop()
				L.Push(origLines)
				for i := 1; i <= top; i++ {
					L.Push(L.Get(i))
				}
				L.Call(top, 1)
				return 1
			}
			L.Push(lineIterator(L, b.stdin))
			return 1
		},
		"input":  func(L *lua.LState) int { L.Push(stdin); return 1 },
		"output": func(L *lua.LState) int { L.Push(stdout); return 1 },
		"flush":  func(L *lua.LState) int { return 0 },
		"close": func(L *lua.LState) int {
			if L.GetTop() == 0 {
				L.Push(stdout)
			}
			return luaFileClose(L)
		},
		"popen": b.popen,
	})
	L.SetGlobal("print", L.NewFunction(func(L *lua.LState) int {
		var sb strings.Builder
		for i := 1; i <= L.GetTop(); i++ {
			if i > 1 {
				sb.WriteByte('\t')
			}
			sb.WriteString(L.ToStringMeta(L.Get(i)).String())
		}
		sb.WriteByte('\n')
		if !b.stdout.closed {
			// Other errors are ignored, as Lua's print ignores them.
			b.stdout.write(L, sb.String())
		}
		return 0
	}))

	vars := map[string]string{}
	for _, kv := range b.env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	osTable := L.GetGlobal("os").(*lua.LTable)
	L.SetFuncs(osTable, map[string]lua.LGFunction{
		"getenv": func(L *lua.LState) int {
			name := L.CheckString(1)
			if v, ok := vars[name]; ok {
				L.Push(lua.LString(v))
			} else if v, ok := os.LookupEnv(name); ok {
				L.Push(lua.LString(v))
			} else {
				L.Push(lua.LNil)
			}
			return 1
		},
		"exit":    func(L *lua.LState) int { b.endScript(L, endedByExit, "os.exit"); return 0 },
		"execute": b.execute,
	})
}

func checkFile(L *lua.LState, n int) *luaFile {
	ud := L.CheckUserData(n)
	f, ok := ud.Value.(*luaFile)
	if !ok {
		L.ArgError(n, "file expected")
	}
	return f
}

func luaFileWrite(L *lua.LState) int {
	checkFile(L, 1)
	return writeValues(L, L.CheckUserData(1), 2)
}
func luaFileRead(L *lua.LState) int { return readValues(L, checkFile(L, 1), 2) }

func luaFileLines(L *lua.LState) int {
	L.Push(lineIterator(L, checkFile(L, 1)))
	return 1
}

func luaFileClose(L *lua.LState) int {
	f := checkFile(L, 1)
	if !f.closed {
		f.closed = true
		if f.onClose != nil {
			return f.onClose(L)
		}
	}
	L.Push(lua.LTrue)
	return 1
}

// writeValues writes the strings and numbers from argument first on to the
// file ud, returning the file (as Lua's file:write does) or nil and a
// message.
func writeValues(L *lua.LState, ud *lua.LUserData, first int) int {
	f := ud.Value.(*luaFile)
	if f.w == nil || f.closed {
		L.Push(lua.LNil)
		L.Push(lua.LString("file is not writable"))
		return 2
	}
	for i := first; i <= L.GetTop(); i++ {
		v := L.Get(i)
		if v.Type() != lua.LTString && v.Type() != lua.LTNumber {
			L.ArgError(i, "string expected, got "+v.Type().String())
		}
		if err := f.write(L, lua.LVAsString(v)); err != nil {
			L.Push(lua.LNil)
			L.Push(lua.LString(err.Error()))
			return 2
		}
	}
	L.Push(ud)
	return 1
}
