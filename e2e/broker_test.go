//go:build linux

package e2e

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"gnc/internal/testnet"
)

// startRoom starts gnc with args and the listen address 127.0.0.1:port,
// and waits until it listens.
func startRoom(t *testing.T, args ...string) (*proc, string) {
	t.Helper()
	port := testnet.FreePort(t, "tcp", v4)
	p := gnc(t, append(args, v4, itoa(port))...)
	waitListening(t, "tcp", port, "")
	return p, testnet.Addr(v4, port)
}

// chatJoin connects to a chat room and reads its greeting.
func chatJoin(t *testing.T, addr string) (net.Conn, string) {
	t.Helper()
	c := dial(t, "tcp", addr)
	return c, readUntil(t, c, "<announce> already connected: ")
}

// readLine reads c until a newline ends what was read.
func readLine(t *testing.T, c net.Conn) string {
	t.Helper()
	got := readUntil(t, c, "\n")
	for !strings.HasSuffix(got, "\n") {
		got += readUntil(t, c, "\n")
	}
	return got
}

// TestBroker: each client's bytes reach every other client and not itself;
// the listener's stdin reaches all; its stdout gets nothing; clients stay
// at the listener's stdin EOF.
func TestBroker(t *testing.T) {
	t.Parallel()
	p, addr := startRoom(t, "--broker")
	a, b, c := dial(t, "tcp", addr), dial(t, "tcp", addr), dial(t, "tcp", addr)
	// One accept loop adds the clients in order, so once c's bytes reach
	// a and b, all three are members.
	write(t, c, "from c\n")
	readUntil(t, a, "from c\n")
	readUntil(t, b, "from c\n")
	write(t, b, "from b\n")
	readUntil(t, a, "from b\n")
	readUntil(t, c, "from b\n")
	p.write("from stdin\n")
	for _, m := range []net.Conn{a, b, c} {
		readUntil(t, m, "from stdin\n")
	}
	expectQuiet(t, b, 100*time.Millisecond) // nothing comes back to the sender
	p.closeStdin()
	write(t, c, "after stdin EOF\n")
	readUntil(t, a, "after stdin EOF\n")
	if got := p.stdout.String(); got != "" {
		t.Errorf("broker stdout = %q, want nothing (as ncat)", got)
	}
	p.requireRunning("the broker keeps running after stdin EOF")
}

// TestBrokerUnix: the broker over a Unix stream socket (ncat refuses it).
func TestBrokerUnix(t *testing.T) {
	t.Parallel()
	path := sockPath(t, "b.sock")
	p := gnc(t, "--broker", "-U", path)
	waitListening(t, "unix", 0, path)
	a := dial(t, "unix", path)
	b := dial(t, "unix", path)
	write(t, b, "over unix\n")
	readUntil(t, a, "over unix\n")
	p.write("hello\n")
	readUntil(t, a, "hello\n")
	readUntil(t, b, "hello\n")
}

// TestBrokerMaxConns: -m counts broker clients; the extra one is accepted
// and closed, with ncat's -v line.
func TestBrokerMaxConns(t *testing.T) {
	t.Parallel()
	p, addr := startRoom(t, "-v", "--broker", "-m", "2")
	a, b := dial(t, "tcp", addr), dial(t, "tcp", addr)
	write(t, b, "two\n") // once a has it, both are members
	readUntil(t, a, "two\n")
	c := dial(t, "tcp", addr)
	expectEOF(t, c, "")
	p.waitStderr("New connection denied: connection limit reached (2)")
	if strings.Contains(p.stderr.String(), "Maximum connections ignored") {
		t.Errorf("-m with --broker warned: %s", p.stderr.String())
	}
}

// TestChatUDP: -u --chat: each peer address is a member; every message is
// one datagram.
func TestChatUDP(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "udp", v4)
	p := gnc(t, "-u", "--chat", v4, itoa(port))
	waitListening(t, "udp", port, "")
	srv := &net.UDPAddr{IP: net.ParseIP(v4), Port: port}
	a := testnet.ListenPacket(t, "udp", testnet.Addr(v4, 0))
	b := testnet.ListenPacket(t, "udp", testnet.Addr(v4, 0))
	a.WriteTo([]byte("hello\n"), srv)
	if got, _ := readDatagram(t, a); got != "<announce> 127.0.0.1 is connected as <user1>.\n<announce> already connected: nobody.\n" {
		t.Errorf("greeting %q", got)
	}
	b.WriteTo([]byte("Is anyone there?\n"), srv)
	if got, _ := readDatagram(t, b); got != "<announce> 127.0.0.1 is connected as <user2>.\n<announce> already connected: 127.0.0.1 as <user1>.\n" {
		t.Errorf("second greeting %q", got)
	}
	readDatagramUntil(t, a, "<user2> Is anyone there?\n")
	p.write("Go away, all of you.\n")
	readDatagramUntil(t, a, "<user0> Go away, all of you.\n")
	readDatagramUntil(t, b, "<user0> Go away, all of you.\n")
	p.waitStdout("<user1> hello\n<announce> 127.0.0.1 is connected as <user2>.\n<user2> Is anyone there?\n")
}

// TestBrokerUDP: -u --broker relays each peer's datagrams, whole, to the
// other peers.
func TestBrokerUDP(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "udp", v4)
	p := gnc(t, "-v", "-u", "--broker", v4, itoa(port))
	waitListening(t, "udp", port, "")
	srv := &net.UDPAddr{IP: net.ParseIP(v4), Port: port}
	a := testnet.ListenPacket(t, "udp", testnet.Addr(v4, 0))
	b := testnet.ListenPacket(t, "udp", testnet.Addr(v4, 0))
	a.WriteTo([]byte("a is here"), srv)
	p.waitStderrCount("Connection from 127.0.0.1.", 1)
	b.WriteTo([]byte("one datagram"), srv)
	if got, _ := readDatagram(t, a); got != "one datagram" {
		t.Errorf("a got %q", got)
	}
	if got := p.stdout.String(); got != "" {
		t.Errorf("broker stdout %q", got)
	}
}

// TestChatWireFormat: ncat's announce lines, prefixes and escaping, byte
// for byte, with gnc's numbering (lowest free from 1) and the
// "already connected" list for the newcomer only.
func TestChatWireFormat(t *testing.T) {
	t.Parallel()
	p, addr := startRoom(t, "--chat")
	a, greet := chatJoin(t, addr)
	if want := "<announce> 127.0.0.1 is connected as <user1>.\n<announce> already connected: nobody.\n"; greet != want {
		t.Errorf("first greeting %q, want %q", greet, want)
	}
	b, greet := chatJoin(t, addr)
	if want := "<announce> 127.0.0.1 is connected as <user2>.\n<announce> already connected: 127.0.0.1 as <user1>.\n"; greet != want {
		t.Errorf("second greeting %q, want %q", greet, want)
	}
	if got := readLine(t, a); got != "<announce> 127.0.0.1 is connected as <user2>.\n" {
		t.Errorf("user1 sees the join as %q (the list goes to the newcomer only)", got)
	}

	// The worked example of ncat-behaviour.md §5: controls and DEL
	// escaped, UTF-8 kept, tab, CR and LF raw.
	write(t, a, "hello\x01\x1b[31m\x7f\xc3\xa9\ttab\r\n")
	want := "<user1> hello\\001\\033[31m\\177\xc3\xa9\ttab\r\n"
	if got := readLine(t, b); got != want {
		t.Errorf("escaped line %q, want %q", got, want)
	}
	// C1 controls and invalid bytes are escaped too.
	write(t, b, "c1\xc2\x85 bad\xff\n")
	if got := readLine(t, a); got != "<user2> c1\\302\\205 bad\\377\n" {
		t.Errorf("C1/invalid line %q", got)
	}

	// One prefix per line: a partial line waits for its newline.
	write(t, a, "part1")
	expectQuiet(t, b, 100*time.Millisecond)
	write(t, a, "part2\n")
	if got := readLine(t, b); got != "<user1> part1part2\n" {
		t.Errorf("joined line %q", got)
	}

	// The listener's stdin speaks as user0; its stdout shows the room.
	p.write("from the listener\n")
	readUntil(t, a, "<user0> from the listener\n")
	readUntil(t, b, "<user0> from the listener\n")
	p.waitStdout("<user1> part1part2\n")

	// Leaving: a partial line is flushed with a newline, then announced.
	write(t, b, "bye")
	b.Close()
	if got := readUntil(t, a, "is disconnected.\n"); got != "<user2> bye\n<announce> <user2> is disconnected.\n" {
		t.Errorf("leave seen as %q", got)
	}
	// The lowest free number is reused.
	_, greet = chatJoin(t, addr)
	if want := "<announce> 127.0.0.1 is connected as <user2>.\n<announce> already connected: 127.0.0.1 as <user1>.\n"; greet != want {
		t.Errorf("rejoin greeting %q, want %q", greet, want)
	}
	room := p.waitStdout("<announce> <user2> is disconnected.\n<announce> 127.0.0.1 is connected as <user2>.\n")
	wantRoom := "<announce> 127.0.0.1 is connected as <user1>.\n" +
		"<announce> 127.0.0.1 is connected as <user2>.\n" +
		want +
		"<user2> c1\\302\\205 bad\\377\n" +
		"<user1> part1part2\n" +
		"<user2> bye\n" +
		"<announce> <user2> is disconnected.\n" +
		"<announce> 127.0.0.1 is connected as <user2>.\n"
	if room != wantRoom {
		t.Errorf("listener stdout:\n got %q\nwant %q", room, wantRoom)
	}
}

// TestChatCommands: /nick renames (announced to all), collisions and bad
// names get a one-line reply to the asker only; /who and /help answer the
// asker only.
func TestChatCommands(t *testing.T) {
	t.Parallel()
	_, addr := startRoom(t, "--chat")
	a, _ := chatJoin(t, addr)
	b, _ := chatJoin(t, addr)
	readLine(t, a) // b's join

	write(t, a, "/nick alice\n")
	want := "<announce> <user1> is now known as <alice>.\n"
	if got := readLine(t, a); got != want {
		t.Errorf("asker sees %q, want %q", got, want)
	}
	if got := readLine(t, b); got != want {
		t.Errorf("others see %q, want %q", got, want)
	}
	write(t, a, "hi\n")
	if got := readLine(t, b); got != "<alice> hi\n" {
		t.Errorf("renamed prefix %q", got)
	}

	for _, tt := range []struct{ line, reply string }{
		{"/nick alice\n", "<announce> the name <alice> is already taken.\n"},
		{"/nick al ice\n", "<announce> usage: /nick NAME (1-32 of A-Z a-z 0-9 _ . -).\n"},
		{"/nick al!ce\n", "<announce> invalid name \"al!ce\": use 1-32 of A-Z a-z 0-9 _ . -.\n"},
		{"/nick " + strings.Repeat("a", 33) + "\n", "<announce> invalid name \"" + strings.Repeat("a", 33) + "\": use 1-32 of A-Z a-z 0-9 _ . -.\n"},
		{"/nick user1\n", "<announce> the name user1 is reserved.\n"},
	} {
		write(t, b, tt.line)
		if got := readLine(t, b); got != tt.reply {
			t.Errorf("%q: reply %q, want %q", tt.line, got, tt.reply)
		}
	}
	expectQuiet(t, a, 100*time.Millisecond) // replies reach the asker only

	write(t, b, "/who\n")
	who := readUntil(t, b, "<user2> 127.0.0.1:")
	for !strings.HasSuffix(who, "\n") {
		who += readUntil(t, b, "\n")
	}
	matchLines(t, who,
		`^<announce> 3 members:$`,
		`^<announce>   <user0> listener, idle \d+s$`,
		`^<announce>   <alice> 127\.0\.0\.1:\d+, idle \d+s$`,
		`^<announce>   <user2> 127\.0\.0\.1:\d+, idle \d+s$`)
	write(t, b, "/help\n")
	if got := readUntil(t, b, "/help"); !strings.HasPrefix(got, "<announce> commands:\n") {
		t.Errorf("/help reply %q", got)
	}
	expectQuiet(t, a, 100*time.Millisecond)
}

// TestChatInterop: ncat and nc.openbsd as chat clients of gnc --chat.
func TestChatInterop(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"ncat", "nc.openbsd"} {
		t.Run(tool, func(t *testing.T) {
			t.Parallel()
			bin := requirePeer(t, tool)
			srv, addr := startRoom(t, "--chat")
			port := addr[strings.LastIndexByte(addr, ':')+1:]
			c1 := startProc(t, procOpts{}, bin, v4, port)
			c1.waitStdout("<announce> already connected: nobody.\n")
			c2 := startProc(t, procOpts{}, bin, v4, port)
			c2.waitStdout("<announce> already connected: 127.0.0.1 as <user1>.\n")
			c1.waitStdout("<announce> 127.0.0.1 is connected as <user2>.\n")
			c2.write("Is anyone there?\n")
			c1.waitStdout("<user2> Is anyone there?\n")
			c1.write("/nick bob\n")
			c2.waitStdout("<announce> <user1> is now known as <bob>.\n")
			c1.write("yes\n")
			c2.waitStdout("<bob> yes\n")
			srv.write("Go away, all of you.\n")
			c1.waitStdout("<user0> Go away, all of you.\n")
			c2.waitStdout("<user0> Go away, all of you.\n")
			srv.waitStdout("<user2> Is anyone there?\n<announce> <user1> is now known as <bob>.\n<bob> yes\n")
			if got := c2.stdout.String(); strings.Contains(got, "Is anyone there") {
				t.Errorf("%s got its own line back: %q", tool, got)
			}
		})
	}
}

// TestChatStalledClient: one client that never reads does not hold up the
// others; once over --broker-buffer it is disconnected with a -v line and
// an announcement.
func TestChatStalledClient(t *testing.T) {
	t.Parallel()
	p, addr := startRoom(t, "-v", "--chat", "--broker-buffer", "64KiB")
	sender, _ := chatJoin(t, addr)
	stalled := dial(t, "tcp", addr)
	stalled.(*net.TCPConn).SetReadBuffer(4096)
	fast, _ := chatJoin(t, addr)
	readUntil(t, sender, "<user3>.\n") // the joins
	line := strings.Repeat("x", 1000) + "\n"
	// Send until the stalled client is dropped (the kernel's buffers take
	// a few megabytes first); the fast client must get every line.
	done := make(chan int, 1)
	go func() {
		n := 0
		for ; n < 50000 && !strings.Contains(p.stderr.String(), "too slow"); n++ {
			if _, err := sender.Write([]byte(line)); err != nil {
				break
			}
		}
		sender.Write([]byte("end\n"))
		done <- n
	}()
	fast.SetReadDeadline(time.Now().Add(2 * testTimeout / 3))
	var got strings.Builder
	buf := make([]byte, 64<<10)
	for !strings.HasSuffix(got.String(), "<user1> end\n") {
		n, err := fast.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			t.Fatalf("fast client after %d bytes: %v", got.Len(), err)
		}
	}
	sent := <-done
	if sent >= 50000 {
		t.Fatal("the stalled client was never disconnected")
	}
	text := got.String()
	if !strings.Contains(text, "<announce> <user2> is disconnected (too slow).\n") {
		t.Errorf("no too-slow announcement")
	}
	text = strings.Replace(text, "<announce> <user2> is disconnected (too slow).\n", "", 1)
	if want := strings.Repeat("<user1> "+line, sent) + "<user1> end\n"; text != want {
		t.Errorf("fast client got %d bytes, want %d (%d lines)", len(text), len(want), sent)
	}
	p.waitStderr("Client <user2> (127.0.0.1:")
	p.waitStderr("too slow).")
}

// TestChatJoinLeaveChurn: many clients join and leave; the room stays
// consistent and numbers are reused.
func TestChatJoinLeaveChurn(t *testing.T) {
	t.Parallel()
	p, addr := startRoom(t, "--chat")
	keeper, _ := chatJoin(t, addr)
	for i := range 200 {
		c, greet := chatJoin(t, addr)
		if want := "<announce> 127.0.0.1 is connected as <user2>.\n"; !strings.HasPrefix(greet, want) {
			t.Fatalf("join %d: greeting %q", i, greet)
		}
		c.Close()
		readUntil(t, keeper, "<announce> <user2> is disconnected.\n")
	}
	p.requireRunning("after the churn")
	p.write(fmt.Sprintf("still %d\n", 1))
	readUntil(t, keeper, "<user0> still 1\n")
}
