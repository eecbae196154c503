package cli

import (
	"context"
	"errors"
	"net"
	"sync"

	"gnc/internal/acl"
)

// accessConfig is the access-control part of the Config.
func (c *Config) accessConfig() acl.Config {
	return acl.Config{
		Allow: c.Allow, Deny: c.Deny,
		AllowFiles: c.AllowFiles, DenyFiles: c.DenyFiles,
		Resolution: acl.Resolution{Family: c.Family, NoDNS: c.NoDNS},
	}
}

// checkAccess checks --allow/--deny/--allowfile/--denyfile against the
// mode and the syntax of their specs, with ncat's messages. Host names are
// resolved later, when the listener starts.
func checkAccess(c *Config) error {
	ac := c.accessConfig()
	if !ac.Enabled() {
		return nil
	}
	switch {
	case !c.Listen:
		return usageErrorf("Invalid option combination: allow/deny with connect. QUITTING.")
	case c.Unix:
		return usageErrorf("--allow, --deny, --allowfile and --denyfile cannot be used with Unix domain sockets (-U): their clients have no IP address. QUITTING.")
	}
	for _, list := range [][]string{c.Allow, c.Deny} {
		for _, text := range list {
			s, err := acl.ParseSpec(text)
			if err == nil && c.NoDNS {
				err = s.CheckNoDNS()
			}
			if err != nil {
				return usageErrorf("%v QUITTING.", err)
			}
		}
	}
	return nil
}

// setupAccess builds the access checker of a listener (nil without
// --allow/--deny options): it resolves host names once and reads the
// files. A failure is fatal (exit 2), as with ncat.
func (e *env) setupAccess(ctx context.Context) error {
	ac := e.cfg.accessConfig()
	if !ac.Enabled() {
		return nil
	}
	k, err := acl.New(ctx, ac)
	if err != nil {
		return &FatalError{Err: err}
	}
	e.access = k
	return nil
}

// startAccess builds the access checker and, when there are files to
// reload and main shares its signals, claims SIGHUP to reload them. The
// returned stop ends the reloader and waits for it.
func (e *env) startAccess(ctx context.Context) (stop func(), err error) {
	if err := e.setupAccess(ctx); err != nil {
		return nil, err
	}
	sig := reloadSignal()
	if !e.access.HasFiles() || e.signals == nil || sig == nil {
		return func() {}, nil
	}
	reload := make(chan struct{}, 1)
	e.signals.Handle(sig, func() {
		select {
		case reload <- struct{}{}: // a reload is due
		default: // one is pending already and will read the latest files
		}
	})
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { e.reloadAccess(ctx, reload) })
	return func() { cancel(); wg.Wait() }, nil
}

// allowFunc is admit as a lower package's hook, nil without --allow/--deny
// so the hook costs nothing.
func (e *env) allowFunc() func(net.Addr) bool {
	if e.access == nil {
		return nil
	}
	return e.admit
}

// admit says whether a new client (a TCP connection, or the first datagram
// of a UDP peer) passes --allow/--deny, logging a refusal under -v as ncat
// does.
func (e *env) admit(a net.Addr) bool {
	if e.access.AllowedAddr(a) {
		return true
	}
	e.conns.CountDenied()
	e.verbosef("New connection denied: not allowed")
	return false
}

// admitConn is admit for an accepted connection: a refused one is logged
// as ncat does (its "Connection from" lines, then the refusal) and closed
// before a byte is read.
func (e *env) admitConn(c net.Conn) bool {
	if e.access.AllowedAddr(c.RemoteAddr()) {
		return true
	}
	e.conns.CountDenied()
	e.announceClient(c.RemoteAddr())
	e.verbosef("New connection denied: not allowed")
	c.Close()
	return false
}

// reloadAccess re-reads --allowfile/--denyfile each time reload delivers,
// until ctx ends. A file that fails to load keeps the old lists, and the
// reason is printed.
func (e *env) reloadAccess(ctx context.Context, reload <-chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-reload:
		}
		n, err := e.access.Reload(ctx)
		switch {
		case errors.Is(err, context.Canceled):
			return
		case err != nil:
			e.printf("Reloading --allowfile/--denyfile failed; the old lists stay in force: %v", err)
		default:
			e.verbosef("Reloaded --allowfile/--denyfile: %d allowed and %d denied address specs.", n.Allow, n.Deny)
		}
	}
}
