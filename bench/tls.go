//go:build linux

package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// TLS rows: bulk throughput through a tool's --ssl connect and listen
// modes, and full handshakes per second against its --ssl -l -k. Only gnc
// and ncat have --ssl. Each tool uses its own defaults (gnc: a throwaway
// ECDSA P-256 certificate; ncat: RSA 2048), which is what a user gets.

// tlsGoals are gnc's TLS targets against ncat.
var tlsGoals = []goal{{peer: "ncat", ratio: 1.5}}

func (b *bench) tlsTools() []*tool { return b.brokerTools() }

// tlsTables fills the TLS throughput and handshake-rate tables.
func (b *bench) tlsTables(ctx context.Context) []*table {
	ts := b.tlsTools()
	size := b.cfg.size / 4 // user-space crypto: a quarter of the plain transfer
	gib := float64(size) / (1 << 30)
	tput := &table{
		title:  fmt.Sprintf("TLS bulk throughput, one connection, %s (GiB/s, higher is better; × = gnc ÷ peer)", sizeText(size)),
		tools:  toolNamesOf(ts),
		format: func(v float64) string { return fmt.Sprintf("%.2f", v) },
	}
	cpu := &table{
		title:  "TLS CPU seconds per GiB, tool process only (lower is better; × = gnc ÷ peer)",
		tools:  toolNamesOf(ts),
		format: func(v float64) string { return fmt.Sprintf("%.3f", v) },
	}
	timeout := b.cfg.timeout
	if timeout == 0 {
		timeout = 60*time.Second + time.Duration(size/(16<<20))*time.Second
	}
	for _, c := range []struct {
		id, name string
		ends     tlsEnds
		goals    []goal
	}{
		// With one end in the harness, the harness's Go TLS code shares
		// the two cores and can be the bottleneck for both tools; the
		// target is on the row with the tool at both ends, as the plain
		// bulk table's targets are.
		{"tls-recv", "--ssl -l receives to /dev/null", tlsReceives, nil},
		{"tls-send", "--ssl sends from file", tlsSends, nil},
		{"tls-both", "both ends, --ssl file → --ssl -l /dev/null", tlsBoth, tlsGoals},
	} {
		r := row{name: c.name, cells: map[string]cell{}, goals: c.goals}
		cr := row{name: c.name, cells: map[string]cell{}, goals: []goal{{peer: "ncat", ratio: 1, lower: true}}}
		for _, t := range ts {
			if !b.selected(c.id, t.name) || ctx.Err() != nil {
				continue
			}
			if t.path == "" {
				r.cells[t.name], cr.cells[t.name] = absent(t), absent(t)
				continue
			}
			var best, bestCPU time.Duration
			var err error
			for range b.cfg.runs {
				var d, used time.Duration
				if d, used, err = runTLSBulk(ctx, t, c.ends, size, b.dir, timeout); err == nil {
					if best == 0 || d < best {
						best = d
					}
					if bestCPU == 0 || used < bestCPU {
						bestCPU = used
					}
				}
			}
			if best == 0 {
				r.cells[t.name] = b.fail(c.id, t.name, err)
				cr.cells[t.name] = r.cells[t.name]
				continue
			}
			b.logf("%s/%s: %.2f GiB/s, %.3f CPU s/GiB", c.id, t.name, gib/best.Seconds(), bestCPU.Seconds()/gib)
			r.cells[t.name] = cell{value: gib / best.Seconds(), ok: true}
			cr.cells[t.name] = cell{value: bestCPU.Seconds() / gib, ok: true}
		}
		if len(r.cells) > 0 {
			tput.add(r)
			cpu.add(cr)
		}
	}

	n := b.cfg.conns / 2
	hs := &table{
		title:  fmt.Sprintf("TLS handshakes, %d full handshakes with `--ssl -l -k`, 8 in flight (handshakes/s, higher is better; × = gnc ÷ peer)", n),
		tools:  toolNamesOf(ts),
		format: func(v float64) string { return fmt.Sprintf("%.0f", v) },
	}
	name := "TLS 1.3, no resumption"
	if b.cfg.tlsClient == "go" {
		name += ", crypto/tls client"
	}
	r := row{name: name, cells: map[string]cell{}, goals: tlsGoals}
	hsCPU := &table{
		title:  "TLS handshake CPU, same runs (CPU ms per handshake: the tool, and the harness's client for comparison; lower is better; × = gnc ÷ peer)",
		tools:  toolNamesOf(ts),
		format: func(v float64) string { return fmt.Sprintf("%.2f", v) },
	}
	cr := row{name: name, cells: map[string]cell{}, goals: []goal{{peer: "ncat", ratio: 1, lower: true}}}
	gr := row{name: "load generator (harness process, " + b.cfg.tlsClient + " client)", cells: map[string]cell{}}
	for _, t := range ts {
		if !b.selected("tls-handshake", t.name) || ctx.Err() != nil {
			continue
		}
		if t.path == "" {
			r.cells[t.name], cr.cells[t.name], gr.cells[t.name] = absent(t), absent(t), absent(t)
			continue
		}
		var best handshakeResult
		var err error
		for range b.cfg.runs {
			var res handshakeResult
			if res, err = runTLSHandshakes(ctx, t, n, 8, 30*time.Second+time.Duration(n)*20*time.Millisecond, b.cfg.tlsClient); err == nil {
				best.rate = max(best.rate, res.rate)
				if best.toolMS == 0 || res.toolMS < best.toolMS {
					best.toolMS = res.toolMS
				}
				if best.clientMS == 0 || res.clientMS < best.clientMS {
					best.clientMS = res.clientMS
				}
			}
		}
		if best.rate == 0 {
			r.cells[t.name] = b.fail("tls-handshake", t.name, err)
			cr.cells[t.name], gr.cells[t.name] = r.cells[t.name], r.cells[t.name]
			continue
		}
		b.logf("tls-handshake/%s: %.0f handshakes/s, %.2f CPU ms each, %.2f CPU ms each in the %s client", t.name, best.rate, best.toolMS, best.clientMS, b.cfg.tlsClient)
		r.cells[t.name] = cell{value: best.rate, ok: true}
		cr.cells[t.name] = cell{value: best.toolMS, ok: true}
		gr.cells[t.name] = cell{value: best.clientMS, ok: true}
	}
	if len(r.cells) > 0 {
		hs.add(r)
		hsCPU.add(cr)
		hsCPU.add(gr)
	}
	return []*table{tput, cpu, hs, hsCPU}
}

// tlsEnds says which ends of a TLS bulk transfer are the tool.
type tlsEnds int

const (
	tlsReceives tlsEnds = iota // the tool listens; a Go client sends
	tlsSends                   // the tool connects and sends to a Go server
	tlsBoth                    // the tool sends to itself
)

// runTLSBulk moves size bytes through t with TLS: t sends from a file to a
// Go TLS server, receives from a Go TLS client into /dev/null, or does
// both ends. It returns the wall time from the first connect to the end
// and the CPU time of the tool's processes.
func runTLSBulk(ctx context.Context, t *tool, ends tlsEnds, size int64, dir string, timeout time.Duration) (elapsed, cpu time.Duration, err error) {
	s := newSession(ctx, timeout)
	defer s.close()
	// The receiving end first, so that it listens before anyone connects.
	var port int
	if ends == tlsSends {
		cert, err := benchCert()
		if err != nil {
			return 0, 0, err
		}
		ln, err := tls.Listen("tcp", loopback+":0", &tls.Config{Certificates: []tls.Certificate{cert}})
		if err != nil {
			return 0, 0, err
		}
		s.closers = append(s.closers, ln)
		port = ln.Addr().(*net.TCPAddr).Port
		s.goPart(func(ctx context.Context) error { return receiveGo(ctx, ln, size) })
	} else if port, err = s.startTLSListener(t); err != nil {
		return 0, 0, err
	}
	var begin time.Time
	if ends == tlsReceives {
		begin = time.Now()
		s.goPart(func(ctx context.Context) error { return sendTLS(ctx, port, size) })
	} else {
		src, err := tlsSource(dir, size)
		if err != nil {
			return 0, 0, err
		}
		begin = time.Now()
		if err := s.startTLSSender(t, port, src); err != nil {
			return 0, 0, err
		}
	}
	if err := s.wait(); err != nil {
		return 0, 0, err
	}
	return time.Since(begin), s.cpu(), nil
}

// startTLSListener starts t --ssl -l on a free port, stdin an idle pipe
// and stdout /dev/null, and waits until it listens.
func (s *session) startTLSListener(t *tool) (int, error) {
	_, port, err := s.startServer(t, func(port int) []string {
		return []string{"--ssl", "-l", loopback, strconv.Itoa(port)}
	})
	if err != nil {
		return 0, err
	}
	if err := waitListen(s.ctx, port); err != nil {
		return 0, s.failed(err)
	}
	return port, nil
}

// startTLSSender starts t --ssl to port, stdin the file src and stdout
// /dev/null.
func (s *session) startTLSSender(t *tool, port int, src string) error {
	stdin, err := os.Open(src)
	if err != nil {
		return err
	}
	stdout, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		stdin.Close()
		return err
	}
	_, err = s.start(t, []string{"--ssl", loopback, strconv.Itoa(port)}, stdin, stdout)
	return err
}

// tlsSource is the path of a file of size bytes for the TLS senders.
func tlsSource(dir string, size int64) (string, error) {
	src := dir + "/tls-source"
	if fi, err := os.Stat(src); err != nil || fi.Size() != size {
		if err := makeSource(src, size); err != nil {
			return "", err
		}
	}
	return src, nil
}

// sendTLS connects with TLS, writes size bytes, sends close_notify and
// waits for the server to close.
func sendTLS(ctx context.Context, port int, size int64) error {
	d := tls.Dialer{Config: &tls.Config{InsecureSkipVerify: true}}
	c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(loopback, strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("go TLS sender: %w", err)
	}
	defer c.Close()
	defer context.AfterFunc(ctx, func() { c.Close() })()
	if err := writeN(c, size); err != nil {
		return fmt.Errorf("go TLS sender: %w", err)
	}
	c.(*tls.Conn).CloseWrite()
	io.Copy(io.Discard, c)
	return nil
}

// A handshakeResult is one run of the handshake row: handshakes per
// second, and CPU milliseconds per handshake of the tool and of the
// harness process, whose load generator is nearly all of its work.
type handshakeResult struct {
	rate, toolMS, clientMS float64
}

// runTLSHandshakes starts t's --ssl -l -k listener and makes n TLS
// connections, inflight at a time, each a full handshake, one short write,
// close_notify, and the server's close. client picks the client: "lean"
// (tls13Client) or "go" (crypto/tls).
func runTLSHandshakes(ctx context.Context, t *tool, n, inflight int, timeout time.Duration, client string) (handshakeResult, error) {
	s := newSession(ctx, timeout)
	defer s.close()
	p, port, err := s.startServer(t, func(port int) []string {
		return []string{"--ssl", "-l", "-k", loopback, strconv.Itoa(port)}
	})
	if err != nil {
		return handshakeResult{}, err
	}
	if err := waitListen(s.ctx, port); err != nil {
		return handshakeResult{}, s.failed(err)
	}
	addr := net.JoinHostPort(loopback, strconv.Itoa(port))
	var self0, self1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self0)
	begin := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, inflight) // one slot per sender
	for range inflight {
		wg.Go(func() {
			shake := goShortTLS
			if client == "lean" {
				c, err := newTLS13Client(10 * time.Second)
				if err != nil {
					errc <- err
					return
				}
				shake = c.shortTLS
			}
			for next.Add(1) <= int64(n) {
				if err := shake(s.ctx, addr); err != nil {
					errc <- err
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(begin)
	syscall.Getrusage(syscall.RUSAGE_SELF, &self1)
	close(errc)
	err = <-errc
	p.stop()
	if werr := s.wait(); werr != nil {
		return handshakeResult{}, werr
	}
	if err != nil {
		return handshakeResult{}, err
	}
	perHandshake := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(n) }
	return handshakeResult{
		rate:     float64(n) / elapsed.Seconds(),
		toolMS:   perHandshake(s.cpu()),
		clientMS: perHandshake(cpuTime(self1) - cpuTime(self0)),
	}, nil
}

// goShortTLS is the handshake row's crypto/tls client (-tls-client go):
// a full handshake, the payload, close_notify, and the server's close.
func goShortTLS(ctx context.Context, addr string) error {
	// No session cache: full handshakes. X25519 only: Go offers the
	// post-quantum X25519MLKEM768 first, which gnc (Go) accepts and ncat
	// (OpenSSL 3.0) cannot, so without this the two would not be doing
	// the same handshake.
	d := tls.Dialer{Config: &tls.Config{InsecureSkipVerify: true, CurvePreferences: []tls.CurveID{tls.X25519}}}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, payload); err != nil {
		return err
	}
	if err := c.(*tls.Conn).CloseWrite(); err != nil {
		return err
	}
	if _, err := io.Copy(io.Discard, c); err != nil {
		return fmt.Errorf("waiting for the server to close: %w", err)
	}
	return nil
}

// benchCert is the Go receiver's certificate.
func benchCert() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: loopback},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
