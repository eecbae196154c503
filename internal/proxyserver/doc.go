// Package proxyserver runs gnc's proxy servers, the HTTP proxy of
// "-l --proxy-type http" (CONNECT, and GET/HEAD/POST forwarded as HTTP/1.0)
// and the SOCKS5 server of "-l --proxy-type socks5" (RFC 1928 CONNECT, with
// RFC 1929 username/password when credentials are set). It owns the accept
// loop, the per-client goroutines, authentication (Basic and Digest with
// replay protection) and the tunnels, which copy between bare connections so
// the kernel splices. It does not bind listeners (package transport does)
// nor match access lists or speak TLS: those come in as hooks in Options.
// Given gnc's connection table (package conntrack), it counts and lists its
// clients there, counting bytes from the tunnels' copies.
package proxyserver
