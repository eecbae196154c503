package relay

import (
	"fmt"
	"sync/atomic"
	"time"
)

// IdleError is an expired -i timeout.
type IdleError struct{ Timeout time.Duration }

func (e *IdleError) Error() string {
	return fmt.Sprintf("Idle timeout expired (%d ms).", e.Timeout.Milliseconds())
}

// idleWatch records the time of the last activity; the owner of its timer
// re-arms it until a whole timeout passes with no activity.
type idleWatch struct {
	timeout time.Duration
	last    atomic.Int64 // unix nanoseconds of the last activity
}

func newIdleWatch(d time.Duration) *idleWatch {
	w := &idleWatch{timeout: d}
	w.touch()
	return w
}

func (w *idleWatch) touch() {
	if w != nil {
		w.last.Store(time.Now().UnixNano())
	}
}

// remaining is how long until the timeout expires; <= 0 means it has.
func (w *idleWatch) remaining() time.Duration {
	return w.timeout - time.Since(time.Unix(0, w.last.Load()))
}
