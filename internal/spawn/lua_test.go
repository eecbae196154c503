package spawn

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func writeScript(t *testing.T, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.lua")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLuaBindings: the script's stdio is the reader and writer given, for
// every way Lua 5.1 reaches it.
func TestLuaBindings(t *testing.T) {
	tests := []struct {
		name, script, in, want string
	}{
		{"print", `print("a", 1, nil, true)`, "", "a\t1\tnil\ttrue\n"},
		{"io.write", `io.write("x", 2, "\n")`, "", "x2\n"},
		{"io.read line", `local l = io.read() io.write("[", l, "]")`, "one\ntwo\n", "[one]"},
		{"io.read *l at EOF", `io.write(tostring(io.read("*l")))`, "", "nil"},
		{"io.read *L", `io.write(io.read("*L"), "|")`, "one\ntwo", "one\n|"},
		{"io.read *a", `io.write(io.read("*a"))`, "one\ntwo", "one\ntwo"},
		{"io.read a (5.3 spelling)", `io.write(io.read("a"))`, "xyz", "xyz"},
		{"io.read count", `io.write(io.read(2), "|", io.read(10), "|", tostring(io.read(1)))`, "abcde", "ab|cde|nil"},
		{"io.read *n", `local a, b = io.read("*n", "*n") io.write(a + b)`, " 3  4.5\n", "7.5"},
		{"io.read several", `local a, b = io.read("*l", "*l") io.write(b, a)`, "1\n2\n", "21"},
		{"io.lines", `for l in io.lines() do io.write(l:upper(), ";") end`, "a\nb\nc", "A;B;C;"},
		{"io.stdin:lines", `for l in io.stdin:lines() do print(#l) end`, "ab\n\nxyz\n", "2\n0\n3\n"},
		{"io.stdin:read", `io.stdout:write(io.stdin:read("*l"), "!")`, "hey\n", "hey!"},
		{"file:write chains", `io.stdout:write("a"):write("b")`, "", "ab"},
		{"io.output():write", `io.output():write("o") io.input():read("*a")`, "zz", "o"},
		{"io.stdout tostring", `io.write(tostring(io.stdout))`, "", "file (stdout)"},
		{"echo loop", `while true do local l = io.read("*L") if not l then break end io.write(l) end`, "a\nb\n", "a\nb\n"},
		{"os.getenv connection", `io.write(os.getenv("NCAT_PROTO"))`, "", "TCP"},
		{"os.getenv process", `io.write(os.getenv("GNC_LUA_TEST"))`, "", "from process"},
		{"os.exit ends the script only", `io.write("before") os.exit(3) io.write("after")`, "", "before"},
		{"os.exit under pcall", `io.write("before") pcall(os.exit) io.write("after")`, "", "before"},
		{"io.close stdout", `io.write("a") io.close() print("lost")`, "", "a"},
	}
	t.Setenv("GNC_LUA_TEST", "from process")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proto, err := LoadLua(writeScript(t, tt.script))
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			err = RunLua(t.Context(), proto, strings.NewReader(tt.in), &out, []string{"NCAT_PROTO=TCP"}, nil)
			if err != nil {
				t.Fatalf("RunLua: %v", err)
			}
			if out.String() != tt.want {
				t.Errorf("output %q, want %q", out.String(), tt.want)
			}
		})
	}
}

func TestLuaErrors(t *testing.T) {
	if _, err := LoadLua(filepath.Join(t.TempDir(), "missing.lua")); err == nil ||
		!strings.Contains(err.Error(), "Error loading the Lua script: cannot open ") ||
		!strings.HasSuffix(err.Error(), ": No such file or directory.") {
		t.Errorf("missing script: %v", err)
	}
	if _, err := LoadLua(writeScript(t, "if then")); err == nil || !strings.HasPrefix(err.Error(), "Error loading the Lua script: ") {
		t.Errorf("syntax error: %v", err)
	}
	proto, err := LoadLua(writeScript(t, `error("boom")`))
	if err != nil {
		t.Fatal(err)
	}
	err = RunLua(t.Context(), proto, strings.NewReader(""), &bytes.Buffer{}, nil, nil)
	var se *ScriptError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "boom") || strings.Contains(err.Error(), "\n") {
		t.Errorf("runtime error: %v", err)
	}
	// A script that never ends stops when its context does.
	proto, err = LoadLua(writeScript(t, `while true do end`))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := RunLua(ctx, proto, strings.NewReader(""), &bytes.Buffer{}, nil, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled script: %v", err)
	}
}

// failingWriter takes n bytes, then fails every write with err.
type failingWriter struct {
	n   int
	err error
}

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) <= w.n {
		w.n -= len(p)
		return len(p), nil
	}
	n := w.n
	w.n = 0
	return n, w.err
}

// scriptBound keeps a script that fails to end from hanging the test; it
// is no measure of how fast it ends.
const scriptBound = 10 * time.Second

// TestLuaBrokenPipe: a script that writes for ever ends once its output
// has no reader, as SIGPIPE ends ncat's Lua child, however it writes and
// even under pcall.
func TestLuaBrokenPipe(t *testing.T) {
	scripts := []struct{ name, script string }{
		{"io.write", `while true do io.write("tick\n") end`},
		{"print", `while true do print("tick") end`},
		{"io.stdout:write", `while true do io.stdout:write("tick\n") end`},
		{"io.output():write", `local f = io.output() while true do f:write("tick\n") end`},
		{"under pcall", `while true do pcall(io.write, "tick\n") end`},
		{"result ignored", `while true do local ok, err = io.write("tick\n") end`},
	}
	outputs := []struct {
		name string
		out  func(t *testing.T) io.Writer
	}{
		{"EPIPE", func(*testing.T) io.Writer {
			return &failingWriter{n: 12, err: &os.PathError{Op: "write", Path: "|1", Err: syscall.EPIPE}}
		}},
		{"closed pipe", func(*testing.T) io.Writer { return &failingWriter{n: 12, err: io.ErrClosedPipe} }},
		{"closed file", func(*testing.T) io.Writer { return &failingWriter{err: os.ErrClosed} }},
		{"pipe without reader", func(t *testing.T) io.Writer {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			r.Close()
			t.Cleanup(func() { w.Close() })
			return w
		}},
	}
	for _, sc := range scripts {
		proto, err := LoadLua(writeScript(t, sc.script))
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range outputs {
			t.Run(sc.name+"/"+o.name, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(t.Context(), scriptBound)
				defer cancel()
				err := RunLua(ctx, proto, strings.NewReader(""), o.out(t), nil, nil)
				var se *ScriptError
				if !errors.Is(err, ErrBrokenPipe) || !errors.As(err, &se) || !strings.Contains(err.Error(), "broken pipe") {
					t.Errorf("RunLua: %v, want a *ScriptError for a broken pipe", err)
				}
			})
		}
	}
}

// TestLuaPopenBrokenPipe: a script writing for ever to a popen'd command
// that has exited ends, as SIGPIPE would end ncat's Lua process.
func TestLuaPopenBrokenPipe(t *testing.T) {
	proto, err := LoadLua(writeScript(t, `local f = io.popen("exit 0", "w") while true do f:write("tick\n") end`))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), scriptBound)
	defer cancel()
	if err := RunLua(ctx, proto, strings.NewReader(""), io.Discard, nil, nil); !errors.Is(err, ErrBrokenPipe) {
		t.Errorf("RunLua: %v, want a broken pipe", err)
	}
}

// TestLuaPopenCancel: when gnc stops a script blocked on a popen'd command
// whose shell has a child of its own, the script is released at once, not
// when that child ends: the pipe is closed under it.
func TestLuaPopenCancel(t *testing.T) {
	// The command says it has started only once its background sleep
	// holds the pipe, on stderr, which it shares with the script.
	proto, err := LoadLua(writeScript(t, `io.popen("sleep 20 & echo started >&2; wait; echo late"):read("*a")`))
	if err != nil {
		t.Fatal(err)
	}
	started, stderr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer started.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- RunLua(ctx, proto, strings.NewReader(""), io.Discard, nil, stderr)
		stderr.Close()
	}()
	line := make([]byte, len("started\n"))
	if _, err := io.ReadFull(started, line); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("RunLua: %v, want context.Canceled", err)
		}
	case <-time.After(scriptBound):
		t.Fatal("the script was still blocked on the command after its context ended")
	}
}

// TestLuaWriteError: any other failed write is Lua's nil and a message,
// and the script goes on.
func TestLuaWriteError(t *testing.T) {
	proto, err := LoadLua(writeScript(t, `
		local f, msg = io.write("x")
		print("ignored")
		io.stderr:write(tostring(f), " ", msg, "|", tostring(io.stdout:write("y")))`))
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	out := &failingWriter{err: errors.New("disk full")}
	if err := RunLua(t.Context(), proto, strings.NewReader(""), out, nil, &stderr); err != nil {
		t.Fatalf("RunLua: %v", err)
	}
	if want := "nil disk full|nil"; stderr.String() != want {
		t.Errorf("stderr %q, want %q", stderr.String(), want)
	}
}

// pipeWith is the read end of a pipe that holds s and then ends, as the
// pipe startLua gives a script.
func pipeWith(t *testing.T, s string) *os.File {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	if _, err := w.WriteString(s); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return r
}

// TestLuaChildren: os.execute and io.popen give the command the script's
// stdio and the connection's NCAT_* variables, as the child of ncat's Lua
// process has them.
func TestLuaChildren(t *testing.T) {
	// r formats Lua 5.3's three results of os.execute and a popen close.
	const results = `local function r(ok, how, code) return tostring(ok) .. "," .. how .. "," .. code end `
	tests := []struct {
		name, script string
		in           string
		inFile       bool // in comes through a pipe, as under startLua
		wantOut      string
		wantErr      string
	}{
		{name: "os.execute env", script: `os.execute("echo port=$NCAT_REMOTE_PORT")`, wantOut: "port=36144\n"},
		{name: "os.execute status", script: results + `io.write(r(os.execute("true")), " ", r(os.execute("exit 3")), " ", r(os.execute("kill -9 $$")))`,
			wantOut: "true,exit,0 nil,exit,3 nil,signal,9"},
		{name: "os.execute failure is false", script: `if os.execute("false") then io.write("wrong") else io.write("right") end`, wantOut: "right"},
		{name: "os.execute no command", script: `io.write(tostring(os.execute()))`, wantOut: "true"},
		{name: "os.execute stderr", script: `os.execute("echo oops >&2")`, wantErr: "oops\n"},
		{name: "os.execute stdin", script: `os.execute("tr a-z A-Z")`, in: "abc\n", inFile: true, wantOut: "ABC\n"},
		{name: "os.execute after read-ahead", script: `io.write(io.read(1), "|") os.execute("cat") io.write("|", io.read("*a"))`, in: "abc", inFile: true, wantOut: "a||bc"},
		{name: "os.execute stdin not a file", script: `os.execute("cat") io.write("|", io.read("*a"))`, in: "abc", wantOut: "|abc"},
		{name: "os.execute stdout closed", script: `io.close() io.stderr:write(tostring(os.execute("echo lost")))`, wantErr: "true"},
		{name: "popen r", script: `local f = io.popen("echo $NCAT_PROTO; echo two") for l in f:lines() do io.write("[", l, "]") end io.write(tostring(f:close()))`, wantOut: "[TCP][two]true"},
		{name: "popen r stdin", script: `io.write(io.popen("tr a-z A-Z", "r"):read("*a"))`, in: "hello\n", inFile: true, wantOut: "HELLO\n"},
		{name: "popen w", script: `local f = io.popen("tr a-z A-Z", "w") f:write("shout\n") io.write("[", tostring(f:close()), "]")`, wantOut: "SHOUT\n[true]"},
		{name: "popen w env", script: `io.popen("echo $NCAT_REMOTE_PORT", "w"):close()`, wantOut: "36144\n"},
		{name: "popen status", script: results + `local f = io.popen("cat >/dev/null; exit 5", "w") f:write("x") io.write(r(io.close(f)))`, wantOut: "nil,exit,5"},
		{name: "popen left open", script: `io.popen("cat", "w"):write("kept\n")`, wantOut: "kept\n"},
		{name: "popen stderr", script: `io.popen("echo err >&2"):close()`, wantErr: "err\n"},
		{name: "popen tostring", script: `local f = io.popen("true") io.write(tostring(f)) f:close()`, wantOut: "file (process)"},
	}
	env := []string{"NCAT_REMOTE_PORT=36144", "NCAT_PROTO=TCP"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proto, err := LoadLua(writeScript(t, tt.script))
			if err != nil {
				t.Fatal(err)
			}
			var in io.Reader = strings.NewReader(tt.in)
			if tt.inFile {
				in = pipeWith(t, tt.in)
			}
			var out, stderr bytes.Buffer
			ctx, cancel := context.WithTimeout(t.Context(), scriptBound)
			defer cancel()
			if err := RunLua(ctx, proto, in, &out, env, &stderr); err != nil {
				t.Fatalf("RunLua: %v", err)
			}
			if out.String() != tt.wantOut {
				t.Errorf("output %q, want %q", out.String(), tt.wantOut)
			}
			if stderr.String() != tt.wantErr {
				t.Errorf("stderr %q, want %q", stderr.String(), tt.wantErr)
			}
		})
	}
}
