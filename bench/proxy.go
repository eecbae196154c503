//go:build linux

package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
)

// proxyConnect returns the connect-mode arguments that reach 127.0.0.1:port
// through the HTTP CONNECT proxy on 127.0.0.1:proxyPort, for each tool.
func proxyConnect(name string, proxyPort, port int) []string {
	proxy := loopback + ":" + strconv.Itoa(proxyPort)
	switch name {
	case "socat":
		return []string{"-b1048576", "-u", "STDIN", fmt.Sprintf("PROXY:%s:%s:%d,proxyport=%d", loopback, loopback, port, proxyPort)}
	case "nc.openbsd":
		return []string{"-N", "-X", "connect", "-x", proxy, loopback, strconv.Itoa(port)}
	}
	return []string{"--proxy", proxy, loopback, strconv.Itoa(port)} // gnc, ncat
}

// serveConnectProxy is a minimal HTTP CONNECT proxy for one client: it
// answers 200 and then copies both ways with io.Copy between the two
// *net.TCPConn, which the kernel splices, so the tool is the bottleneck.
func serveConnectProxy(ctx context.Context, ln net.Listener) error {
	defer context.AfterFunc(ctx, func() { ln.Close() })()
	c, err := ln.Accept()
	if err != nil {
		return fmt.Errorf("proxy: %w", err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	f := strings.Fields(line)
	if err != nil || len(f) != 3 || f[0] != "CONNECT" {
		return fmt.Errorf("proxy: bad request %q: %v", line, err)
	}
	for {
		h, err := br.ReadString('\n')
		if err != nil {
			return fmt.Errorf("proxy: reading headers: %w", err)
		}
		if strings.TrimSpace(h) == "" {
			break
		}
	}
	if br.Buffered() > 0 {
		return fmt.Errorf("proxy: client sent data before the reply")
	}
	var d net.Dialer
	up, err := d.DialContext(ctx, "tcp", f[1])
	if err != nil {
		return fmt.Errorf("proxy: %w", err)
	}
	defer up.Close()
	defer context.AfterFunc(ctx, func() { c.Close(); up.Close() })()
	if _, err := io.WriteString(c, "HTTP/1.0 200 OK\r\n\r\n"); err != nil {
		return fmt.Errorf("proxy: %w", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		io.Copy(c, up)
		c.(*net.TCPConn).CloseWrite()
	}()
	io.Copy(up, c)
	up.(*net.TCPConn).CloseWrite()
	<-done
	return nil
}
