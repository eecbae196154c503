package tlsx

import (
	"errors"
	"net"
	"os"
	"sync"
	"time"
)

// PacketMux splits one UDP socket into a net.PacketConn per peer address,
// for DTLS servers: one goroutine reads the socket and hands each
// datagram to its peer's bounded queue (dropping it when the queue is
// full: a slow peer never stalls the others), and a new address whose
// first datagram is a DTLS handshake record becomes a peer that Accept
// returns. A peer's Close forgets it; the socket is closed once the mux
// is closed and its last peer is gone.
type PacketMux struct {
	pc       net.PacketConn
	accept   chan *muxPeer
	done     chan struct{}
	wg       sync.WaitGroup
	mu       sync.Mutex
	peers    map[string]*muxPeer
	closed   bool
	closeMu  sync.Once
	sockOnce sync.Once
}

// peerQueue is how many datagrams wait for a peer's reader; acceptQueue
// how many new peers wait for Accept.
const (
	peerQueue   = 256
	acceptQueue = 64
)

// NewPacketMux starts reading pc.
func NewPacketMux(pc net.PacketConn) *PacketMux {
	m := &PacketMux{pc: pc, accept: make(chan *muxPeer, acceptQueue), done: make(chan struct{}), peers: map[string]*muxPeer{}}
	m.wg.Go(m.readLoop)
	return m
}

func (m *PacketMux) readLoop() {
	buf := make([]byte, 64<<10)
	for {
		n, from, err := m.pc.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // ICMP errors from earlier sends; the socket goes on
		}
		m.route(from, buf[:n])
	}
}

// route hands one datagram to its peer, making a peer for a new address
// whose datagram is a DTLS handshake record (content type 22).
func (m *PacketMux) route(from net.Addr, b []byte) {
	key := from.String()
	m.mu.Lock()
	p := m.peers[key]
	if p == nil {
		if m.closed || len(b) == 0 || b[0] != contentHandshake {
			m.mu.Unlock()
			return
		}
		p = &muxPeer{mux: m, addr: from, in: make(chan []byte, peerQueue), closed: make(chan struct{}), wake: make(chan struct{})}
		select {
		case m.accept <- p:
			m.peers[key] = p
		default: // too many peers waiting for Accept: this one retries
			m.mu.Unlock()
			return
		}
	}
	m.mu.Unlock()
	p.deliver(append([]byte(nil), b...))
}

// DTLS record content types.
const (
	contentChangeCipherSpec = 20
	contentHandshake        = 22
	contentAppData          = 23
)

// deliver queues one datagram for p's reader, or holds it while p's
// handshake runs (see Release).
func (p *muxPeer) deliver(d []byte) {
	if len(d) == 0 {
		return // no record in it
	}
	p.holdMu.Lock()
	defer p.holdMu.Unlock()
	// Hold application data, and after it anything but handshake
	// records (a close_notify must not overtake the data it follows).
	if !p.released && (d[0] == contentAppData || (len(p.held) > 0 && d[0] != contentHandshake && d[0] != contentChangeCipherSpec)) {
		if len(p.held) < peerQueue {
			p.held = append(p.held, d)
		}
		return
	}
	select {
	case p.in <- d:
	default: // the peer is not reading: drop, as a full socket buffer would
	}
}

// Release hands the peer at addr the application data that arrived
// during its handshake; call it once the handshake is done. pion's
// server keeps only one such datagram and drops the rest, so a client
// that sends several right after its handshake would lose them.
func (m *PacketMux) Release(addr net.Addr) {
	m.mu.Lock()
	p := m.peers[addr.String()]
	m.mu.Unlock()
	if p == nil {
		return
	}
	p.holdMu.Lock()
	defer p.holdMu.Unlock()
	p.released = true
	for _, d := range p.held {
		select {
		case p.in <- d:
		default:
		}
	}
	p.held = nil
}

// Accept returns the next new peer.
func (m *PacketMux) Accept() (net.PacketConn, net.Addr, error) {
	select {
	case p := <-m.accept:
		return p, p.addr, nil
	case <-m.done:
		return nil, nil, net.ErrClosed
	}
}

// Close stops accepting peers. The socket stays open for the peers
// already accepted and is closed, its reader waited for, once the last of
// them is closed.
func (m *PacketMux) Close() error {
	m.closeMu.Do(func() {
		m.mu.Lock()
		m.closed = true
		close(m.done)
		m.mu.Unlock()
		for {
			select {
			case p := <-m.accept: // never accepted: nobody else closes it
				p.Close()
				continue
			default:
			}
			break
		}
		m.mu.Lock()
		idle := len(m.peers) == 0
		m.mu.Unlock()
		if idle {
			m.closeSocket()
		}
	})
	return nil
}

func (m *PacketMux) closeSocket() {
	m.sockOnce.Do(func() {
		m.pc.Close()
		m.wg.Wait()
	})
}

// Addr is the socket's address.
func (m *PacketMux) Addr() net.Addr { return m.pc.LocalAddr() }

func (m *PacketMux) forget(p *muxPeer) {
	m.mu.Lock()
	if m.peers[p.addr.String()] == p {
		delete(m.peers, p.addr.String())
	}
	last := m.closed && len(m.peers) == 0
	m.mu.Unlock()
	if last {
		m.closeSocket()
	}
}

// muxPeer is one peer address of a PacketMux.
type muxPeer struct {
	mux       *PacketMux
	addr      net.Addr
	in        chan []byte
	closed    chan struct{}
	closeOnce sync.Once

	mu       sync.Mutex
	deadline time.Time
	wake     chan struct{} // closed when the deadline changes

	holdMu   sync.Mutex
	released bool     // the handshake is done: application data flows
	held     [][]byte // application data that came during the handshake
}

func (p *muxPeer) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		p.mu.Lock()
		deadline, wake := p.deadline, p.wake
		p.mu.Unlock()
		var timer *time.Timer
		var expired <-chan time.Time
		if !deadline.IsZero() {
			d := time.Until(deadline)
			if d <= 0 {
				return 0, nil, os.ErrDeadlineExceeded
			}
			timer = time.NewTimer(d)
			expired = timer.C
		}
		var n int
		var err error
		got := true
		select {
		case d := <-p.in:
			n = copy(b, d)
		case <-p.closed:
			err = net.ErrClosed
		case <-expired:
			err = os.ErrDeadlineExceeded
		case <-wake:
			got = false // the deadline changed: look again
		}
		if timer != nil {
			timer.Stop()
		}
		if got {
			if err != nil {
				return 0, nil, err
			}
			return n, p.addr, nil
		}
	}
}

func (p *muxPeer) WriteTo(b []byte, _ net.Addr) (int, error) {
	select {
	case <-p.closed:
		return 0, net.ErrClosed
	default:
	}
	return p.mux.pc.WriteTo(b, p.addr)
}

func (p *muxPeer) Close() error {
	p.closeOnce.Do(func() {
		close(p.closed)
		p.mux.forget(p)
	})
	return nil
}

func (p *muxPeer) LocalAddr() net.Addr { return p.mux.pc.LocalAddr() }

func (p *muxPeer) SetDeadline(t time.Time) error { return p.SetReadDeadline(t) }

func (p *muxPeer) SetReadDeadline(t time.Time) error {
	p.mu.Lock()
	p.deadline = t
	close(p.wake)
	p.wake = make(chan struct{})
	p.mu.Unlock()
	return nil
}

func (p *muxPeer) SetWriteDeadline(time.Time) error { return nil }
