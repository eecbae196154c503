package broker

import (
	"fmt"
	"strings"
	"time"
)

// chatLine handles one whole line of chat from m: a command, or a message
// for the room.
func (h *Hub) chatLine(m *member, line []byte) {
	cmd := parseCommand(line)
	switch cmd.kind {
	case cmdNone:
		h.mu.Lock()
		name := m.name
		h.mu.Unlock()
		msg := make([]byte, 0, len(name)+3+len(line)+len(line)/8)
		msg = append(msg, '<')
		msg = append(msg, name...)
		msg = append(msg, "> "...)
		msg = appendEscaped(msg, line)
		h.broadcast(m, msg)
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
