package broker

import (
	"net"
	"time"
)

// enqueue adds msg to m's queue, starts m's writer if it is not running,
// and reports whether the queue is now over bound. A gone member ignores
// it.
func (m *member) enqueue(msg []byte, bound int) bool {
	if m.out == nil {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.gone {
		return false
	}
	if m.queued == 0 {
		m.lastProgress = time.Now()
	}
	m.q = append(m.q, msg)
	m.queued += len(msg)
	if !m.writing {
		m.writing = true
		m.hub.wg.Go(func() { m.hub.writeLoop(m) })
	}
	return m.queued > bound
}

// shutdown stops m's writer and closes its connection.
func (m *member) shutdown() {
	m.mu.Lock()
	if !m.gone {
		close(m.goneCh)
		if m.onClose != nil {
			defer m.onClose()
		}
	}
	m.gone = true
	m.q = nil
	if m.progress != nil {
		close(m.progress)
		m.progress = nil
	}
	m.mu.Unlock()
	if m.conn != nil {
		m.conn.Close()
	}
}

// waitDrained blocks until m's queue is back within its bound, m is gone,
// or the hub closes. A member that drains nothing for the grace period is
// disconnected as too slow; the listener's stdout is waited for instead.
func (h *Hub) waitDrained(m *member) {
	var t *time.Timer
	defer func() {
		if t != nil {
			t.Stop()
		}
	}()
	for {
		m.mu.Lock()
		if m.gone || m.queued <= h.bound {
			m.mu.Unlock()
			return
		}
		if m.progress == nil {
			m.progress = make(chan struct{})
		}
		ch := m.progress
		wait := h.grace - time.Since(m.lastProgress)
		m.mu.Unlock()
		if m.exempt {
			select {
			case <-ch:
			case <-h.done:
				return
			}
			continue
		}
		if wait <= 0 {
			h.drop(m)
			return
		}
		if t == nil {
			t = time.NewTimer(wait)
		} else {
			t.Reset(wait)
		}
		select {
		case <-ch:
		case <-t.C:
		case <-h.done:
			return
		}
	}
}

// writeLoop is m's writer: it writes m's queue in batches until the queue
// is empty or m goes. enqueue starts it again when there is more.
func (h *Hub) writeLoop(m *member) {
	var batch [][]byte
	for {
		m.mu.Lock()
		if len(m.q) == 0 || m.gone {
			m.writing = false
			m.q = nil // an idle member keeps no array
			m.mu.Unlock()
			return
		}
		n, k := 0, 0
		for k < len(m.q) && (k == 0 || n+len(m.q[k]) <= maxBatch) {
			n += len(m.q[k])
			k++
		}
		batch = append(batch[:0], m.q[:k]...)
		rest := copy(m.q, m.q[k:])
		clear(m.q[rest:])
		m.q = m.q[:rest]
		m.mu.Unlock()

		var err error
		if m.datagram {
			for _, msg := range batch {
				var w int
				w, err = m.out.Write(msg)
				m.track.AddOut(int64(w))
				if err != nil {
					break
				}
			}
		} else {
			bufs := net.Buffers(batch)
			var w int64
			w, err = bufs.WriteTo(m.out)
			m.track.AddOut(w)
		}
		clear(batch)

		m.mu.Lock()
		m.queued -= n
		m.lastProgress = time.Now()
		if m.progress != nil {
			close(m.progress)
			m.progress = nil
		}
		m.mu.Unlock()
		m.lastIO.Store(time.Now().UnixNano())
		if err != nil {
			h.leave(m, leftNormally)
			return
		}
	}
}
