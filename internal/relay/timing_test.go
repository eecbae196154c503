package relay

import (
	"errors"
	"io"
	"net"
	"testing"
	"testing/synctest"
	"time"
)

// Timing tests run in a synctest bubble over net.Pipe: the clock is fake,
// so the times below are exact and nothing sleeps for real.

// pipeSession starts Run over net.Pipe connections in the bubble: conn's
// other end is peer, stdin's other end is stdinW. Everything is closed when
// the bubble's test ends.
type pipeSession struct {
	peer, stdinW net.Conn
	stdout       *syncBuffer
	start        time.Time
	done         chan runResult
}

func startPipeSession(t *testing.T, o Options) *pipeSession {
	conn, peer := net.Pipe()
	stdin, stdinW := net.Pipe()
	t.Cleanup(func() {
		peer.Close()
		stdinW.Close()
		conn.Close()
		stdin.Close()
	})
	s := &pipeSession{peer: peer, stdinW: stdinW, stdout: newSyncBuffer(), start: time.Now(), done: make(chan runResult, 1)}
	go func() {
		st, err := Run(t.Context(), conn, stdin, s.stdout, o)
		s.done <- runResult{st, err}
	}()
	return s
}

// result waits for Run and returns its result and how long after the start
// it returned.
func (s *pipeSession) result() (runResult, time.Duration) {
	r := <-s.done
	return r, time.Since(s.start)
}

// peerReader drains the peer's end into a channel of chunks with the time
// each arrived.
type arrival struct {
	data string
	at   time.Duration
}

func (s *pipeSession) drainPeer() <-chan arrival {
	ch := make(chan arrival, 64)
	go func() {
		defer close(ch)
		buf := make([]byte, 1024)
		for {
			n, err := s.peer.Read(buf)
			if n > 0 {
				ch <- arrival{string(buf[:n]), time.Since(s.start)}
			}
			if err != nil {
				return
			}
		}
	}()
	return ch
}

func TestRunIdleTimeout(t *testing.T) {
	const idle = 2 * time.Second
	tests := []struct {
		name     string
		activity func(s *pipeSession) // run at 1.5 s
		want     time.Duration
	}{
		{"no activity", nil, idle},
		{"peer data resets the timer", func(s *pipeSession) { s.peer.Write([]byte("x")) }, 1500*time.Millisecond + idle},
		{"stdin data resets the timer", func(s *pipeSession) { s.stdinW.Write([]byte("y")) }, 1500*time.Millisecond + idle},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := startPipeSession(t, Options{IdleTimeout: idle, QuitAfterEOF: -1})
				go io.Copy(io.Discard, s.peer)
				if tt.activity != nil {
					time.Sleep(1500 * time.Millisecond)
					tt.activity(s)
				}
				r, took := s.result()
				var ie *IdleError
				if !errors.As(r.err, &ie) || ie.Timeout != idle {
					t.Fatalf("Run error = %v (%T), want *IdleError{%v}", r.err, r.err, idle)
				}
				if took != tt.want {
					t.Errorf("idle timeout after %v, want %v", took, tt.want)
				}
			})
		})
	}
}

// -i keeps a session alive while data flows, in either direction.
func TestRunIdleTimeoutSteadyTraffic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := startPipeSession(t, Options{IdleTimeout: time.Second, QuitAfterEOF: -1})
		for range 10 {
			time.Sleep(900 * time.Millisecond)
			s.peer.Write([]byte("tick"))
		}
		r, took := s.result()
		var ie *IdleError
		if !errors.As(r.err, &ie) {
			t.Fatalf("Run error = %v, want *IdleError", r.err)
		}
		if want := 10*900*time.Millisecond + time.Second; took != want {
			t.Errorf("idle timeout after %v, want %v", took, want)
		}
		if got := s.stdout.String(); len(got) != 40 {
			t.Errorf("stdout = %q", got)
		}
	})
}

// -q: the session ends that long after stdin EOF, whatever the peer does,
// and what the peer sends meanwhile reaches stdout; an earlier peer EOF
// still ends it at once.
func TestRunQuitAfterEOF(t *testing.T) {
	tests := []struct {
		name       string
		o          Options
		peerAt1s   string // sent by the peer 1 s after stdin EOF ("" = nothing)
		peerEOFAt  time.Duration
		wantEnd    time.Duration
		wantStdout string
	}{
		{"-q 0", Options{QuitAfterEOF: 0}, "", 0, 0, ""},
		{"-q 3s", Options{QuitAfterEOF: 3 * time.Second}, "late", 0, 3 * time.Second, "late"},
		{"-q 3s, peer EOF first", Options{QuitAfterEOF: 3 * time.Second}, "late", 2 * time.Second, 2 * time.Second, "late"},
		{"-q negative, peer EOF ends", Options{QuitAfterEOF: -1}, "late", 5 * time.Second, 5 * time.Second, "late"},
		{"UDP connect: stdin EOF ends", Options{StdinEOFEnds: true, QuitAfterEOF: -1, Datagram: true}, "", 0, 0, ""},
		{"UDP connect with -q 2s", Options{StdinEOFEnds: true, QuitAfterEOF: 2 * time.Second, Datagram: true}, "late", 0, 2 * time.Second, "late"},
		{"-q with -k: still ends", Options{QuitAfterEOF: 2 * time.Second, HoldAfterPeerEOF: true}, "late", 0, 2 * time.Second, "late"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := startPipeSession(t, tt.o)
				s.stdinW.Close() // stdin EOF at time 0
				if tt.peerAt1s != "" {
					go func() {
						time.Sleep(time.Second)
						s.peer.Write([]byte(tt.peerAt1s))
					}()
				}
				if tt.peerEOFAt > 0 {
					go func() {
						time.Sleep(tt.peerEOFAt)
						s.peer.Close()
					}()
				}
				r, took := s.result()
				if r.err != nil {
					t.Fatalf("Run: %v", r.err)
				}
				if took != tt.wantEnd {
					t.Errorf("session ended after %v, want %v", took, tt.wantEnd)
				}
				if got := s.stdout.String(); got != tt.wantStdout {
					t.Errorf("stdout = %q, want %q", got, tt.wantStdout)
				}
			})
		})
	}
}

// -d sleeps after each chunk, in each direction.
func TestRunDelay(t *testing.T) {
	const delay = 500 * time.Millisecond
	t.Run("stdin to peer", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			s := startPipeSession(t, Options{Delay: delay, QuitAfterEOF: -1})
			arrivals := s.drainPeer()
			for _, c := range []string{"a", "b", "c"} {
				s.stdinW.Write([]byte(c)) // returns once Run has read it
			}
			want := []arrival{{"a", 0}, {"b", delay}, {"c", 2 * delay}}
			for _, w := range want {
				if got := <-arrivals; got != w {
					t.Errorf("peer got %+v, want %+v", got, w)
				}
			}
			s.peer.Close()
			if r, _ := s.result(); r.err != nil {
				t.Fatalf("Run: %v", r.err)
			}
		})
	})
	t.Run("peer to stdout", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			s := startPipeSession(t, Options{Delay: delay, QuitAfterEOF: -1})
			var at []time.Duration
			for _, c := range []string{"x", "y", "z"} {
				s.peer.Write([]byte(c))
				at = append(at, time.Since(s.start))
			}
			// Each Write returns when Run reads it: after the delay that
			// followed the previous chunk.
			want := []time.Duration{0, delay, 2 * delay}
			for i := range want {
				if at[i] != want[i] {
					t.Errorf("peer write %d taken at %v, want %v", i, at[i], want[i])
				}
			}
			s.peer.Close()
			r, took := s.result()
			if r.err != nil {
				t.Fatalf("Run: %v", r.err)
			}
			if got := s.stdout.String(); got != "xyz" {
				t.Errorf("stdout = %q", got)
			}
			// The peer's EOF is read after the last chunk's delay.
			if took != 3*delay {
				t.Errorf("session ended after %v, want %v", took, 3*delay)
			}
		})
	})
	t.Run("session end cuts a delay short", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			s := startPipeSession(t, Options{Delay: time.Hour, QuitAfterEOF: -1})
			go io.Copy(io.Discard, s.peer)
			s.stdinW.Write([]byte("a"))
			synctest.Wait() // "a" is sent and upstream sleeps an hour
			s.peer.Close()
			if r, took := s.result(); r.err != nil || took != 0 {
				t.Errorf("Run = %v after %v, want nil at once", r.err, took)
			}
		})
	})
}
