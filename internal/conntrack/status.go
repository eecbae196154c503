package conntrack

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"time"
)

// Handler serves the registry over HTTP: GET /connections is the table as
// JSON (WriteJSON), GET /metrics the totals as Prometheus text
// (WriteMetrics).
func (r *Registry) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /connections", func(w http.ResponseWriter, _ *http.Request) {
		rows, t := r.Snapshot()
		w.Header().Set("Content-Type", "application/json")
		WriteJSON(w, rows, t)
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		_, t := r.Snapshot()
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		WriteMetrics(w, t)
	})
	return mux
}

// Serve runs the status endpoint on ln until ctx ends, then closes it and
// the connections it serves. ln is not in the table: it is gnc's, not the
// user's. Serve returns nil after ctx ends, or what stopped it otherwise.
func (r *Registry) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           r.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ErrorLog:          log.New(io.Discard, "", 0), // gnc's stderr is its interface
	}
	stop := context.AfterFunc(ctx, func() { srv.Close() })
	defer stop()
	err := srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
