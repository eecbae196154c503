package cli

import (
	"os"
	"os/signal"
	"slices"
	"sync"
)

// Signals shares the process's signals between main and the modes. main
// creates it over the channel its signal.Notify calls feed, and passes
// every signal it receives to Deliver first: a signal a mode has claimed
// with Handle runs that mode's handler, and only an unclaimed one is
// main's to act on (SIGINT, SIGTERM and SIGHUP stop gnc).
//
// A mode claims a signal before it starts serving; a signal that arrives
// earlier is still main's. Claims last until the process ends. A nil
// *Signals claims nothing (Run without main, as in tests).
type Signals struct {
	ch       chan<- os.Signal
	mu       sync.Mutex
	handlers map[os.Signal]func()
}

// NewSignals returns a Signals whose Handle subscribes ch, main's signal
// channel, to the signals it claims. It subscribes ch to the connection
// table's signals (SIGUSR1, SIGINFO) at once: their default action would
// end gnc, and one that comes before the mode is ready for it (or in a
// run that prints no table, such as --help) is dropped.
func NewSignals(ch chan<- os.Signal) *Signals {
	if sigs := tableSignals(); len(sigs) > 0 {
		signal.Notify(ch, sigs...)
	}
	return &Signals{ch: ch, handlers: map[os.Signal]func(){}}
}

// Handle claims sig: from now on Deliver runs h for it. It subscribes the
// channel to sig, also when the parent process ignored it (nohup): the
// option that asked for the handler wants the signal. h runs on main's
// signal goroutine and must not block.
func (s *Signals) Handle(sig os.Signal, h func()) {
	if s == nil || sig == nil {
		return
	}
	s.mu.Lock()
	s.handlers[sig] = h
	s.mu.Unlock()
	signal.Notify(s.ch, sig)
}

// Deliver runs the handler claimed for sig and reports whether there was
// one; false leaves sig to main.
func (s *Signals) Deliver(sig os.Signal) bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	h := s.handlers[sig]
	s.mu.Unlock()
	if h == nil {
		return slices.Contains(tableSignals(), sig) // a table nobody prints yet
	}
	h()
	return true
}
