// Package udpmux serves many UDP peers over one socket for listen -k: each
// source address is a member of a relay.Hub, its datagrams go to stdout and
// stdin reaches it with WriteTo. It does not bind sockets; transport does.
package udpmux

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"gnc/internal/relay"
)

// peer is one source address behind the shared socket. Closing it forgets
// the peer and leaves the socket open.
type peer struct {
	pc   net.PacketConn
	addr net.Addr
	m    *mux
	key  string
	last atomic.Int64 // unix nanoseconds of the last datagram either way
}

func (p *peer) Write(b []byte) (int, error) {
	p.touch()
	return p.pc.WriteTo(b, p.addr)
}

// LocalAddr and RemoteAddr name the peer in gnc's connection table.
func (p *peer) LocalAddr() net.Addr  { return p.pc.LocalAddr() }
func (p *peer) RemoteAddr() net.Addr { return p.addr }

func (p *peer) touch() { p.last.Store(time.Now().UnixNano()) }

func (p *peer) idleFor() time.Duration { return time.Since(time.Unix(0, p.last.Load())) }

func (p *peer) Close() error {
	p.m.forget(p)
	return nil
}

type mux struct {
	mu    sync.Mutex
	peers map[string]*peer
}

func (m *mux) forget(p *peer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.peers[p.key] == p {
		delete(m.peers, p.key)
	}
}

// Options for Serve.
type Options struct {
	// MaxPeers bounds the members (-m); a datagram from a new address past
	// the bound is dropped. Negative: no bound.
	MaxPeers int
	// IdleTimeout forgets a peer that sent nothing for that long; 0: never.
	IdleTimeout time.Duration
	// OnNewPeer, if not nil, is told of each new source address and whether
	// it was admitted.
	OnNewPeer func(addr net.Addr, admitted bool)
	// Allow, if not nil, is asked about each datagram from an address that
	// is not a peer; false drops the datagram before OnNewPeer hears of it
	// (--allow, --deny; the caller logs the refusal). nil: every address.
	Allow func(addr net.Addr) bool
}

// Serve reads datagrams from pc until ctx ends or pc is closed, adding each
// new source address to hub as a member. It closes pc before returning.
func Serve(ctx context.Context, pc net.PacketConn, hub *relay.Hub, o Options) error {
	stop := context.AfterFunc(ctx, func() { pc.Close() })
	defer stop()
	defer pc.Close()
	m := &mux{peers: map[string]*peer{}}
	buf := make([]byte, relay.DatagramBuffer)
	for {
		n, addr, err := pc.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			continue // e.g. an ICMP error reported on the socket
		}
		key := addr.String()
		m.mu.Lock()
		p := m.peers[key]
		m.mu.Unlock()
		if p == nil {
			if o.Allow != nil && !o.Allow(addr) {
				continue
			}
			p = &peer{pc: pc, addr: addr, m: m, key: key}
			p.touch()
			admitted := hub.Join(p, o.MaxPeers)
			if o.OnNewPeer != nil {
				o.OnNewPeer(addr, admitted)
			}
			if !admitted {
				continue
			}
			m.mu.Lock()
			m.peers[key] = p
			m.mu.Unlock()
			if o.IdleTimeout > 0 {
				expireWhenIdle(hub, p, o.IdleTimeout)
			}
		}
		p.touch()
		hub.OutputFrom(p, buf[:n])
	}
}

// expireWhenIdle makes p leave hub once nothing has gone either way
// between it and gnc for idle.
func expireWhenIdle(hub *relay.Hub, p *peer, idle time.Duration) {
	var t *time.Timer
	check := func() {
		p.m.mu.Lock()
		current := p.m.peers[p.key] == p
		p.m.mu.Unlock()
		if !current {
			return
		}
		if left := idle - p.idleFor(); left > 0 {
			t.Reset(left)
			return
		}
		hub.Leave(p)
	}
	t = time.AfterFunc(idle, check)
}
