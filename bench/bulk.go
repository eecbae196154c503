//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"
)

// source is where the sending side's bytes come from.
type source int

const (
	fromGo   source = iota // a Go client writes to the receiving tool's socket
	fromFile               // the sending tool's stdin is a regular file
	fromPipe               // the sending tool's stdin is a pipe a Go goroutine fills
)

// sink is where the receiving side's bytes go.
type sink int

const (
	toGo   sink = iota // a Go server reads the sending tool's socket
	toNull             // the receiving tool's stdout is /dev/null
	toPipe             // the receiving tool's stdout is a pipe a Go goroutine drains
)

// A bulkCase is one row of the throughput tables. A tool sits at each end
// that is not Go; with fromGo and toGo there is no tool at all.
type bulkCase struct {
	id    string // matched by -only
	name  string
	src   source
	dst   sink
	goals []goal // throughput targets for gnc
	// proxy: the sending tool connects through a Go HTTP CONNECT proxy.
	proxy bool
}

var bulkCases = []bulkCase{
	{id: "recv-null", name: "receive to /dev/null", src: fromGo, dst: toNull},
	{id: "recv-pipe", name: "receive to pipe", src: fromGo, dst: toPipe},
	{id: "send-file", name: "send from file", src: fromFile, dst: toGo},
	{id: "send-pipe", name: "send from pipe", src: fromPipe, dst: toGo},
	{id: "both-file-null", name: "both ends, file → /dev/null", src: fromFile, dst: toNull,
		goals: []goal{{peer: "ncat", ratio: 3}, {peer: "socat", ratio: 1}}},
	{id: "both-pipe-pipe", name: "both ends, pipe → pipe", src: fromPipe, dst: toPipe,
		goals: []goal{{peer: "socat", ratio: 1}}},
	{id: "send-file-proxy", name: "send from file through an HTTP proxy", src: fromFile, dst: toGo, proxy: true},
}

// kernelCase is the reference: Go to Go over loopback, no tool.
var kernelCase = bulkCase{id: "kernel", name: "kernel loopback", src: fromGo, dst: toGo}

// bufSize is the read and write size of every Go endpoint.
const bufSize = 1 << 20

// bulkResult is one transfer: wall time from the first connect to the
// last exit, and CPU time of the tool processes (of this process for the
// kernel case).
type bulkResult struct {
	elapsed time.Duration
	cpu     time.Duration
}

// runBulk moves size bytes through t as c describes; srcPath is a file of
// size bytes. t is nil for the kernel case.
func runBulk(ctx context.Context, c bulkCase, t *tool, size int64, srcPath string, timeout time.Duration) (bulkResult, error) {
	s := newSession(ctx, timeout)
	defer s.close()

	// The receiving side first, so that it listens before anyone connects.
	var port int
	if c.dst == toGo {
		ln, err := net.Listen("tcp", loopback+":0")
		if err != nil {
			return bulkResult{}, err
		}
		s.closers = append(s.closers, ln)
		port = ln.Addr().(*net.TCPAddr).Port
		s.goPart(func(ctx context.Context) error { return receiveGo(ctx, ln, size) })
	} else {
		var err error
		if port, err = freePort(); err != nil {
			return bulkResult{}, err
		}
		if err := s.startListener(t, port, c.dst, size); err != nil {
			return bulkResult{}, err
		}
	}

	var self0 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self0)
	begin := time.Now()
	if c.src == fromGo {
		s.goPart(func(ctx context.Context) error { return sendGo(ctx, port, size) })
	} else {
		args := t.connect(port)
		if c.proxy {
			ln, err := net.Listen("tcp", loopback+":0")
			if err != nil {
				return bulkResult{}, err
			}
			s.closers = append(s.closers, ln)
			s.goPart(func(ctx context.Context) error { return serveConnectProxy(ctx, ln) })
			args = proxyConnect(t.name, ln.Addr().(*net.TCPAddr).Port, port)
		}
		if err := s.startSender(t, args, c.src, srcPath, size); err != nil {
			return bulkResult{}, err
		}
	}
	if err := s.wait(); err != nil {
		return bulkResult{}, err
	}
	r := bulkResult{elapsed: time.Since(begin), cpu: s.cpu()}
	if t == nil {
		var self1 syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &self1)
		r.cpu = cpuTime(self1) - cpuTime(self0)
	}
	return r, nil
}

// startListener starts t listening on port with its stdout going to dst,
// and waits until it listens.
func (s *session) startListener(t *tool, port int, dst sink, size int64) error {
	stdin, err := s.idleStdin()
	if err != nil {
		return err
	}
	stdout, err := s.output(dst, size)
	if err != nil {
		stdin.Close()
		return err
	}
	if _, err := s.start(t, t.listen(port), stdin, stdout); err != nil {
		return err
	}
	if err := waitListen(s.ctx, port); err != nil {
		return s.failed(err)
	}
	return nil
}

// startSender starts t with args (connecting) and its stdin coming from src.
func (s *session) startSender(t *tool, args []string, src source, path string, size int64) error {
	stdin, err := s.input(src, path, size)
	if err != nil {
		return err
	}
	stdout, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		stdin.Close()
		return err
	}
	_, err = s.start(t, args, stdin, stdout)
	return err
}

// sendGo connects to port and writes size bytes.
func sendGo(ctx context.Context, port int, size int64) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(loopback, strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("go sender: %w", err)
	}
	defer c.Close()
	defer context.AfterFunc(ctx, func() { c.Close() })()
	if err := writeN(c, size); err != nil {
		return fmt.Errorf("go sender: %w", err)
	}
	return nil
}

// receiveGo accepts one connection and reads it to EOF, expecting size bytes.
func receiveGo(ctx context.Context, ln net.Listener, size int64) error {
	defer context.AfterFunc(ctx, func() { ln.Close() })()
	c, err := ln.Accept()
	if err != nil {
		return fmt.Errorf("go receiver: %w", err)
	}
	defer c.Close()
	defer context.AfterFunc(ctx, func() { c.Close() })()
	n, err := readAll(c)
	return checkCount("go receiver", n, size, err)
}

// fill writes size bytes into a tool's stdin pipe and closes it.
func fill(ctx context.Context, w *os.File, size int64) error {
	defer w.Close()
	defer context.AfterFunc(ctx, func() { w.Close() })()
	if err := writeN(w, size); err != nil {
		return fmt.Errorf("stdin pipe: %w", err)
	}
	return nil
}

// drain reads a tool's stdout pipe to EOF, expecting size bytes.
func drain(ctx context.Context, r *os.File, size int64) error {
	defer context.AfterFunc(ctx, func() { r.Close() })()
	n, err := readAll(r)
	return checkCount("stdout pipe", n, size, err)
}

func checkCount(who string, n, want int64, err error) error {
	if err != nil {
		return fmt.Errorf("%s: after %d bytes: %w", who, n, err)
	}
	if n != want {
		return fmt.Errorf("%s: got %d bytes, want %d", who, n, want)
	}
	return nil
}

// writeN writes n bytes to w in 1 MiB writes.
func writeN(w io.Writer, n int64) error {
	buf := make([]byte, bufSize)
	for i := range buf {
		buf[i] = byte(i % 251)
	}
	for n > 0 {
		m, err := w.Write(buf[:min(n, bufSize)])
		n -= int64(m)
		if err != nil {
			return err
		}
	}
	return nil
}

// readAll reads r to EOF in 1 MiB reads and counts the bytes.
func readAll(r io.Reader) (int64, error) {
	buf := make([]byte, bufSize)
	var n int64
	for {
		m, err := r.Read(buf)
		n += int64(m)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// makeSource writes a file of size bytes at path and syncs it, so that
// writeback does not run during the measurements.
func makeSource(path string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := writeN(f, size); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func cpuTime(ru syscall.Rusage) time.Duration {
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
