package broker

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"

	"gnc/internal/relay"
	"gnc/internal/transport"
)

// datagramOut writes each message as one datagram to a peer of a shared
// socket.
type datagramOut struct {
	pc   net.PacketConn
	addr net.Addr
}

func (d *datagramOut) Write(b []byte) (int, error) { return d.pc.WriteTo(b, d.addr) }

// ServePacket serves the peers of pc (UDP, or Unix datagram) as members:
// a source address joins with its first datagram, unless the hub has max
// clients already (max < 0: no limit; the datagram is then dropped), and
// each of its datagrams is one chunk it sends. A peer leaves when it is
// too slow or after IdleTimeout with nothing either way. onNew, if not
// nil, is told of each new address and whether it joined. ServePacket
// returns when ctx ends or pc is closed, and closes pc.
func (h *Hub) ServePacket(ctx context.Context, pc net.PacketConn, max int, onNew func(addr net.Addr, admitted bool)) error {
	stop := context.AfterFunc(ctx, func() { pc.Close() })
	defer stop()
	defer pc.Close()
	var mu sync.Mutex
	peers := map[string]*member{}
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
		mu.Lock()
		m := peers[key]
		mu.Unlock()
		if m == nil {
			if h.o.Allow != nil && !h.o.Allow(addr) {
				continue
			}
			m = newPacketMember(pc, addr)
			m.onClose = func() {
				mu.Lock()
				if peers[key] == m {
					delete(peers, key)
				}
				mu.Unlock()
			}
			mu.Lock()
			peers[key] = m
			mu.Unlock()
			admitted := h.add(m, max)
			if onNew != nil {
				onNew(addr, admitted)
			}
			if !admitted {
				mu.Lock()
				delete(peers, key)
				mu.Unlock()
				continue
			}
		}
		now := time.Now().UnixNano()
		m.lastIO.Store(now)
		m.lastMsg.Store(now)
		m.track.AddIn(int64(n))
		h.o.Log.Record(buf[:n])
		if !h.o.SendOnly {
			h.fromMember(m, buf[:n])
		}
		if h.o.Delay > 0 {
			time.Sleep(h.o.Delay)
		}
	}
}

func newPacketMember(pc net.PacketConn, addr net.Addr) *member {
	m := newMember(nil)
	m.client, m.datagram = true, true
	m.out = &datagramOut{pc, addr}
	switch addr.(type) {
	case *net.UDPAddr:
		m.ip, m.addr = transport.FormatIP(addr), transport.FormatAddr(addr)
	default:
		m.ip, m.addr = "unix", "unix"
	}
	return m
}

// idleLoop makes a datagram member leave once nothing went either way for
// IdleTimeout.
func (h *Hub) idleLoop(m *member) {
	t := time.NewTimer(h.o.IdleTimeout)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-m.goneCh:
			return
		case <-h.done:
			return
		}
		left := h.o.IdleTimeout - time.Since(time.Unix(0, m.lastIO.Load()))
		if left > 0 {
			t.Reset(left)
			continue
		}
		h.logf("Idle timeout expired (%d ms); closing %s.", h.o.IdleTimeout.Milliseconds(), m.addr)
		h.leave(m, leftNormally)
		return
	}
}
