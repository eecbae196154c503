//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// A tool is one netcat-like program and its command line for each role.
// Every command line uses 127.0.0.1 only.
type tool struct {
	name    string
	path    string // empty when the tool is not run
	missing string // why path is empty, e.g. "not in PATH"

	// listen accepts one client on 127.0.0.1:port, copies it to stdout and
	// exits at the client's EOF.
	listen func(port int) []string
	// connect copies stdin to 127.0.0.1:port, half-closes at stdin EOF and
	// exits when the peer closes.
	connect func(port int) []string
	// keep accepts clients on 127.0.0.1:port until it is stopped.
	keep func(port int) []string
	// proxy runs an HTTP CONNECT proxy server on 127.0.0.1:port until it
	// is stopped; nil: the tool has none.
	proxy func(port int) []string
	// sequential: keep serves one client at a time.
	sequential bool
	// env is added to the harness's environment for the tool.
	env []string
}

// environ is the environment t runs in: nil (the harness's) or the
// harness's and t.env.
func (t *tool) environ() []string {
	if len(t.env) == 0 {
		return nil
	}
	return append(os.Environ(), t.env...)
}

const loopback = "127.0.0.1"

// netcat returns a tool with ncat's command lines; connectFlags go before
// the address in connect mode.
func netcat(name string, connectFlags ...string) tool {
	return tool{
		name: name,
		listen: func(port int) []string {
			return []string{"-l", loopback, strconv.Itoa(port)}
		},
		connect: func(port int) []string {
			return append(append([]string{}, connectFlags...), loopback, strconv.Itoa(port))
		},
		keep: func(port int) []string {
			return []string{"-l", "-k", loopback, strconv.Itoa(port)}
		},
	}
}

// httpProxyServer is gnc's and ncat's HTTP proxy server on 127.0.0.1:port.
func httpProxyServer(port int) []string {
	return []string{"-l", "--proxy-type", "http", loopback, strconv.Itoa(port)}
}

// socat moves data one way (-u) in 1 MiB reads, as its fastest common use.
// The keep-open listener forks a child per connection, as socat users run
// it, with a backlog of 128: at socat's default of 5, eight clients in flight
// overflow the accept queue and wait a second for SYN retransmits, which
// would measure the backlog rather than socat (ncat's 10 does not overflow).
func socat() tool {
	listenAddr := func(port int) string {
		return fmt.Sprintf("TCP-LISTEN:%d,bind=%s,reuseaddr", port, loopback)
	}
	return tool{
		name: "socat",
		listen: func(port int) []string {
			return []string{"-b1048576", "-u", listenAddr(port), "STDOUT"}
		},
		connect: func(port int) []string {
			return []string{"-b1048576", "-u", "STDIN", fmt.Sprintf("TCP:%s:%d", loopback, port)}
		},
		keep: func(port int) []string {
			return []string{"-u", listenAddr(port) + ",fork,backlog=128", "STDOUT"}
		},
	}
}

// findTools returns gnc and its peers in column order. gnc is gncPath, or
// ./cmd/gnc built into dir when gncPath is empty; a tool that cannot be run
// keeps an empty path and says why.
func findTools(ctx context.Context, gncPath, dir string) []tool {
	gnc := netcat("gnc")
	if gncPath == "" {
		gncPath = filepath.Join(dir, "gnc")
		if err := buildGnc(ctx, gncPath); err != nil {
			gnc.missing = err.Error()
			gncPath = ""
		}
	} else if _, err := exec.LookPath(gncPath); err != nil {
		gnc.missing = err.Error()
		gncPath = ""
	}
	gnc.path = gncPath

	nc := netcat("nc.openbsd", "-N") // -N: shutdown(SHUT_WR) at stdin EOF
	nc.sequential = true
	ncat := netcat("ncat")
	gnc.proxy, ncat.proxy = httpProxyServer, httpProxyServer
	tools := []tool{gnc, ncat, socat(), nc}
	for i := range tools[1:] {
		t := &tools[1+i]
		p, err := exec.LookPath(t.name)
		if err != nil {
			t.missing = "not in PATH"
			continue
		}
		t.path = p
	}
	return tools
}

func buildGnc(ctx context.Context, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/gnc")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build ./cmd/gnc: %w%s", err, tail(stderr.String()))
	}
	return nil
}

// version returns one line naming t's version, or "unknown".
func (t tool) version(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var cmd *exec.Cmd
	switch t.name {
	case "socat":
		cmd = exec.CommandContext(ctx, t.path, "-V")
	case "nc.openbsd": // no version option; ask the package manager
		cmd = exec.CommandContext(ctx, "dpkg-query", "-W", "-f", "netcat-openbsd ${Version}", "netcat-openbsd")
	default:
		cmd = exec.CommandContext(ctx, t.path, "--version")
	}
	out, _ := cmd.CombinedOutput() // ncat prints its version on stderr
	for line := range strings.Lines(string(out)) {
		line = strings.TrimSpace(line)
		if t.name == "socat" && !strings.HasPrefix(line, "socat version") {
			continue
		}
		if line != "" {
			return line
		}
	}
	return "unknown"
}

// gitRevision describes the work tree gnc was built from.
func gitRevision(ctx context.Context) string {
	out, err := exec.CommandContext(ctx, "git", "describe", "--always", "--dirty").Output()
	if err != nil {
		return "unknown revision"
	}
	return strings.TrimSpace(string(out))
}

// machine describes the host in one line.
func machine() string {
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	model := "unknown CPU"
	if info, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(info)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%d CPUs (%s), Linux %s, %s", runtime.NumCPU(), model,
		strings.TrimSpace(string(kernel)), runtime.Version())
}

// loadAverage returns the one-minute load average, or "unknown".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "unknown"
}
