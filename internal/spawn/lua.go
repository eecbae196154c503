package spawn

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

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
		return err
	}
}

// LoadLua compiles a script file for RunLua.
func LoadLua(path string) (*lua.FunctionProto, error) { return compileLua(path) }

// RunLua runs a compiled script in a fresh interpreter whose standard
// input and output are in and out: io.read, io.lines (with no file name),
// io.write, print, io.stdin, io.stdout, io.input() and io.output() use
// them instead of the process's stdio. os.getenv sees env (NAME=value
// entries) before the process's environment, and os.exit ends the script,
// not gnc. stderr (nil: discarded) is io.stderr. It returns a
// *ScriptError when the script fails, or ctx's error when ctx ends it.
func RunLua(ctx context.Context, proto *lua.FunctionProto, in io.Reader, out io.Writer, env []string, stderr io.Writer) error {
	L := lua.NewState()
	defer L.Close()
	L.SetContext(ctx)
	if stderr == nil {
		stderr = io.Discard
	}
	b := &luaIO{in: bufio.NewReader(in), out: out, err: stderr}
	exited := b.bind(L, env)
	L.Push(L.NewFunctionFromProto(proto))
	err := L.PCall(0, lua.MultRet, nil)
	if *exited {
		return nil
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &ScriptError{Err: err}
	}
	return nil
}

// luaIO is a script's stdio: the connection's two directions.
type luaIO struct {
	in  *bufio.Reader
	out io.Writer
	err io.Writer
}

// luaFile is the value behind io.stdin, io.stdout and io.stderr.
type luaFile struct {
	name   string
	r      *bufio.Reader
	w      io.Writer
	closed bool
}

const luaFileType = "gnc.file"

func (b *luaIO) bind(L *lua.LState, env []string) *bool {
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
	newFile := func(f *luaFile) *lua.LUserData {
		ud := L.NewUserData()
		ud.Value = f
		L.SetMetatable(ud, mt)
		return ud
	}
	stdin := newFile(&luaFile{name: "stdin", r: b.in})
	stdout := newFile(&luaFile{name: "stdout", w: b.out})
	stderr := newFile(&luaFile{name: "stderr", w: b.err})

	ioTable := L.GetGlobal("io").(*lua.LTable)
	origLines := L.GetField(ioTable, "lines")
	L.SetField(ioTable, "stdin", stdin)
	L.SetField(ioTable, "stdout", stdout)
	L.SetField(ioTable, "stderr", stderr)
	L.SetFuncs(ioTable, map[string]lua.LGFunction{
		"write": func(L *lua.LState) int { return writeValues(L, stdout, 1) },
		"read":  func(L *lua.LState) int { return readValues(L, stdin.Value.(*luaFile), 1) },
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
			L.Push(lineIterator(L, stdin.Value.(*luaFile)))
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
		f := stdout.Value.(*luaFile)
		if !f.closed {
			f.w.Write([]byte(sb.String()))
		}
		return 0
	}))

	vars := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	exited := new(bool)
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
		"exit": func(L *lua.LState) int {
			*exited = true
			L.RaiseError("os.exit")
			return 0
		},
	})
	return exited
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
		if c, ok := f.w.(io.Closer); ok && f.name == "stdout" {
			c.Close()
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
		if _, err := io.WriteString(f.w, lua.LVAsString(v)); err != nil {
			L.Push(lua.LNil)
			L.Push(lua.LString(err.Error()))
			return 2
		}
	}
	L.Push(ud)
	return 1
}

func lineIterator(L *lua.LState, f *luaFile) *lua.LFunction {
	return L.NewFunction(func(L *lua.LState) int {
		L.Push(readLine(f, false))
		return 1
	})
}

// readValues reads by Lua 5.1's formats ("*l", "*L", "*a", "*n", a byte
// count; the "*" may be left out) from argument first on; no format is
// "*l". Each result is nil at the end of input.
func readValues(L *lua.LState, f *luaFile, first int) int {
	if f.r == nil {
		L.Push(lua.LNil)
		L.Push(lua.LString("file is not readable"))
		return 2
	}
	top := L.GetTop()
	if top < first {
		L.Push(readLine(f, false))
		return 1
	}
	n := 0
	for i := first; i <= top; i++ {
		v := readFormat(L, f, L.Get(i), i)
		L.Push(v)
		n++
		if v == lua.LNil {
			break
		}
	}
	return n
}

func readFormat(L *lua.LState, f *luaFile, format lua.LValue, arg int) lua.LValue {
	if num, ok := format.(lua.LNumber); ok {
		count := int(num)
		if count <= 0 {
			if _, err := f.r.Peek(1); err != nil {
				return lua.LNil
			}
			return lua.LString("")
		}
		buf := make([]byte, count)
		m, _ := io.ReadFull(f.r, buf)
		if m == 0 {
			return lua.LNil
		}
		return lua.LString(buf[:m])
	}
	s, ok := format.(lua.LString)
	if !ok {
		L.ArgError(arg, "invalid format")
	}
	switch strings.TrimPrefix(string(s), "*") {
	case "l":
		return readLine(f, false)
	case "L":
		return readLine(f, true)
	case "a":
		all, _ := io.ReadAll(f.r)
		return lua.LString(all)
	case "n":
		return readNumber(f.r)
	}
	L.ArgError(arg, "invalid format")
	return lua.LNil
}

func readLine(f *luaFile, keepNewline bool) lua.LValue {
	line, err := f.r.ReadString('\n')
	if line == "" && err != nil {
		return lua.LNil
	}
	if !keepNewline {
		line = strings.TrimSuffix(line, "\n")
	}
	return lua.LString(line)
}

func readNumber(r *bufio.Reader) lua.LValue {
	for {
		c, err := r.ReadByte()
		if err != nil {
			return lua.LNil
		}
		if !isSpace(c) {
			r.UnreadByte()
			break
		}
	}
	var sb strings.Builder
	for {
		c, err := r.ReadByte()
		if err != nil {
			break
		}
		if !strings.ContainsRune("0123456789+-.eExXabcdefABCDEF", rune(c)) {
			r.UnreadByte()
			break
		}
		sb.WriteByte(c)
	}
	s := sb.String()
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		return lua.LNumber(v)
	}
	if v, err := strconv.ParseInt(s, 0, 64); err == nil {
		return lua.LNumber(v)
	}
	return lua.LNil
}
