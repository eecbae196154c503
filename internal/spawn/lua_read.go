package spawn

import (
	"bufio"
	"io"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// This file holds how a script reads its files: Lua 5.1's read formats.

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
