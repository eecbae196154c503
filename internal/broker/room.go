package broker

import (
	"fmt"
	"strings"
	"time"
)

// maxChatMessage is where a chat message built from one chunk is cut:
// with the longest escaped line after it, a message stays under the
// largest UDP datagram.
const maxChatMessage = 16 << 10

// chatChunk handles what m sent in chat: every whole line is either a
// command or a line for the room. The room's lines from one chunk go out
// as one message, each with m's prefix, so a burst of short lines costs
// one queue entry per receiver rather than one per line. A command first
// sends the lines before it, so everyone sees them in order.
func (h *Hub) chatChunk(m *member, feed func(emit func(line []byte))) {
	var msg []byte
	var name string
	send := func() {
		if len(msg) > 0 {
			h.broadcast(m, msg) // msg is not touched again
			msg = nil
		}
	}
	feed(func(line []byte) {
		if cmd := parseCommand(line); cmd.kind != cmdNone {
			send()
			h.command(m, cmd)
			return
		}
		if msg == nil {
			h.mu.Lock()
			name = m.name
			h.mu.Unlock()
			msg = make([]byte, 0, maxChatMessage/2)
		}
		msg = append(msg, '<')
		msg = append(msg, name...)
		msg = append(msg, "> "...)
		msg = appendEscaped(msg, line)
		if len(msg) >= maxChatMessage {
			send()
		}
	})
	send()
}

// command carries out a chat command m typed.
func (h *Hub) command(m *member, cmd command) {
	switch cmd.kind {
	case cmdNick:
		h.nick(m, cmd.arg)
	case cmdWho:
		h.reply(m, h.who())
	case cmdHelp:
		h.reply(m, helpText)
	case cmdBad:
		h.reply(m, "<announce> "+cmd.arg+"\n")
	}
}

// reply sends text to m alone.
func (h *Hub) reply(m *member, text string) {
	if h.o.RecvOnly && m != h.listener {
		return
	}
	if m.enqueue([]byte(text), h.bound) {
		h.waitDrained(m)
	}
}

// nick renames m, unless another member has the name.
func (h *Hub) nick(m *member, name string) {
	h.mu.Lock()
	if m.left || h.closed {
		h.mu.Unlock()
		return
	}
	if m.name == name {
		h.mu.Unlock()
		h.reply(m, "<announce> you are already <"+name+">.\n")
		return
	}
	if owner := h.nicks[name]; owner != nil {
		h.mu.Unlock()
		h.reply(m, "<announce> the name <"+name+"> is already taken.\n")
		return
	}
	old := m.name
	if h.nicks[old] == m {
		delete(h.nicks, old)
	}
	h.nicks[name] = m
	m.name = name
	m.track.SetName(name)
	// The asker is in the audience and hears it too, unless --recv-only
	// keeps everything from the members.
	h.announce(h.audience(), fmt.Appendf(nil, "<announce> <%s> is now known as <%s>.\n", old, name))
	h.mu.Unlock()
}

// who is the reply to /who: every member, its address and idle time.
func (h *Hub) who() string {
	h.mu.Lock()
	ms := []*member{h.listener}
	names := []string{h.listener.name}
	for _, m := range h.members {
		if m.client {
			ms = append(ms, m)
			names = append(names, m.name)
		}
	}
	h.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "<announce> %d members:\n", len(ms))
	now := time.Now()
	for i, m := range ms {
		idle := now.Sub(time.Unix(0, m.lastMsg.Load())).Truncate(time.Second)
		fmt.Fprintf(&b, "<announce>   <%s> %s, idle %v\n", names[i], m.addr, idle)
	}
	return b.String()
}
