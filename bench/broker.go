//go:build linux

package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"
)

// brokerArgs is the command line of a broker (or, with chat, a chat room)
// on 127.0.0.1:port, the same for gnc and ncat. -m lifts the default limit
// of 100 clients that both share.
func brokerArgs(port int, chat bool) []string {
	mode := "--broker"
	if chat {
		mode = "--chat"
	}
	return []string{"-l", mode, "-m", "100000", loopback, strconv.Itoa(port)}
}

// brokerTools are the tools with a broker mode: gnc and ncat.
func (b *bench) brokerTools() []*tool {
	var ts []*tool
	for i := range b.tools {
		if t := &b.tools[i]; t.name == "gnc" || t.name == "ncat" {
			ts = append(ts, t)
		}
	}
	return ts
}

func toolNamesOf(ts []*tool) []string {
	var names []string
	for _, t := range ts {
		names = append(names, t.name)
	}
	return names
}

// startBroker starts t's broker (with chat, its chat room) on a fresh
// port, stdin an idle pipe and stdout /dev/null, and waits until it
// listens.
func (s *session) startBroker(t *tool, chat bool) (*proc, int, error) {
	port, err := freePort()
	if err != nil {
		return nil, 0, err
	}
	stdin, err := s.idleStdin()
	if err != nil {
		return nil, 0, err
	}
	stdout, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		stdin.Close()
		return nil, 0, err
	}
	p, err := s.start(t, brokerArgs(port, chat), stdin, stdout)
	if err != nil {
		return nil, 0, err
	}
	if err := waitListen(s.ctx, port); err != nil {
		return nil, 0, s.failed(err)
	}
	return p, port, nil
}

// fanoutCases are the fan-out rows: receivers, whether the sender is
// paced, and whether the room is a chat. Chat stops at 100 members: ncat
// sends the whole member list to every member at each join, so a room of
// 1,000 costs it gigabytes before the first line.
var fanoutCases = []struct {
	id    string // matched by -only
	n     int
	paced bool
	chat  bool
}{
	{"fanout-10", 10, false, false}, {"fanout-100", 100, false, false}, {"fanout-1000", 1000, false, false},
	{"paced-10", 10, true, false}, {"paced-100", 100, true, false}, {"paced-1000", 1000, true, false},
	{"chat-fanout-10", 10, false, true}, {"chat-fanout-100", 100, false, true},
	{"chat-paced-10", 10, true, true}, {"chat-paced-100", 100, true, true},
}

// pace is the paced sender's interval: 1,000 lines/s.
const pace = time.Millisecond

// fanoutResult is one fan-out run.
type fanoutResult struct {
	delivered float64 // lines/s, summed over the receivers
	mangled   int64   // chat lines with a "<userN> " prefix inside them
	p50, p99  time.Duration
}

// runFanout runs one sender and n receivers through t's broker for d.
func runFanout(ctx context.Context, t *tool, n int, paced, chat bool, d time.Duration) (fanoutResult, error) {
	s := newSession(ctx, d+60*time.Second)
	defer s.close()
	p, port, err := s.startBroker(t, chat)
	if err != nil {
		return fanoutResult{}, err
	}
	conns, err := dialRoom(s.ctx, port, n, 8, false)
	if err != nil {
		return fanoutResult{}, s.failed(fmt.Errorf("receivers: %w", err))
	}
	defer closeAll(conns)
	senders, err := dialRoom(s.ctx, port, 1, 1, false)
	if err != nil {
		return fanoutResult{}, s.failed(fmt.Errorf("sender: %w", err))
	}
	sender := senders[0]
	defer sender.Close()

	base := time.Now()
	every := int64(32) // about a million samples per second at most
	if paced {
		every = 1
	}
	rs := make([]*receiver, n)
	var synced, ended sync.WaitGroup
	synced.Add(n)
	ended.Add(n)
	for i, c := range conns {
		rs[i] = &receiver{c: c, base: base, every: every, chat: chat}
		s.goPart(func(ctx context.Context) error {
			defer ended.Done()
			return rs[i].run(ctx, synced.Done)
		})
	}
	var result fanoutResult
	s.goPart(func(ctx context.Context) error {
		if err := syncRoom(ctx, sender, &synced); err != nil {
			return err
		}
		start := time.Since(base)
		interval := time.Duration(0)
		if paced {
			interval = pace
		}
		if err := sendLines(ctx, sender, base, d, interval); err != nil {
			return err
		}
		ended.Wait()
		if ctx.Err() != nil {
			return nil
		}
		var lines, mangled int64
		var end time.Duration
		var lat []time.Duration
		for _, r := range rs {
			lines += r.lines.Load()
			mangled += r.mangled.Load()
			end = max(end, r.end)
			lat = append(lat, r.lat...)
		}
		slices.Sort(lat)
		result = fanoutResult{
			mangled:   mangled,
			delivered: float64(lines) / (end - start).Seconds(),
			p50:       percentile(lat, 0.50),
			p99:       percentile(lat, 0.99),
		}
		p.stop()
		return nil
	})
	if err := s.wait(); err != nil {
		return fanoutResult{}, err
	}
	return result, nil
}

// runStall has one sender send as fast as it can for d to ten fast
// receivers and, with stalled, one more member that never reads and has a
// 4 KiB receive buffer. It returns the lines the slowest fast receiver got
// within d.
func runStall(ctx context.Context, t *tool, stalled bool, d time.Duration) (int64, error) {
	s := newSession(ctx, d+60*time.Second)
	defer s.close()
	p, port, err := s.startBroker(t, false)
	if err != nil {
		return 0, err
	}
	if stalled {
		stall, err := dialRoom(s.ctx, port, 1, 1, true)
		if err != nil {
			return 0, s.failed(fmt.Errorf("stalled member: %w", err))
		}
		defer closeAll(stall)
	}
	const fast = 10
	conns, err := dialRoom(s.ctx, port, fast, 4, false)
	if err != nil {
		return 0, s.failed(fmt.Errorf("receivers: %w", err))
	}
	defer closeAll(conns)
	senders, err := dialRoom(s.ctx, port, 1, 1, false)
	if err != nil {
		return 0, s.failed(fmt.Errorf("sender: %w", err))
	}
	defer closeAll(senders)

	base := time.Now()
	rs := make([]*receiver, fast)
	var synced sync.WaitGroup
	synced.Add(fast)
	for i, c := range conns {
		rs[i] = &receiver{c: c, base: base}
		s.goPart(func(ctx context.Context) error { return rs[i].run(ctx, synced.Done) })
	}
	var least int64
	s.goPart(func(ctx context.Context) error {
		if err := syncRoom(ctx, senders[0], &synced); err != nil {
			return err
		}
		var before []int64
		for _, r := range rs {
			before = append(before, r.lines.Load())
		}
		sendCtx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Go(func() { sendLines(sendCtx, senders[0], base, d+time.Minute, 0) })
		timer := time.NewTimer(d)
		select {
		case <-timer.C:
		case <-ctx.Done():
		}
		least = -1
		for i, r := range rs {
			if got := r.lines.Load() - before[i]; least < 0 || got < least {
				least = got
			}
		}
		cancel()
		wg.Wait()
		for _, r := range rs {
			r.quit.Store(true)
		}
		closeAll(conns) // the receivers end
		p.stop()
		return nil
	})
	if err := s.wait(); err != nil {
		return 0, err
	}
	return least, nil
}

// brokerTables runs the fan-out and stall cases and returns their tables.
func (b *bench) brokerTables(ctx context.Context) []*table {
	ts := b.brokerTools()
	names := toolNamesOf(ts)
	d := b.cfg.brokerTime
	rate := &table{
		title:  fmt.Sprintf("Broker fan-out, one sender, 64-byte lines as fast as possible for %v (delivered lines/s, higher is better; × = gnc ÷ peer)", d),
		tools:  names,
		format: func(v float64) string { return fmt.Sprintf("%.3g M", v/1e6) },
	}
	lat := &table{
		title:  "Broker fan-out latency, send to receive, same runs (ms, lower is better; × = gnc ÷ peer)",
		tools:  names,
		format: msText,
	}
	paced := &table{
		title:  fmt.Sprintf("Broker fan-out latency, sender paced at 1,000 lines/s for %v (ms, lower is better; × = gnc ÷ peer)", d),
		tools:  names,
		format: msText,
	}
	chatRate := &table{
		title:  fmt.Sprintf("Chat fan-out (--chat), one sender, 64-byte lines as fast as possible for %v (delivered lines/s, higher is better; × = gnc ÷ peer)", d),
		tools:  names,
		format: func(v float64) string { return fmt.Sprintf("%.3g M", v/1e6) },
	}
	chatLat := &table{
		title:  "Chat fan-out latency, send to receive: as fast as possible, and paced at 1,000 lines/s (ms, lower is better; × = gnc ÷ peer)",
		tools:  names,
		format: msText,
	}
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	for _, c := range fanoutCases {
		label := fmt.Sprintf("N = %s", thousands(c.n))
		rr := row{name: label, cells: map[string]cell{}}
		r50 := row{name: label + ", p50", cells: map[string]cell{}}
		r99 := row{name: label + ", p99", cells: map[string]cell{}}
		if c.n == 1000 && !c.paced {
			rr.goals = []goal{{peer: "ncat", ratio: 1.5}}
			r99.goals = []goal{{peer: "ncat", ratio: 0.5, lower: true}}
		}
		for _, t := range ts {
			if !b.selected(c.id, t.name) || ctx.Err() != nil {
				continue
			}
			if t.path == "" {
				rr.cells[t.name], r50.cells[t.name], r99.cells[t.name] = absent(t), absent(t), absent(t)
				continue
			}
			var best fanoutResult
			var err error
			for range b.cfg.runs {
				var r fanoutResult
				if r, err = runFanout(ctx, t, c.n, c.paced, c.chat, d); err == nil && r.delivered > best.delivered {
					best = r
				}
			}
			if best.delivered == 0 {
				f := b.fail(c.id, t.name, err)
				rr.cells[t.name], r50.cells[t.name], r99.cells[t.name] = f, f, f
				continue
			}
			b.logf("%s/%s: %.0f lines/s delivered, p50 %v, p99 %v, %d lines with a prefix inside", c.id, t.name, best.delivered, best.p50, best.p99, best.mangled)
			rr.cells[t.name] = cell{value: best.delivered, ok: true}
			r50.cells[t.name] = cell{value: ms(best.p50), ok: true}
			r99.cells[t.name] = cell{value: ms(best.p99), ok: true}
		}
		if len(rr.cells) == 0 {
			continue
		}
		switch {
		case c.chat && c.paced:
			r50.name, r99.name = "paced, "+r50.name, "paced, "+r99.name
			chatLat.add(r50)
			chatLat.add(r99)
		case c.chat:
			chatRate.add(rr)
			chatLat.add(r50)
			chatLat.add(r99)
		case c.paced:
			paced.add(r50)
			paced.add(r99)
		default:
			rate.add(rr)
			lat.add(r50)
			lat.add(r99)
		}
	}

	stall := &table{
		title: fmt.Sprintf("Broker with one stalled member (never reads, 4 KiB receive buffer) among ten fast ones: "+
			"lines the slowest fast member receives in %v (higher is better)", b.cfg.stallTime),
		tools: names,
		format: func(v float64) string {
			if v < 1000 { // the percentage
				return fmt.Sprintf("%.1f", v)
			}
			return fmt.Sprintf("%.0f", v)
		},
	}
	without := row{name: "no stalled member", cells: map[string]cell{}}
	with := row{name: "one stalled member", cells: map[string]cell{}}
	share := row{name: "with ÷ without (%)", cells: map[string]cell{}, goals: []goal{{ratio: 95, abs: true}}}
	for _, t := range ts {
		if !b.selected("stall", t.name) || ctx.Err() != nil {
			continue
		}
		if t.path == "" {
			without.cells[t.name], with.cells[t.name], share.cells[t.name] = absent(t), absent(t), absent(t)
			continue
		}
		// -runs alternates the two, keeping the best of each, as the
		// other rows keep their fastest run: the ratio compares two runs,
		// and one run of each swings by ±10 % on a shared machine.
		var got [2]int64
		var err error
	runs:
		for range b.cfg.runs {
			for i, stalled := range []bool{false, true} {
				var n int64
				if n, err = runStall(ctx, t, stalled, b.cfg.stallTime); err != nil {
					break runs
				}
				got[i] = max(got[i], n)
			}
		}
		if err != nil {
			f := b.fail("stall", t.name, err)
			without.cells[t.name], with.cells[t.name], share.cells[t.name] = f, f, f
			continue
		}
		b.logf("stall/%s: %d lines per fast member without, %d with a stalled member", t.name, got[0], got[1])
		without.cells[t.name] = cell{value: float64(got[0]), ok: true}
		with.cells[t.name] = cell{value: float64(got[1]), ok: true}
		if got[0] > 0 {
			share.cells[t.name] = cell{value: 100 * float64(got[1]) / float64(got[0]), ok: true}
		}
	}
	if len(without.cells) > 0 {
		stall.add(without)
		stall.add(with)
		stall.add(share)
	}
	return []*table{rate, lat, paced, chatRate, chatLat, stall, b.brokerScale(ctx)}
}

// msText shows milliseconds with three significant digits, whole ones
// from 100 up.
func msText(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

// thousands writes n with a comma every three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// dialFrom dials 127.0.0.1:port from the loopback address src.
func dialFrom(ctx context.Context, src string, port int) (net.Conn, error) {
	d := net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	return d.DialContext(ctx, "tcp", net.JoinHostPort(loopback, strconv.Itoa(port)))
}
