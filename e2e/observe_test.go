//go:build linux

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gnc/internal/testnet"
)

// tableRow is one row of the SIGUSR1 connection table, by column.
type tableRow struct {
	proto, recvQ, sendQ, local, remote, state, age, bytesIn, bytesOut, name, queued string
}

var tableHead = regexp.MustCompile(`(?m)^gnc: (\d+) connections?, (\d+) listening; (\d+) accepted, (\d+) denied; (\d+) bytes in, (\d+) bytes out\n`)

// requestTable sends SIGUSR1 and returns the table gnc prints, parsed: its
// header line's numbers and its rows. The header says how many rows
// follow, so the table is known to be whole.
func requestTable(t *testing.T, p *proc) ([]int64, []tableRow) {
	t.Helper()
	return requestTableOf(t, p, p.pid())
}

// requestTableWhen asks for the table until settled accepts it (a count
// follows the copy that moved the bytes a moment after the peer has them),
// or about two seconds have passed, and returns the last one.
func requestTableWhen(t *testing.T, p *proc, settled func([]int64, []tableRow) bool) ([]int64, []tableRow) {
	t.Helper()
	for range 100 {
		head, rows := requestTable(t, p)
		if settled(head, rows) {
			return head, rows
		}
		time.Sleep(20 * time.Millisecond)
	}
	return requestTable(t, p)
}

// requestTableOf is requestTable for the gnc whose pid is given and whose
// stderr p captures (p may be a wrapper such as strace).
func requestTableOf(t *testing.T, p *proc, pid int) ([]int64, []tableRow) {
	t.Helper()
	before := len(tableHead.FindAllString(p.stderr.String(), -1))
	if err := syscall.Kill(pid, syscall.SIGUSR1); err != nil {
		t.Fatalf("SIGUSR1 to %d: %v", pid, err)
	}
	ctx, cancel := waitCtx(t)
	defer cancel()
	var rows []tableRow
	var head []int64
	_, ok := p.stderr.wait(ctx, func(s string) bool {
		locs := tableHead.FindAllStringSubmatchIndex(s, -1)
		if len(locs) <= before {
			return false
		}
		loc := locs[before]
		head = head[:0]
		for i := 1; i <= 6; i++ {
			n, _ := strconv.ParseInt(s[loc[2*i]:loc[2*i+1]], 10, 64)
			head = append(head, n)
		}
		lines := strings.Split(s[loc[1]:], "\n")
		want := int(head[0] + head[1])
		if len(lines) < want+2 { // the column header, the rows, and the last newline
			return false
		}
		if got := strings.Join(strings.Fields(lines[0]), " "); got != "Proto Recv-Q Send-Q Local Address Foreign Address State Age Bytes-In Bytes-Out Name Queued" {
			t.Errorf("column header = %q", lines[0])
		}
		rows = rows[:0]
		for _, l := range lines[1 : want+1] {
			f := strings.Fields(l)
			if len(f) != 11 {
				t.Errorf("table row %q has %d columns, want 11", l, len(f))
				continue
			}
			rows = append(rows, tableRow{f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10]})
		}
		return true
	})
	if !ok {
		t.Fatalf("no connection table after SIGUSR1 from %s", p.dump())
	}
	return head, rows
}

// httpGet fetches url and returns the body; the status must be 200.
func httpGet(t *testing.T, url string) string {
	t.Helper()
	ctx, cancel := waitCtx(t)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s, %v", url, resp.Status, err)
	}
	return string(b)
}

type statusDoc struct {
	Connections []struct {
		Proto    string `json:"proto"`
		Local    string `json:"local"`
		Remote   string `json:"remote"`
		State    string `json:"state"`
		Listener bool   `json:"listener"`
		BytesIn  int64  `json:"bytes_in"`
		BytesOut int64  `json:"bytes_out"`
		Name     string `json:"name"`
		Queued   int64  `json:"queued"`
	} `json:"connections"`
	Accepted int64 `json:"accepted"`
	Denied   int64 `json:"denied"`
	Active   int64 `json:"active"`
	BytesIn  int64 `json:"bytes_in"`
	BytesOut int64 `json:"bytes_out"`
}

// TestConnTableKeepOpen: a -k listener with three clients (and a fourth
// refused by -m) lists each client's 5-tuple and byte counts on SIGUSR1;
// /connections says the same as JSON and /metrics as Prometheus text.
func TestConnTableKeepOpen(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "tcp", v4)
	status := testnet.FreePort(t, "tcp", v4)
	p := gnc(t, "-l", "-k", "-m", "3", "--status", itoa(status), v4, itoa(port))
	waitListening(t, "tcp", port, "")
	waitPort(t, testnet.Addr(v4, status))

	sizes := []int{1000, 20000, 300000}
	var cs []net.Conn
	total := 0
	for _, n := range sizes {
		c := dial(t, "tcp", testnet.Addr(v4, port))
		write(t, c, strings.Repeat("x", n))
		total += n
		p.waitStdoutLen(total)
		cs = append(cs, c)
	}
	p.write("hello\n")
	for _, c := range cs {
		readUntil(t, c, "hello\n")
	}
	refused := dial(t, "tcp", testnet.Addr(v4, port))
	expectEOF(t, refused, "")

	wantHead := []int64{3, 1, 3, 1, int64(total), 18}
	head, rows := requestTableWhen(t, p, func(head []int64, _ []tableRow) bool { return fmt.Sprint(head) == fmt.Sprint(wantHead) })
	if fmt.Sprint(head) != fmt.Sprint(wantHead) {
		// accepted counts the admitted connections; denied the refusals.
		t.Errorf("table header numbers = %v, want %v", head, wantHead)
	}
	if len(rows) != 4 {
		t.Fatalf("table rows = %+v, want a listener and three clients", rows)
	}
	l := rows[0]
	if l.proto != "tcp" || l.local != testnet.Addr(v4, port) || l.remote != "0.0.0.0:*" || l.state != "LISTEN" || l.bytesIn != "-" {
		t.Errorf("listener row = %+v", l)
	}
	for i, c := range cs {
		r := rows[i+1]
		want := tableRow{proto: "tcp", recvQ: "0", sendQ: "0", local: testnet.Addr(v4, port), remote: c.LocalAddr().String(),
			state: "ESTABLISHED", age: r.age, bytesIn: itoa(sizes[i]), bytesOut: "6", name: "-", queued: "-"}
		if r != want {
			t.Errorf("client %d row = %+v\nwant %+v", i, r, want)
		}
	}

	var doc statusDoc
	body := httpGet(t, "http://"+testnet.Addr(v4, status)+"/connections")
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("/connections is not JSON: %v\n%s", err, body)
	}
	if len(doc.Connections) != 4 || doc.Accepted != 3 || doc.Denied != 1 || doc.Active != 3 || doc.BytesIn != int64(total) || doc.BytesOut != 18 {
		t.Errorf("/connections = %s", body)
	}
	for i, c := range doc.Connections {
		r := rows[i]
		if c.Proto != r.proto || c.Local != r.local || c.Remote != r.remote || c.State != r.state ||
			(!c.Listener && (itoa(int(c.BytesIn)) != r.bytesIn || itoa(int(c.BytesOut)) != r.bytesOut)) {
			t.Errorf("/connections entry %d = %+v; the table says %+v", i, c, r)
		}
	}

	m, err := testnet.ParseMetrics(httpGet(t, "http://"+testnet.Addr(v4, status)+"/metrics"))
	if err != nil {
		t.Fatalf("/metrics: %v", err)
	}
	want := map[string]float64{
		"gnc_connections_accepted_total": 3, "gnc_connections_denied_total": 1, "gnc_connections_active": 3,
		"gnc_listeners": 1, "gnc_received_bytes_total": float64(total), "gnc_sent_bytes_total": 18, "gnc_broker_dropped_total": 0,
	}
	if fmt.Sprint(m) != fmt.Sprint(want) {
		t.Errorf("/metrics = %v\nwant %v", m, want)
	}

	// A client that leaves is gone from the table; its bytes stay counted.
	cs[0].Close()
	ctx, cancel := waitCtx(t)
	defer cancel()
	for {
		head, rows = requestTable(t, p)
		if head[0] == 2 || ctx.Err() != nil {
			break
		}
	}
	if head[0] != 2 || len(rows) != 3 || head[4] != int64(total) {
		t.Errorf("after a client left: header %v, rows %+v", head, rows)
	}
	p.signal(syscall.SIGTERM)
	p.wait()
	if _, err := net.Dial("tcp", testnet.Addr(v4, status)); err == nil {
		t.Error("the status endpoint outlived gnc")
	}
}

// TestConnTableChat: in --chat the table shows each member's name (after
// /nick too) and its queued bytes.
func TestConnTableChat(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "tcp", v4)
	status := testnet.FreePort(t, "tcp", v4)
	p := gnc(t, "--chat", "--status", testnet.Addr(v4, status), v4, itoa(port))
	waitListening(t, "tcp", port, "")
	a := dial(t, "tcp", testnet.Addr(v4, port))
	readUntil(t, a, "already connected: nobody.\n")
	b := dial(t, "tcp", testnet.Addr(v4, port))
	readUntil(t, b, "already connected: ")
	readUntil(t, a, "is connected as <user2>.\n")
	write(t, a, "/nick alice\n")
	readUntil(t, b, "<user1> is now known as <alice>.\n")

	_, rows := requestTable(t, p)
	var names []string
	for _, r := range rows[1:] {
		names = append(names, r.name)
		if _, err := strconv.Atoi(r.queued); err != nil {
			t.Errorf("member row %+v: Queued is not a number", r)
		}
	}
	if strings.Join(names, ",") != "alice,user2" || rows[1].remote != a.LocalAddr().String() || rows[2].remote != b.LocalAddr().String() {
		t.Errorf("chat table rows = %+v; want alice then user2", rows)
	}
	var doc statusDoc
	if err := json.Unmarshal([]byte(httpGet(t, "http://"+testnet.Addr(v4, status)+"/connections")), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Connections) != 3 || doc.Connections[1].Name != "alice" || doc.Connections[2].Name != "user2" || doc.Connections[1].Queued < 0 {
		t.Errorf("/connections = %+v", doc)
	}
}

// TestConnTableBrokerDrop: a broker member that stops reading is dropped as
// too slow, and /metrics counts it.
func TestConnTableBrokerDrop(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "tcp", v4)
	status := testnet.FreePort(t, "tcp", v4)
	p := gnc(t, "--broker", "--broker-buffer", "64KiB", "--status", itoa(status), v4, itoa(port))
	waitListening(t, "tcp", port, "")
	slow := dial(t, "tcp", testnet.Addr(v4, port)) // never reads
	slow.(*net.TCPConn).SetReadBuffer(4096)
	fast := dial(t, "tcp", testnet.Addr(v4, port))
	ctx, cancel := waitCtx(t)
	defer cancel()
	for head, _ := requestTable(t, p); head[0] != 2; head, _ = requestTable(t, p) {
		if ctx.Err() != nil { // both clients are connected, but gnc may not have accepted yet
			t.Fatalf("table header %v, want 2 connections", head)
		}
	}
	// Enough to fill the slow member's small receive buffer, gnc's send
	// buffer towards it (at most 4 MiB on Linux) and its 64 KiB queue.
	fast.SetWriteDeadline(time.Now().Add(testTimeout))
	go fast.Write(make([]byte, 8<<20)) // ends once gnc reads it all, or the test closes fast
	for {
		m, err := testnet.ParseMetrics(httpGet(t, "http://"+testnet.Addr(v4, status)+"/metrics"))
		if err != nil {
			t.Fatal(err)
		}
		if m["gnc_broker_dropped_total"] == 1 {
			if m["gnc_connections_active"] != 1 {
				t.Errorf("active = %v after the drop, want 1", m["gnc_connections_active"])
			}
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("the slow member was never dropped: %v", m)
		}
		time.Sleep(50 * time.Millisecond) // bounded by ctx
	}
}

// TestProgressTerminal: --progress under a pseudo-terminal (script(1))
// redraws one line in place with the percentage of a 100 MiB file and ends
// with the summary; the peer holds the transfer halfway until a progress
// line has been drawn, so one is always seen.
func TestProgressTerminal(t *testing.T) {
	t.Parallel()
	script := testnet.RequireTool(t, "script")
	const size = 100 << 20
	in := filepath.Join(t.TempDir(), "in")
	if err := os.WriteFile(in, make([]byte, size), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, port := listenTCP(t, v4)
	cmd := fmt.Sprintf("'%s' --progress %s %d <'%s' >/dev/null", gncBin, v4, port, in)
	p := startProc(t, procOpts{}, script, "-qfec", cmd, "/dev/null")
	p.name = "gnc (script)"
	c := accept(t, ln)
	c.SetReadDeadline(time.Now().Add(testTimeout))
	if _, err := io.CopyN(io.Discard, c, size/2); err != nil {
		t.Fatal(err)
	}
	// script puts the pty's output on its stdout.
	p.waitStdout("% of 100.0 MiB")
	if n, err := io.Copy(io.Discard, c); err != nil || n != size/2 {
		t.Fatalf("read %d more bytes, %v; want %d", n, err, size/2)
	}
	c.Close()
	out := p.waitStdout("gnc: sent 100.0 MiB, received 0 B in ")
	p.expectExit(0)
	if !strings.Contains(out, "\rgnc: sent ") || !strings.Contains(out, "\x1b[K") {
		t.Errorf("no line redrawn in place on the terminal: %q", out)
	}
	if !regexp.MustCompile(`\rgnc: sent [\d.]+ MiB, received 0 B, [\d.]+ [KMG]?i?B/s, 0:\d\d; [1-9]\d?% of 100\.0 MiB`).MatchString(out) {
		t.Errorf("no partial progress line: %q", out)
	}
}

// TestProgressOffWithoutTerminal: --progress alone draws nothing when
// stderr is not a terminal, so scripts see no change; --progress=always
// writes a line per update and the summary anyway.
func TestProgressOffWithoutTerminal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		opt  string
		want bool
	}{{"--progress", false}, {"--progress=always", true}} {
		t.Run(tc.opt, func(t *testing.T) {
			ln, port := listenTCP(t, v4)
			p := gncWith(t, procOpts{stdin: strings.NewReader("hello\n")}, tc.opt, v4, itoa(port))
			c := accept(t, ln)
			readUntil(t, c, "hello\n")
			c.Close()
			p.expectExit(0)
			got := strings.Contains(p.stderr.String(), "gnc: sent 6 B, received 0 B in ")
			if got != tc.want || strings.Contains(p.stderr.String(), "\r") {
				t.Errorf("%s: stderr %q; want summary %v and no \\r", tc.opt, p.stderr.String(), tc.want)
			}
		})
	}
}

// TestZeroCopyWithCounters: with --progress=always and a SIGUSR1 table
// mid-transfer, TCP to a file on stdout still goes by splice, and the table
// counts the bytes received so far before the transfer ends.
func TestZeroCopyWithCounters(t *testing.T) {
	t.Parallel()
	out, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { out.Close() })
	ln, port := listenTCP(t, v4)
	p, log := straceGnc(t, procOpts{stdout: out}, "--progress=always", v4, itoa(port))
	c := accept(t, ln)
	pid := tracedPID(t, p)
	c.SetWriteDeadline(time.Now().Add(testTimeout))
	const half = 4 << 20 // whole pieces of the counted copy
	if _, err := c.Write(make([]byte, half)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	defer cancel()
	for {
		_, rows := requestTableOf(t, p, pid)
		if len(rows) == 1 && rows[0].bytesIn == itoa(half) {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("table never showed %d bytes in mid-transfer: %+v", half, rows)
		}
		time.Sleep(10 * time.Millisecond) // bounded by ctx
	}
	if _, err := c.Write(make([]byte, half)); err != nil {
		t.Fatal(err)
	}
	c.Close()
	p.expectExit(0)
	if fi, _ := out.Stat(); fi.Size() != 2*half {
		t.Errorf("stdout has %d bytes, want %d", fi.Size(), 2*half)
	}
	if !strings.Contains(p.stderr.String(), "gnc: sent 0 B, received 8.0 MiB in ") {
		t.Errorf("no progress summary: %q", p.stderr.String())
	}
	if calls := zeroCopyCalls(t, log); len(calls) == 0 {
		t.Errorf("no successful splice with counters on; strace log:\n%s", readFile(t, log))
	}
}

// tracedPID is the pid of the gnc that strace (p) runs: strace's child.
func tracedPID(t *testing.T, p *proc) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", p.pid(), p.pid()))
	f := strings.Fields(string(b))
	if err != nil || len(f) != 1 {
		t.Fatalf("children of strace: %q, %v", b, err)
	}
	pid, _ := strconv.Atoi(f[0])
	return pid
}

// TestConnTableUDPAndConnect: UDP -k peers are listed with their addresses
// and counts; in connect mode SIGUSR1 prints the one connection and gnc
// carries on (the signal's default action would end it).
func TestConnTableUDPAndConnect(t *testing.T) {
	t.Parallel()
	t.Run("udp peers", func(t *testing.T) {
		port := testnet.FreePort(t, "udp", v4)
		p := gnc(t, "-u", "-l", "-k", v4, itoa(port))
		waitListening(t, "udp", port, "")
		var peers []net.Conn
		for _, msg := range []string{"one\n", "three\n"} {
			c := dial(t, "udp", testnet.Addr(v4, port))
			write(t, c, msg)
			p.waitStdout(msg)
			peers = append(peers, c)
		}
		head, rows := requestTableWhen(t, p, func(head []int64, _ []tableRow) bool { return head[4] == 10 })
		if head[0] != 2 || len(rows) != 3 || rows[0].proto != "udp" || rows[0].state != "UNCONN" {
			t.Fatalf("udp table: %v %+v", head, rows)
		}
		for i, c := range peers {
			r := rows[i+1]
			if r.proto != "udp" || r.remote != c.LocalAddr().String() || r.bytesIn != []string{"4", "6"}[i] || r.bytesOut != "0" {
				t.Errorf("peer %d row = %+v", i, r)
			}
		}
	})
	t.Run("udp single peer", func(t *testing.T) {
		port := testnet.FreePort(t, "udp", v4)
		p := gnc(t, "-u", "-l", v4, itoa(port))
		waitListening(t, "udp", port, "")
		c := dial(t, "udp", testnet.Addr(v4, port))
		write(t, c, "first\n")
		p.waitStdout("first\n")
		write(t, c, "second\n")
		p.waitStdout("second\n")
		p.write("back\n")
		readUntil(t, c, "back\n")
		head, rows := requestTableWhen(t, p, func(head []int64, _ []tableRow) bool { return head[4] == 13 && head[5] == 5 })
		if head[0] != 1 || head[1] != 0 || len(rows) != 1 {
			t.Fatalf("udp single-peer table: %v %+v", head, rows)
		}
		if r := rows[0]; r.proto != "udp" || r.remote != c.LocalAddr().String() || r.state != "ESTABLISHED" || r.bytesIn != "13" || r.bytesOut != "5" {
			t.Errorf("udp single-peer row = %+v", r)
		}
	})
	t.Run("connect", func(t *testing.T) {
		ln, port := listenTCP(t, v4)
		p := gnc(t, v4, itoa(port))
		c := accept(t, ln)
		p.write("abc")
		readUntil(t, c, "abc")
		write(t, c, "hello")
		p.waitStdout("hello")
		head, rows := requestTableWhen(t, p, func(head []int64, _ []tableRow) bool { return head[4] == 5 && head[5] == 3 })
		if head[0] != 1 || head[1] != 0 || len(rows) != 1 {
			t.Fatalf("connect table: %v %+v", head, rows)
		}
		if r := rows[0]; r.local != c.RemoteAddr().String() || r.remote != c.LocalAddr().String() || r.state != "ESTABLISHED" ||
			r.bytesIn != "5" || r.bytesOut != "3" {
			t.Errorf("connect row = %+v", r)
		}
		p.requireRunning("after SIGUSR1")
		p.write("more")
		readUntil(t, c, "more")
		p.closeStdin()
		c.Close()
		p.expectExit(0)
	})
}
