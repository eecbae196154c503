//go:build linux

package e2e

import (
	"errors"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"gnc/internal/testnet"
)

// TestConnectRefused: exit 1 and exactly ncat's line.
func TestConnectRefused(t *testing.T) {
	t.Parallel()
	for _, host := range []string{v4, v6} {
		if host == v6 && !testnet.HasIPv6() {
			continue
		}
		port := testnet.FreePort(t, "tcp", host)
		p := gnc(t, host, itoa(port))
		p.expectExit(1)
		if got, want := p.stderr.String(), "gnc: Connection refused.\n"; got != want {
			t.Errorf("%s: stderr = %q, want %q", host, got, want)
		}
		if got := p.stdout.String(); got != "" {
			t.Errorf("%s: stdout = %q", host, got)
		}
	}
}

// TestUnresolvableHost: a name that cannot be resolved is fatal: exit 2.
// The names are invalid, so no resolver is ever asked.
func TestUnresolvableHost(t *testing.T) {
	t.Parallel()
	for _, host := range []string{"bad..host", "-n-not-numeric"} {
		args := []string{host, "80"}
		if strings.HasPrefix(host, "-n") {
			host = "not-numeric.invalid"
			args = []string{"-n", host, "80"}
		}
		p := gnc(t, args...)
		p.expectExit(2)
		want := "gnc: Could not resolve hostname \"" + host + "\": Name or service not known. QUITTING.\n"
		if got := p.stderr.String(); got != want {
			t.Errorf("%q: stderr = %q, want %q", args, got, want)
		}
	}
}

// TestBadOptions: every command-line error exits 2 with one "gnc: " line on
// stderr and nothing on stdout, before any socket is opened.
func TestBadOptions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string // a part of the message
	}{
		{[]string{"--bogus"}, "unrecognized option '--bogus'"},
		{[]string{"-Y"}, "invalid option -- 'Y'"},
		{[]string{"127.0.0.1", "80", "-p"}, "option requires an argument -- 'p'"},
		{[]string{}, "You must specify a host to connect to. QUITTING."},
		{[]string{"127.0.0.1", "http"}, `Invalid port number "http". QUITTING.`},
		{[]string{"127.0.0.1", "65536"}, `Invalid port number "65536". QUITTING.`},
		{[]string{"-l", "-p", "5", "6"}, "Got more than one port specification: 5 6. QUITTING."},
		// As ncat 7.93; -n keeps a wrong gnc from asking a DNS server about "5".
		{[]string{"-n", "-l", "5", "6"}, "Got more than one port specification: 5 6. QUITTING."},
		{[]string{"-w", "0", "127.0.0.1", "80"}, `Invalid -w timeout "0"`},
		{[]string{"-i", "1x", "127.0.0.1", "80"}, `Invalid -i timeout "1x"`},
		{[]string{"-w", "100", "127.0.0.1", "80"}, `Use "100ms" for 100 milliseconds. QUITTING.`},
		{[]string{"-4", "-6", "127.0.0.1", "80"}, "QUITTING."},
		{[]string{"-l", "-z"}, "Services designed for LISTENING can't be used with -z"},
		{[]string{"-l", "-s", "127.0.0.1"}, "-l and -s are incompatible."},
		{[]string{"-m", "2", "127.0.0.1", "80"}, "Invalid option combination: `--max-conns' with connect."},
		{[]string{"--ver"}, "option '--ver' is ambiguous"},
		{[]string{"-U"}, "You have to specify path to a socket to connect to. QUITTING."},
		{[]string{"-U", "-p", "5", "/tmp/x"}, "Specifying source port when using Unix domain sockets doesn't make sense. QUITTING."},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			p := gnc(t, tc.args...)
			p.expectExit(2)
			got := p.stderr.String()
			if strings.Count(got, "\n") != 1 || !strings.HasPrefix(got, "gnc: ") || !strings.HasSuffix(got, "\n") {
				t.Errorf("stderr = %q, want exactly one line starting \"gnc: \"", got)
			}
			if !strings.Contains(got, tc.want) {
				t.Errorf("stderr = %q, want it to contain %q", got, tc.want)
			}
			if out := p.stdout.String(); out != "" {
				t.Errorf("stdout = %q, want nothing", out)
			}
		})
	}
}

// TestHelpAndVersion: -h prints help on stdout, --version one line on
// stderr; both exit 0.
func TestHelpAndVersion(t *testing.T) {
	t.Parallel()
	h := gnc(t, "-h")
	h.expectExit(0)
	if out := h.stdout.String(); !strings.Contains(out, "Usage: gnc") || h.stderr.String() != "" {
		t.Errorf("-h: stdout %q, stderr %q", out, h.stderr.String())
	}
	v := gnc(t, "--version")
	v.expectExit(0)
	if got := v.stderr.String(); !strings.HasPrefix(got, "gnc ") || strings.Count(got, "\n") != 1 || v.stdout.String() != "" {
		t.Errorf("--version: stderr %q, stdout %q", got, v.stdout.String())
	}
}

// TestStdoutClosed checks gnc when the reader of its stdout goes away, as
// in "gnc host port | head -c 10": like ncat, "write: Broken pipe" and
// status 2 (not a silent death by SIGPIPE). A Lua script run on gnc's
// stdio that writes for ever ends silently with status 141, as ncat's
// dies of SIGPIPE.
func TestStdoutClosed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		args       func(t *testing.T) []string
		wantStderr string
		wantStatus int
	}{
		{"connect", func(t *testing.T) []string { return []string{v4, itoa(floodServer(t))} }, "gnc: write: Broken pipe\n", 2},
		{"lua-exec-internal", func(t *testing.T) []string {
			return []string{"--lua-exec-internal", luaScript(t, `while true do io.write("tick\n") end`)}
		}, "", 128 + int(syscall.SIGPIPE)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cmd := gncCmd(t, tc.args(t)...)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadFull(out, make([]byte, 10)); err != nil {
				t.Fatal(err)
			}
			out.Close()
			err = cmd.Wait()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != tc.wantStatus {
				t.Errorf("gnc ended with %v, want exit status %d", err, tc.wantStatus)
			}
			if got := stderr.String(); got != tc.wantStderr {
				t.Errorf("stderr = %q, want %q", got, tc.wantStderr)
			}
		})
	}
}
