package conntrack

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"gnc/internal/testnet"
)

// testCtx bounds a test's real waits; it is a safety net against hangs,
// never a performance threshold.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// pair returns both ends of a loopback TCP connection.
func pair(t *testing.T) (ln net.Listener, server, client net.Conn) {
	ln = testnet.Listen(t, "tcp", "127.0.0.1:0")
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return ln, server, client
}

func TestNilIsHarmless(t *testing.T) {
	var r *Registry
	_, _, client := pair(t)
	c := r.TrackConn(client)
	c.AddIn(1)
	c.AddOut(1)
	c.SetName("x")
	c.SetQueued(func() int64 { return 1 })
	c.Close()
	r.CountAccepted()
	r.CountDenied()
	r.CountDropped()
	if rows, tot := r.Snapshot(); rows != nil || tot != (Totals{}) {
		t.Errorf("nil Snapshot = %v, %+v", rows, tot)
	}
	if in, out := r.Bytes(); in != 0 || out != 0 {
		t.Errorf("nil Bytes = %d, %d", in, out)
	}
}

func TestSnapshot(t *testing.T) {
	r := New()
	ln, server, client := pair(t)
	l := r.TrackListener(ln.Addr(), ln)
	c := r.TrackConn(server)
	r.CountAccepted()
	r.CountDenied()
	r.CountDropped()
	c.AddIn(100)
	c.AddOut(30)
	c.AddIn(-5) // ignored
	c.SetName("alice")
	c.SetQueued(func() int64 { return 42 })

	// Bytes the server has not read show in its Recv-Q.
	if _, err := client.Write([]byte("12345")); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	var rows []Row
	var tot Totals
	for {
		rows, tot = r.Snapshot()
		if len(rows) == 2 && rows[1].RecvQ == 5 || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Millisecond) // loopback delivery is immediate; bounded by ctx
	}
	if len(rows) != 2 {
		t.Fatalf("rows = %+v, want a listener and a connection", rows)
	}
	lr, cr := rows[0], rows[1]
	if !lr.Listener || lr.Proto != "tcp" || lr.Local != ln.Addr().String() || lr.Remote != "0.0.0.0:*" {
		t.Errorf("listener row = %+v", lr)
	}
	if cr.Listener || cr.Proto != "tcp" || cr.Local != server.LocalAddr().String() || cr.Remote != client.LocalAddr().String() ||
		cr.BytesIn != 100 || cr.BytesOut != 30 || cr.Name != "alice" || cr.Queued != 42 {
		t.Errorf("connection row = %+v", cr)
	}
	if runtime.GOOS == "linux" {
		if lr.State != "LISTEN" || lr.RecvQ != 0 || lr.SendQ <= 0 {
			t.Errorf("listener kernel view = %s %d %d, want LISTEN 0 and the backlog", lr.State, lr.RecvQ, lr.SendQ)
		}
		if cr.State != "ESTABLISHED" || cr.RecvQ != 5 || cr.SendQ != 0 {
			t.Errorf("connection kernel view = %s %d %d, want ESTABLISHED 5 0", cr.State, cr.RecvQ, cr.SendQ)
		}
	}
	want := Totals{Accepted: 1, Denied: 1, Dropped: 1, Active: 1, Listeners: 1, BytesIn: 100, BytesOut: 30}
	if tot != want {
		t.Errorf("totals = %+v, want %+v", tot, want)
	}

	// A closed connection leaves the table and keeps its bytes in the totals.
	c.Close()
	c.Close()
	l.Close()
	rows, tot = r.Snapshot()
	want = Totals{Accepted: 1, Denied: 1, Dropped: 1, BytesIn: 100, BytesOut: 30}
	if len(rows) != 0 || tot != want {
		t.Errorf("after Close: rows %+v, totals %+v; want none, %+v", rows, tot, want)
	}
	if in, out := r.Bytes(); in != 100 || out != 30 {
		t.Errorf("Bytes = %d, %d; want 100, 30", in, out)
	}
}

func TestSnapshotAfterSocketClosed(t *testing.T) {
	r := New()
	_, server, _ := pair(t)
	c := r.TrackConn(server)
	defer c.Close()
	server.Close() // the entry outlives its socket for a moment
	rows, _ := r.Snapshot()
	if len(rows) != 1 || rows[0].State != "-" || rows[0].RecvQ != -1 || rows[0].SendQ != -1 {
		t.Errorf("rows = %+v, want one row with no kernel view", rows)
	}
}

func TestProtoAndPeers(t *testing.T) {
	testnet.RequireIPv6(t)
	r := New()
	ln := testnet.Listen(t, "tcp", "[::1]:0")
	pc := testnet.ListenPacket(t, "udp", "127.0.0.1:0")
	r.TrackListener(ln.Addr(), ln)
	r.TrackListener(pc.LocalAddr(), pc)
	peer := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5000}
	p := r.TrackPeer(pc.LocalAddr(), peer)
	p.AddIn(9)
	rows, _ := r.Snapshot()
	got := make([]string, len(rows))
	for i, row := range rows {
		got[i] = row.Proto + " " + row.Remote + " " + row.State
	}
	want := "tcp6 [::]:* LISTEN|udp 0.0.0.0:* UNCONN|udp 127.0.0.1:5000 -"
	if strings.Join(got, "|") != want {
		t.Errorf("rows = %q, want %q", strings.Join(got, "|"), want)
	}
}

// TestConcurrentUse runs counters, closes and snapshots at once under the
// race detector; the totals must come out exact.
func TestConcurrentUse(t *testing.T) {
	r := New()
	_, server, _ := pair(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				c := r.TrackConn(server)
				c.AddIn(2)
				c.AddOut(3)
				c.Close()
			}
		})
	}
	wg.Go(func() {
		for range 100 {
			r.Snapshot()
		}
	})
	wg.Wait()
	if in, out := r.Bytes(); in != 1600 || out != 2400 {
		t.Errorf("Bytes = %d, %d; want 1600, 2400", in, out)
	}
}

func TestServe(t *testing.T) {
	r := New()
	ln, server, _ := pair(t)
	r.TrackListener(ln.Addr(), ln)
	c := r.TrackConn(server)
	c.AddIn(11)
	r.CountAccepted()
	status := testnet.Listen(t, "tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(testCtx(t))
	done := make(chan error, 1)
	go func() { done <- r.Serve(ctx, status) }()
	base := "http://" + status.Addr().String()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

	get := func(path string) (string, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, "GET", base+path, nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %s", path, resp.Status)
		}
		return resp.Header.Get("Content-Type"), string(b)
	}
	ct, body := get("/connections")
	var doc struct {
		Connections []Row `json:"connections"`
		Accepted    int64 `json:"accepted"`
		BytesIn     int64 `json:"bytes_in"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil || ct != "application/json" {
		t.Fatalf("/connections: %v, %s\n%s", err, ct, body)
	}
	if len(doc.Connections) != 2 || doc.Connections[1].BytesIn != 11 || doc.Accepted != 1 || doc.BytesIn != 11 {
		t.Errorf("/connections = %+v", doc)
	}
	ct, body = get("/metrics")
	m, err := testnet.ParseMetrics(body)
	if err != nil || !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Fatalf("/metrics: %v, %s\n%s", err, ct, body)
	}
	if m["gnc_connections_accepted_total"] != 1 || m["gnc_received_bytes_total"] != 11 || m["gnc_connections_active"] != 1 {
		t.Errorf("/metrics = %v", m)
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/nothing", nil)
	if resp, err := client.Do(req); err != nil || resp.StatusCode != 404 {
		t.Errorf("GET /nothing = %v, %v; want 404", resp, err)
	} else {
		resp.Body.Close()
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve after cancel = %v, want nil", err)
	}
	if _, err := net.Dial("tcp", status.Addr().String()); err == nil {
		t.Error("the status endpoint still accepts after Serve returned")
	}
}

// wrapper hides a connection as TLS does, offering it through NetConn.
type wrapper struct{ net.Conn }

func (w wrapper) NetConn() net.Conn { return w.Conn }

func TestKernelCountOnlyOnBareTCP(t *testing.T) {
	r := New()
	_, server, _ := pair(t)
	if _, ok := r.TrackConn(wrapper{server}).KernelCount(true); ok {
		t.Error("KernelCount on a wrapped connection: its kernel counts are not the payload's")
	}
	c := r.TrackConn(server)
	done, ok := c.KernelCount(true)
	if ok != (runtime.GOOS == "linux") {
		t.Errorf("KernelCount on bare TCP = %v", ok)
	}
	if ok {
		done(7)
		if rows, _ := r.Snapshot(); rows[len(rows)-1].BytesIn != 7 {
			t.Errorf("after done(7): %+v", rows)
		}
	}
	// The wrapped entry still shows the socket's state.
	rows, _ := r.Snapshot()
	if runtime.GOOS == "linux" && rows[0].State != "ESTABLISHED" {
		t.Errorf("wrapped entry = %+v, want the socket's state", rows[0])
	}
}

// TestKernelCountLive checks the count a live KernelCount copy shows, on
// an accepted socket and a dialed one (whose kernel counts its SYN as
// sent), after bytes counted before the copy started.
func TestKernelCountLive(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("no kernel byte counters on " + runtime.GOOS)
	}
	_, server, client := pair(t)
	for _, tc := range []struct {
		name     string
		c, other net.Conn
	}{{"accepted", server, client}, {"dialed", client, server}} {
		t.Run(tc.name, func(t *testing.T) {
			r := New()
			c := r.TrackConn(tc.c)
			defer c.Close()
			// A handshake, counted as it went.
			tc.c.Write([]byte("abc"))
			c.AddOut(3)
			io.ReadFull(tc.other, make([]byte, 3))
			tc.other.Write([]byte("de"))
			io.ReadFull(tc.c, make([]byte, 2))
			c.AddIn(2)

			doneOut, ok1 := c.KernelCount(false)
			doneIn, ok2 := c.KernelCount(true)
			if !ok1 || !ok2 {
				t.Fatal("KernelCount on bare TCP failed")
			}
			tc.c.Write(make([]byte, 10))
			io.ReadFull(tc.other, make([]byte, 10))
			tc.other.Write(make([]byte, 20))
			io.ReadFull(tc.c, make([]byte, 20))
			rows, _ := r.Snapshot()
			if rows[0].BytesOut != 13 || rows[0].BytesIn != 22 {
				t.Errorf("live: %d bytes out, %d in; want 13 and 22", rows[0].BytesOut, rows[0].BytesIn)
			}
			doneOut(10)
			doneIn(20)
			rows, _ = r.Snapshot()
			if rows[0].BytesOut != 13 || rows[0].BytesIn != 22 {
				t.Errorf("done: %d bytes out, %d in; want 13 and 22", rows[0].BytesOut, rows[0].BytesIn)
			}
		})
	}
}
