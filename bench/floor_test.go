//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMain lets the tests start the floors the way the harness does: by
// executing the test binary with a floor subcommand.
func TestMain(m *testing.M) {
	if ok, err := runFloor(os.Args[1:], os.Stdout); ok {
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestParsePortRange(t *testing.T) {
	for _, tc := range []struct {
		in          string
		first, last int
	}{
		{"1-10000", 1, 10000}, {"80-80", 80, 80}, {"1-65535", 1, 65535},
		{"", 0, 0}, {"80", 0, 0}, {"0-10", 0, 0}, {"10-9", 0, 0}, {"1-65536", 0, 0}, {"a-b", 0, 0}, {"-1-5", 0, 0},
	} {
		first, last, err := parsePortRange(tc.in)
		if first != tc.first || last != tc.last || (err != nil) != (tc.first == 0) {
			t.Errorf("parsePortRange(%q) = %d, %d, %v; want %d, %d", tc.in, first, last, err, tc.first, tc.last)
		}
	}
}

func TestParseFloorScan(t *testing.T) {
	for _, tc := range []struct {
		in     string
		open   int
		probes time.Duration
		ok     bool
	}{
		{"0 57000000\n", 0, 57 * time.Millisecond, true}, {"3 1000", 3, time.Microsecond, true},
		{"", 0, 0, false}, {"3\n", 0, 0, false}, {"-1 5\n", 0, 0, false}, {"3 0\n", 0, 0, false},
		{"3 open\n", 0, 0, false}, {"3 5\n\n", 0, 0, false}, {"3  5\n", 0, 0, false},
	} {
		open, probes, err := parseFloorScan(tc.in)
		if open != tc.open || probes != tc.probes || (err == nil) != tc.ok {
			t.Errorf("parseFloorScan(%q) = %d, %v, %v; want %d, %v, ok %v", tc.in, open, probes, err, tc.open, tc.probes, tc.ok)
		}
	}
}

func TestFloorNote(t *testing.T) {
	format := func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }
	got := floorNote("Floor", "connections/s", "ncat", []floorFigure{
		{name: "1 in flight", value: 7000, peer: cell{value: 6000, ok: true}},
		{name: "8 in flight", value: 16000, peer: cell{note: "failed"}},
	}, format)
	want := "Floor: 1 in flight 7000 connections/s (1.17× ncat); 8 in flight 16000 connections/s."
	if got != want {
		t.Errorf("floorNote = %q\nwant %q", got, want)
	}
	got = floorNote("Floor", "ports/s", "nc.openbsd", []floorFigure{{value: 150000, peer: cell{value: 50000, ok: true}}}, format)
	want = "Floor: 150000 ports/s (3.00× nc.openbsd)."
	if got != want {
		t.Errorf("floorNote = %q\nwant %q", got, want)
	}
}

func TestTableNotes(t *testing.T) {
	tab := &table{
		title:  "Rate",
		tools:  []string{"gnc", "ncat"},
		format: func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) },
		notes:  []string{"Floor: 3."},
	}
	var b strings.Builder
	tab.markdown(&b)
	if got, want := b.String(), "Floor: 3.\n\n"; got != want {
		t.Errorf("notes without rows:\n%q\nwant\n%q", got, want)
	}
	tab.add(row{name: "r", cells: map[string]cell{"gnc": {value: 2, ok: true}, "ncat": {value: 1, ok: true}}})
	b.Reset()
	tab.markdown(&b)
	want := `### Rate

| case | gnc | ncat | target | result |
|---|--:|--:|---|---|
| r | 2 | 1 (2.00×) |  |  |

Floor: 3.

`
	if got := b.String(); got != want {
		t.Errorf("markdown:\n%s\nwant:\n%s", got, want)
	}
}

// TestFloorScan checks the floor scanner's answers against ports the test
// opens, and ports it opened and closed again, on 127.0.0.1.
func TestFloorScan(t *testing.T) {
	var ports, open []uint16
	for i := range 6 {
		ln, err := net.Listen("tcp", loopback+":0")
		if err != nil {
			t.Fatal(err)
		}
		port := uint16(ln.Addr().(*net.TCPAddr).Port)
		ports = append(ports, port)
		if i%2 == 0 {
			open = append(open, port)
			defer ln.Close()
		} else {
			ln.Close() // closed from now on
		}
	}
	for _, threads := range []int{1, 2, 3} {
		got, err := floorScan(netip.MustParseAddr(loopback), ports, threads)
		if err != nil {
			t.Fatalf("%d threads: %v", threads, err)
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(open))
		if !slices.Equal(got, want) {
			t.Errorf("%d threads: open %v, want %v (of %v)", threads, got, want, ports)
		}
	}
}

// TestFloorServe runs the floor server as the harness does and checks that
// it serves short connections and copies what they send to its stdout.
func TestFloorServe(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	floor, err := floorTool()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, floor.path, floor.keep(port)...)
	cmd.Env = floor.environ()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	// Wait for the listener by connecting (an empty connection adds
	// nothing to stdout): faster than waitListen when /proc/net/tcp is long.
	for {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(loopback, strconv.Itoa(port)))
		if err == nil {
			c.Close()
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("%v; stderr %q", err, stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	const n = 40
	if err := dialMany(ctx, port, n, 4); err != nil {
		t.Fatalf("%v; stderr %q", err, stderr.String())
	}
	cmd.Process.Kill()
	cmd.Wait()
	if got, want := stdout.String(), strings.Repeat(payload, n); got != want {
		t.Errorf("stdout %d bytes, want %d: %q", len(got), len(want), got)
	}
}

func TestClientNote(t *testing.T) {
	got := clientNote("The load: the harness's Go client, CPU µs per connection", []clientRow{
		{name: "1 in flight", cpu: []namedValue{{"gnc", 70.04}, {"floor", 60}}},
		{name: "8 in flight", cpu: []namedValue{{"ncat", 55.55}}},
	}, func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) })
	want := "The load: the harness's Go client, CPU µs per connection in the same runs, by the server it dialed: " +
		"1 in flight: gnc 70.0, floor 60.0; 8 in flight: ncat 55.5."
	if got != want {
		t.Errorf("clientNote = %q\nwant %q", got, want)
	}
}

func TestRounds(t *testing.T) {
	b := &bench{cfg: config{runs: 3}}
	var got []int
	b.rounds(context.Background(), 2, func(i int) { got = append(got, i) })
	if want := []int{0, 1, 0, 1, 0, 1}; !slices.Equal(got, want) {
		t.Errorf("rounds ran %v, want %v", got, want)
	}
	ctx, cancel := context.WithCancel(context.Background())
	got = nil
	b.rounds(ctx, 2, func(i int) {
		got = append(got, i)
		cancel()
	})
	if want := []int{0}; !slices.Equal(got, want) {
		t.Errorf("after cancel, rounds ran %v, want %v", got, want)
	}
}

func TestConnectTarget(t *testing.T) {
	for _, tc := range []struct {
		head string
		want string // "" when refused
	}{
		{"CONNECT 127.0.0.1:80 HTTP/1.0", "127.0.0.1:80"},
		{"CONNECT 127.0.0.2:8080 HTTP/1.1\r\nHost: x", "127.0.0.2:8080"},
		{"CONNECT 10.0.0.1:80 HTTP/1.0", ""}, // not loopback
		{"CONNECT [::1]:80 HTTP/1.0", ""},    // not IPv4
		{"CONNECT localhost:80 HTTP/1.0", ""},
		{"GET 127.0.0.1:80 HTTP/1.0", ""},
		{"CONNECT 127.0.0.1:80 SPDY/3", ""},
		{"CONNECT 127.0.0.1 HTTP/1.0", ""},
		{"CONNECT 127.0.0.1:80", ""},
		{"", ""},
	} {
		ap, ok := connectTarget([]byte(tc.head))
		got := ""
		if ok {
			got = ap.String()
		}
		if got != tc.want {
			t.Errorf("connectTarget(%q) = %q, want %q", tc.head, got, tc.want)
		}
	}
}

// TestFloorProxy runs the proxy floor as the harness does and makes
// tunnels through it to an echo server, as the proxy rows do.
func TestFloorProxy(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	floor, err := floorProxyTool(3)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, floor.path, floor.proxy(port)...)
	cmd.Env = floor.environ()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	target, stop, err := echoTarget()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	proxy := net.JoinHostPort(loopback, strconv.Itoa(port))
	if err := waitListen(ctx, port); err != nil {
		t.Fatal(err)
	}
	if err := tunnelMany(ctx, proxy, target, 30, 3); err != nil {
		t.Fatalf("%v; stderr %q", err, stderr.String())
	}
	// A request it does not serve gets no reply: the connection just ends.
	c, err := net.Dial("tcp", proxy)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(c, "CONNECT 10.1.2.3:80 HTTP/1.0\r\n\r\n")
	if b, err := io.ReadAll(c); len(b) != 0 || err != nil {
		t.Errorf("refused request: read %q, %v; want EOF", b, err)
	}
}
