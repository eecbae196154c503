package acl

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
)

// Config is what the command line says about access control.
type Config struct {
	// Allow and Deny are host specs (--allow, --deny), one per element.
	Allow, Deny []string
	// AllowFiles and DenyFiles are spec files (--allowfile, --denyfile),
	// read by New and again by each Reload.
	AllowFiles, DenyFiles []string
	Resolution
}

// Enabled says the Config restricts anything.
func (c Config) Enabled() bool {
	return len(c.Allow)+len(c.Deny)+len(c.AllowFiles)+len(c.DenyFiles) > 0
}

// HasFiles says Reload has something to read again.
func (c Config) HasFiles() bool { return len(c.AllowFiles)+len(c.DenyFiles) > 0 }

// Checker decides whether a client address may connect: denied if any deny
// spec matches it (deny wins), else allowed unless allow specs or files
// were given and none matches. It is safe for concurrent use, also while
// Reload swaps the lists; a nil *Checker allows everyone.
type Checker struct {
	cfg               Config
	restrict          bool // --allow or --allowfile was given
	cmdAllow, cmdDeny []rule
	lists             atomic.Pointer[lists]
	reload            sync.Mutex // one Reload at a time
}

type lists struct{ allow, deny List }

// Counts are the sizes of a Checker's lists, in rules (a host name adds
// one rule per address).
type Counts struct{ Allow, Deny int }

// New parses the specs of c, resolves host names (once), reads the files
// and returns a Checker for them. Errors are *SpecError for a bad
// command-line spec and *FileError for a file.
func New(ctx context.Context, c Config) (*Checker, error) {
	k := &Checker{cfg: c, restrict: len(c.Allow)+len(c.AllowFiles) > 0}
	var err error
	if k.cmdAllow, err = c.rulesOfAll(ctx, c.Allow); err != nil {
		return nil, err
	}
	if k.cmdDeny, err = c.rulesOfAll(ctx, c.Deny); err != nil {
		return nil, err
	}
	if _, err := k.Reload(ctx); err != nil {
		return nil, err
	}
	return k, nil
}

func (r Resolution) rulesOfAll(ctx context.Context, specs []string) ([]rule, error) {
	var rules []rule
	for _, text := range specs {
		s, err := ParseSpec(text)
		if err != nil {
			return nil, err
		}
		more, err := r.rulesOf(ctx, s)
		if err != nil {
			return nil, err
		}
		rules = append(rules, more...)
	}
	return rules, nil
}

// Reload reads the files again (resolving the names in them) and swaps the
// lists in one step. If any file fails, the lists stay as they were and
// the error says why. The command-line specs are kept as resolved by New.
func (k *Checker) Reload(ctx context.Context) (Counts, error) {
	k.reload.Lock()
	defer k.reload.Unlock()
	next := new(lists)
	for _, r := range k.cmdAllow {
		next.allow.add(r)
	}
	for _, r := range k.cmdDeny {
		next.deny.add(r)
	}
	for _, f := range k.cfg.AllowFiles {
		rules, err := k.cfg.loadFile(ctx, f)
		if err != nil {
			return Counts{}, err
		}
		for _, r := range rules {
			next.allow.add(r)
		}
	}
	for _, f := range k.cfg.DenyFiles {
		rules, err := k.cfg.loadFile(ctx, f)
		if err != nil {
			return Counts{}, err
		}
		for _, r := range rules {
			next.deny.add(r)
		}
	}
	k.lists.Store(next)
	return Counts{next.allow.Len(), next.deny.Len()}, nil
}

// HasFiles says whether Reload has files to read.
func (k *Checker) HasFiles() bool { return k != nil && k.cfg.HasFiles() }

// Allowed says whether a client at a may connect.
func (k *Checker) Allowed(a netip.Addr) bool {
	if k == nil {
		return true
	}
	l := k.lists.Load()
	if l.deny.Contains(a) {
		return false
	}
	return !k.restrict || l.allow.Contains(a)
}

// AllowedAddr is Allowed for a TCP or UDP address. Addresses without an IP
// (Unix sockets) are not judged: they are allowed.
func (k *Checker) AllowedAddr(a net.Addr) bool {
	if k == nil {
		return true
	}
	switch a := a.(type) {
	case *net.TCPAddr:
		return k.Allowed(a.AddrPort().Addr())
	case *net.UDPAddr:
		return k.Allowed(a.AddrPort().Addr())
	}
	return true
}
