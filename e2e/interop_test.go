//go:build linux

package e2e

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gnc/internal/testnet"
)

// peerTool describes how to run another netcat as a TCP server or client.
type peerTool struct {
	name string
	// server and client return the arguments to listen on / connect to
	// 127.0.0.1:port with stdio as the data.
	server func(port int) []string
	client func(port int) []string
	// udpServer and udpClient are the same for UDP.
	udpServer func(port int) []string
	udpClient func(port int) []string
	// serverExitsAtClientEOF: the tool's listener ends at the client's EOF
	// (ncat, nc.openbsd); otherwise it keeps sending its stdin after that
	// EOF until its own stdin ends (socat with -t).
	serverExitsAtClientEOF bool
}

var peerTools = []peerTool{
	{
		name:                   "ncat",
		server:                 func(p int) []string { return []string{"-l", v4, itoa(p)} },
		client:                 func(p int) []string { return []string{v4, itoa(p)} },
		udpServer:              func(p int) []string { return []string{"-u", "-l", v4, itoa(p)} },
		udpClient:              func(p int) []string { return []string{"-u", v4, itoa(p)} },
		serverExitsAtClientEOF: true,
	},
	{
		name:   "nc.openbsd",
		server: func(p int) []string { return []string{"-l", v4, itoa(p)} },
		// -N: shut the socket down at stdin EOF, as ncat does.
		client:                 func(p int) []string { return []string{"-N", v4, itoa(p)} },
		udpServer:              func(p int) []string { return []string{"-u", "-l", v4, itoa(p)} },
		udpClient:              func(p int) []string { return []string{"-u", v4, itoa(p)} },
		serverExitsAtClientEOF: true,
	},
	{
		name: "socat",
		// -t 5: after one side's EOF, keep the other direction open for
		// 5 s (not the default 0.5 s), so half-close can be observed.
		server: func(p int) []string {
			return []string{"-t", "5", "TCP-LISTEN:" + itoa(p) + ",bind=" + v4 + ",reuseaddr", "STDIO"}
		},
		client:    func(p int) []string { return []string{"-t", "5", "STDIO", "TCP:" + v4 + ":" + itoa(p)} },
		udpServer: func(p int) []string { return []string{"UDP-LISTEN:" + itoa(p) + ",bind=" + v4, "STDIO"} },
		udpClient: func(p int) []string { return []string{"STDIO", "UDP:" + v4 + ":" + itoa(p)} },
	},
}

var logNcatVersion sync.Once

func requirePeer(t *testing.T, name string) string {
	t.Helper()
	path := testnet.RequireTool(t, name)
	if name == "ncat" {
		logNcatVersion.Do(func() {
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			out, _ := exec.CommandContext(ctx, path, "--version").CombinedOutput()
			t.Logf("interop against %s", strings.TrimSpace(string(out)))
		})
	}
	return path
}

// TestInteropGncClient: gnc connects to each tool's TCP listener. Bytes
// cross both ways unchanged; gnc's stdin EOF reaches the tool as EOF while
// gnc keeps reading; the tool's close ends gnc with 0.
func TestInteropGncClient(t *testing.T) {
	t.Parallel()
	for _, tool := range peerTools {
		t.Run(tool.name, func(t *testing.T) {
			t.Parallel()
			bin := requirePeer(t, tool.name)
			port := testnet.FreePort(t, "tcp", v4)
			srv := startProc(t, procOpts{}, bin, tool.server(port)...)
			waitListening(t, "tcp", port, "")
			g := gnc(t, v4, itoa(port))

			g.write("from gnc\n")
			srv.waitStdout("from gnc\n")
			srv.write("from " + tool.name + "\n")
			g.waitStdout("from " + tool.name + "\n")

			g.closeStdin()
			want := "from " + tool.name + "\n"
			if tool.serverExitsAtClientEOF {
				srv.expectExit(0) // it saw gnc's EOF
			} else {
				srv.write("after gnc's EOF\n")
				g.waitStdout("after gnc's EOF\n")
				want += "after gnc's EOF\n"
				srv.closeStdin()
				srv.expectExit(0)
			}
			g.expectExit(0)
			if got := srv.stdout.String(); got != "from gnc\n" {
				t.Errorf("%s received %q", tool.name, got)
			}
			if got := g.stdout.String(); got != want {
				t.Errorf("gnc received %q, want %q", got, want)
			}
			if got := g.stderr.String(); got != "" {
				t.Errorf("gnc stderr = %q", got)
			}
		})
	}
}

// TestInteropGncServer: each tool connects to gnc -l. gnc's stdin EOF
// half-closes: the tool sees EOF and can still send; the tool's EOF ends
// gnc with 0 and then the tool.
func TestInteropGncServer(t *testing.T) {
	t.Parallel()
	for _, tool := range peerTools {
		t.Run(tool.name, func(t *testing.T) {
			t.Parallel()
			bin := requirePeer(t, tool.name)
			port := testnet.FreePort(t, "tcp", v4)
			g := gnc(t, "-l", v4, itoa(port))
			waitListening(t, "tcp", port, "")
			cli := startProc(t, procOpts{}, bin, tool.client(port)...)

			cli.write("from " + tool.name + "\n")
			g.waitStdout("from " + tool.name + "\n")
			g.write("from gnc\n")
			cli.waitStdout("from gnc\n")

			g.closeStdin()
			cli.write("after gnc's EOF\n")
			g.waitStdout("after gnc's EOF\n")
			g.requireRunning("gnc reads on after its stdin EOF")

			cli.closeStdin()
			g.expectExit(0)
			cli.expectExit(0)
			if got, want := g.stdout.String(), "from "+tool.name+"\nafter gnc's EOF\n"; got != want {
				t.Errorf("gnc received %q, want %q", got, want)
			}
			if got := cli.stdout.String(); got != "from gnc\n" {
				t.Errorf("%s received %q", tool.name, got)
			}
		})
	}
}

// TestInteropUDP: datagrams both ways between gnc and each tool, in both
// roles; gnc's UDP client ends at stdin EOF, its listener does not.
func TestInteropUDP(t *testing.T) {
	t.Parallel()
	for _, tool := range peerTools {
		t.Run(tool.name+" server", func(t *testing.T) {
			t.Parallel()
			bin := requirePeer(t, tool.name)
			port := testnet.FreePort(t, "udp", v4)
			srv := startProc(t, procOpts{}, bin, tool.udpServer(port)...)
			waitListening(t, "udp", port, "")
			g := gnc(t, "-u", v4, itoa(port))
			g.write("ping\n")
			srv.waitStdout("ping\n")
			srv.write("pong\n")
			g.waitStdout("pong\n")
			g.closeStdin()
			g.expectExit(0)
		})
		t.Run(tool.name+" client", func(t *testing.T) {
			t.Parallel()
			bin := requirePeer(t, tool.name)
			port := testnet.FreePort(t, "udp", v4)
			g := gnc(t, "-u", "-l", v4, itoa(port))
			waitListening(t, "udp", port, "")
			cli := startProc(t, procOpts{}, bin, tool.udpClient(port)...)
			cli.write("ping\n")
			g.waitStdout("ping\n")
			g.write("pong\n")
			cli.waitStdout("pong\n")
			cli.closeStdin() // UDP has no EOF on the wire: gnc keeps serving
			g.requireRunning("a UDP listener does not end when its peer goes quiet")
			if got := g.stdout.String(); got != "ping\n" {
				t.Errorf("gnc received %q", got)
			}
		})
	}
}

// TestInteropUnix: gnc and ncat over a Unix stream socket, both roles.
func TestInteropUnix(t *testing.T) {
	t.Parallel()
	bin := requirePeer(t, "ncat")
	t.Run("gnc client", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "n.sock")
		srv := startProc(t, procOpts{}, bin, "-U", "-l", path)
		waitListening(t, "unix", 0, path)
		g := gnc(t, "-U", path)
		g.write("to ncat\n")
		srv.waitStdout("to ncat\n")
		srv.write("to gnc\n")
		g.waitStdout("to gnc\n")
		g.closeStdin()
		srv.expectExit(0)
		g.expectExit(0)
	})
	t.Run("ncat client", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "g.sock")
		g := gnc(t, "-U", "-l", path)
		waitListening(t, "unix", 0, path)
		cli := startProc(t, procOpts{}, bin, "-U", path)
		cli.write("to gnc\n")
		g.waitStdout("to gnc\n")
		g.write("to ncat\n")
		cli.waitStdout("to ncat\n")
		cli.closeStdin()
		g.expectExit(0)
		cli.expectExit(0)
		requireGone(t, path, "gnc removes its socket file")
	})
}

// TestInteropReset: ncat's and gnc's view of a reset agree: exit 1 and
// "Connection reset by peer." (under each one's prefix).
func TestInteropReset(t *testing.T) {
	t.Parallel()
	bin := requirePeer(t, "ncat")
	for _, who := range []struct{ name, path, prefix string }{{"ncat", bin, "Ncat: "}, {"gnc", gncBin, "gnc: "}} {
		t.Run(who.name, func(t *testing.T) {
			t.Parallel()
			ln, port := listenTCP(t, v4)
			p := startProc(t, procOpts{}, who.path, v4, itoa(port))
			c := accept(t, ln)
			write(t, c, "partial\n")
			p.waitStdout("partial\n")
			c.(interface{ SetLinger(int) error }).SetLinger(0)
			c.Close()
			p.expectExit(1)
			if got, want := p.stderr.String(), who.prefix+"Connection reset by peer.\n"; got != want {
				t.Errorf("stderr = %q, want %q", got, want)
			}
		})
	}
}
