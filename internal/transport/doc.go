// Package transport opens gnc's sockets: it resolves and dials TCP, UDP and
// Unix targets (source address and port, address family, timeouts, trying
// every resolved address in order), binds listeners (dual-stack when no
// address is given) and runs accept loops that back off on errors. It does
// not move data; package relay does.
package transport
