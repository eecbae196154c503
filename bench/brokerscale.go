//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// scaleClientCmd is the hidden subcommand that runs one scale generator:
// the harness re-executes itself with it, because one process may hold
// only as many connections as its file-descriptor limit.
const scaleClientCmd = "broker-scale-client"

// perGenerator is the number of members one generator process connects.
const perGenerator = 5000

// fdLimit is this process's hard limit on open files.
func fdLimit() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 1024
	}
	return int(min(rl.Max, 1<<20))
}

// brokerScale fills the scale table: members as many as the fd limit
// allows, RSS per idle member, and one message fanned out to all.
func (b *bench) brokerScale(ctx context.Context) *table {
	ts := b.brokerTools()
	n := b.cfg.members
	tab := &table{
		title: fmt.Sprintf("Broker scale: %s idle members (fd limit %s per process), generators in %d processes "+
			"from 127.0.0.2 up", thousands(n), thousands(fdLimit()), (n+perGenerator-1)/perGenerator),
		tools: toolNamesOf(ts),
		format: func(v float64) string {
			if v >= 100 {
				return fmt.Sprintf("%.0f", v)
			}
			return fmt.Sprintf("%.3g", v)
		},
	}
	joined := row{name: "members joined", cells: map[string]cell{}, goals: []goal{{ratio: 19000, abs: true}}}
	rss := row{name: "RSS per idle member (KiB)", cells: map[string]cell{}, goals: []goal{{ratio: 10, abs: true, lower: true}}}
	fan := row{name: "one 64-byte line to every member (ms)", cells: map[string]cell{}}
	for _, t := range ts {
		if !b.selected("scale", t.name) || ctx.Err() != nil {
			continue
		}
		if t.path == "" {
			joined.cells[t.name], rss.cells[t.name], fan.cells[t.name] = absent(t), absent(t), absent(t)
			continue
		}
		if t.name == "ncat" {
			at, err := runScaleUntilAbort(ctx, t, n)
			switch {
			case err != nil:
				joined.cells[t.name] = b.fail("scale", t.name, err)
			case at > 0:
				b.logf("scale/%s: aborts at member %d", t.name, at)
				joined.cells[t.name] = cell{note: "aborts at " + thousands(at)}
			default:
				joined.cells[t.name] = cell{value: float64(n), ok: true}
			}
			rss.cells[t.name], fan.cells[t.name] = cell{note: "—"}, cell{note: "—"}
			continue
		}
		r, err := runScale(ctx, t, n)
		if err != nil {
			f := b.fail("scale", t.name, err)
			joined.cells[t.name], rss.cells[t.name], fan.cells[t.name] = f, f, f
			continue
		}
		perMember := float64(r.rssAfter-r.rssBefore) / float64(r.members) / 1024
		b.logf("scale/%s: %d members, VmRSS %d KiB before, %d KiB after (%.2f KiB per member), one line to all in %v",
			t.name, r.members, r.rssBefore>>10, r.rssAfter>>10, perMember, r.fanout)
		joined.cells[t.name] = cell{value: float64(r.members), ok: true}
		rss.cells[t.name] = cell{value: perMember, ok: true}
		fan.cells[t.name] = cell{value: float64(r.fanout) / 1e6, ok: true}
	}
	if len(joined.cells) > 0 {
		tab.add(joined)
		tab.add(rss)
		tab.add(fan)
	}
	return tab
}

// scaleResult is one scale run.
type scaleResult struct {
	members             int
	rssBefore, rssAfter int64 // bytes
	fanout              time.Duration
}

// runScale connects n idle members to t's broker from generator processes,
// reads the broker's VmRSS before and after, then sends one line from one
// more member and waits until every member has it.
func runScale(ctx context.Context, t *tool, n int) (scaleResult, error) {
	s := newSession(ctx, 3*time.Minute)
	defer s.close()
	p, port, err := s.startBroker(t, false)
	if err != nil {
		return scaleResult{}, err
	}
	pid := p.cmd.Process.Pid
	time.Sleep(200 * time.Millisecond) // let the runtime settle after start
	var r scaleResult
	if r.rssBefore, err = vmRSS(pid); err != nil {
		return r, s.failed(err)
	}
	fds0, err := countFDs(pid)
	if err != nil {
		return r, s.failed(err)
	}
	exe, err := os.Executable()
	if err != nil {
		return r, s.failed(err)
	}

	var gens []*generator
	for i := 0; i*perGenerator < n; i++ {
		g, err := startGenerator(s, exe, fmt.Sprintf("127.0.0.%d", 2+i), port, min(perGenerator, n-i*perGenerator))
		if err != nil {
			return r, s.failed(err)
		}
		gens = append(gens, g)
	}
	for _, g := range gens {
		if err := g.expect(s.ctx, "joined"); err != nil {
			return r, s.failed(err)
		}
	}
	if err := waitFDs(s.ctx, pid, fds0+n); err != nil {
		return r, s.failed(err)
	}
	time.Sleep(500 * time.Millisecond)
	if r.rssAfter, err = vmRSS(pid); err != nil {
		return r, s.failed(err)
	}
	r.members = n

	sender, err := dialFrom(s.ctx, loopback, port)
	if err != nil {
		return r, s.failed(fmt.Errorf("sender: %w", err))
	}
	defer sender.Close()
	if err := waitFDs(s.ctx, pid, fds0+n+1); err != nil {
		return r, s.failed(err)
	}
	line := make([]byte, lineLen)
	makeLine(line, kindData, 0, 0)
	start := time.Now()
	if _, err := sender.Write(line); err != nil {
		return r, s.failed(fmt.Errorf("sender: %w", err))
	}
	var last int64
	for _, g := range gens {
		if err := g.expect(s.ctx, "got"); err != nil {
			return r, s.failed(err)
		}
		v, err := strconv.ParseInt(g.arg, 10, 64)
		if err != nil {
			return r, s.failed(fmt.Errorf("generator said %q", g.arg))
		}
		last = max(last, v)
	}
	r.fanout = time.Duration(last - start.UnixNano())
	p.stop()
	for _, g := range gens {
		g.stdin.Close()
	}
	if err := s.wait(); err != nil {
		return r, err
	}
	return r, nil
}

// runScaleUntilAbort connects members to t's broker one at a time, each
// once the previous one was accepted, up to n. It returns the number of the
// member at which the broker exited, or 0 if it held all n.
func runScaleUntilAbort(ctx context.Context, t *tool, n int) (int, error) {
	s := newSession(ctx, 3*time.Minute)
	defer s.close()
	p, port, err := s.startBroker(t, false)
	if err != nil {
		return 0, err
	}
	pid := p.cmd.Process.Pid
	fds0, err := countFDs(pid)
	if err != nil {
		return 0, s.failed(err)
	}
	var conns []net.Conn
	defer func() { closeAll(conns) }()
	for i := 1; i <= min(n, fdLimit()-64); i++ {
		c, err := dialFrom(s.ctx, loopback, port)
		if err != nil {
			if s.ctx.Err() != nil {
				return i, nil
			}
			return 0, s.failed(err)
		}
		conns = append(conns, c)
		if err := waitFDs(s.ctx, pid, fds0+i); err != nil {
			if s.ctx.Err() != nil {
				return i, nil // the broker exited: its wait cancelled s
			}
			return 0, s.failed(err)
		}
	}
	p.stop()
	return 0, s.wait()
}

// A generator is a child process of the harness connecting members.
type generator struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser // closing it ends the generator
	lines chan string
	arg   string // the argument of the last line expected
}

func startGenerator(s *session, exe, src string, port, n int) (*generator, error) {
	g := &generator{lines: make(chan string, 4)}
	g.cmd = exec.CommandContext(s.ctx, exe, scaleClientCmd,
		"-src", src, "-port", strconv.Itoa(port), "-n", strconv.Itoa(n), "-timeout", "150s")
	var stderr bytes.Buffer
	g.cmd.Stderr = &stderr
	g.cmd.WaitDelay = 2 * time.Second
	var err error
	if g.stdin, err = g.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := g.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := g.cmd.Start(); err != nil {
		return nil, err
	}
	s.closers = append(s.closers, g.stdin)
	s.goPart(func(context.Context) error {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			g.lines <- sc.Text()
		}
		close(g.lines)
		if err := g.cmd.Wait(); err != nil && s.ctx.Err() == nil {
			return fmt.Errorf("generator %s: %w%s", src, err, tail(stderr.String()))
		}
		return nil
	})
	return g, nil
}

// expect waits for the generator's next line, which must start with word.
func (g *generator) expect(ctx context.Context, word string) error {
	select {
	case l, ok := <-g.lines:
		if !ok {
			return errors.New("generator ended early")
		}
		w, arg, _ := strings.Cut(l, " ")
		if w != word {
			return fmt.Errorf("generator said %q, want %s", l, word)
		}
		g.arg = arg
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// scaleClient is the generator: it connects -n members from -src to
// 127.0.0.1:-port, prints "joined N", waits until each member has received
// one line, prints "got T" with T the Unix time in nanoseconds of the last
// arrival, and exits. It also exits when stdin ends or -timeout passes.
func scaleClient(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet(scaleClientCmd, flag.ContinueOnError)
	src := fs.String("src", "127.0.0.2", "loopback address to connect from")
	port := fs.Int("port", 0, "broker port on 127.0.0.1")
	n := fs.Int("n", 1, "members to connect")
	timeout := fs.Duration("timeout", time.Minute, "time limit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if ip := net.ParseIP(*src); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-src %s: not a loopback address", *src)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	go func() { // the harness closes stdin, or dies
		io.Copy(io.Discard, os.Stdin)
		cancel()
	}()

	conns := make([]net.Conn, *n)
	defer func() { closeAll(conns) }()
	var next atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, 32) // one slot per dialer
	for range 32 {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < *n; i = int(next.Add(1)) - 1 {
				c, err := dialFrom(ctx, *src, *port)
				if err != nil {
					errc <- err
					return
				}
				conns[i] = c
			}
		})
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return err
	}
	fmt.Fprintln(stdout, "joined", *n)

	var last atomic.Int64
	errc = make(chan error, *n) // one slot per reader
	for _, c := range conns {
		wg.Go(func() {
			buf := make([]byte, lineLen)
			for {
				k, err := c.Read(buf)
				if err != nil {
					errc <- err
					return
				}
				if bytes.IndexByte(buf[:k], '\n') >= 0 {
					now := time.Now().UnixNano()
					for v := last.Load(); v < now && !last.CompareAndSwap(v, now); v = last.Load() {
					}
					return
				}
			}
		})
	}
	stop := context.AfterFunc(ctx, func() { closeAll(conns) })
	wg.Wait()
	stop()
	close(errc)
	if err := <-errc; err != nil {
		return err
	}
	fmt.Fprintln(stdout, "got", last.Load())
	return nil
}

// vmRSS reads a process's resident set size from /proc.
func vmRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmRSS in /proc/PID/status")
}

// countFDs counts a process's open sockets: its listeners and members.
func countFDs(pid int) (int, error) {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	f, err := os.Open(dir)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	n := 0
	for _, name := range names {
		if l, err := os.Readlink(dir + "/" + name); err == nil && strings.HasPrefix(l, "socket:") {
			n++
		}
	}
	return n, err
}

// waitFDs polls until the process has at least want open sockets, for at
// most 60 s.
func waitFDs(ctx context.Context, pid, want int) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	delay := time.Millisecond
	for {
		n, err := countFDs(pid)
		if err == nil && n >= want {
			return nil
		}
		select {
		case <-time.After(delay):
			delay = min(2*delay, 50*time.Millisecond)
		case <-ctx.Done():
			return fmt.Errorf("broker has %d open sockets, want %d: %w", n, want, context.Cause(ctx))
		}
	}
}
