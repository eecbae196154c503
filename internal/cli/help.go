package cli

// helpText is gnc -h: ncat's options in ncat's order, then gnc's own.
const helpText = `gnc: a netcat for the Go era, a drop-in for Nmap's ncat
Usage: gnc [options] [hostname] [port]

Options taking a time assume seconds. Append 'ms' for milliseconds,
's' for seconds, 'm' for minutes, or 'h' for hours (e.g. 500ms).
  -4                         Use IPv4 only
  -6                         Use IPv6 only
  -U, --unixsock             Use Unix domain sockets only
      --vsock                Use vsock sockets only (not yet supported)
  -C, --crlf                 Use CRLF for EOL sequence
  -c, --sh-exec <command>    Executes the given command via /bin/sh
  -e, --exec <command>       Executes the given command (full path, no shell)
      --lua-exec <filename>  Executes the given Lua script
  -g hop1[,hop2,...]         Loose source routing hop points (not supported)
  -G <n>                     Loose source routing hop pointer (not supported)
  -m, --max-conns <n>        Maximum <n> simultaneous connections (default 100)
  -h, --help                 Display this help screen
  -d, --delay <time>         Wait between read/writes
  -o, --output <filename>    Dump session data to a file
  -x, --hex-dump <filename>  Dump session data as hex to a file
  -i, --idle-timeout <time>  Idle read/write timeout
  -p, --source-port port     Specify source port to use
  -s, --source addr          Specify source address to use (not with -l)
  -l, --listen               Bind and listen for incoming connections
  -k, --keep-open            Accept multiple connections in listen mode;
                             in connect mode, stay after the peer's EOF
  -n, --nodns                Do not resolve hostnames via DNS
  -t, --telnet               Answer Telnet negotiations
  -u, --udp                  Use UDP instead of default TCP
      --sctp                 Use SCTP instead of default TCP (not supported)
  -v, --verbose              Set verbosity level (can be used several times)
  -w, --wait <time>          Connect timeout (default 10s)
  -q <time>                  Quit <time> after EOF on stdin (0: at once;
                             negative: never, the default)
  -z                         Zero-I/O mode, report connection status only;
                             with port lists (-z host 20-30,80 443) a port
                             scan: open ports on stdout, exit 0 if any
      --append-output        Append rather than clobber specified output files
      --send-only            Only send data, ignoring received; quit on EOF
      --recv-only            Only receive data, never send anything
      --no-shutdown          Continue half-duplex when receiving EOF on stdin
      --allow                Allow only given hosts to connect to gnc
      --allowfile            A file of hosts allowed to connect to gnc
      --deny                 Deny given hosts from connecting to gnc
      --denyfile             A file of hosts denied from connecting to gnc
                             (files: "#" comments; SIGHUP reloads them)
      --broker               Enable connection brokering mode (implies -l)
      --chat                 Start a simple chat server (implies --broker)
      --proxy <addr[:port]>  Specify address of host to proxy through
      --proxy-type <type>    Specify proxy type ("http", "socks4", "socks5");
                             with -l, run an "http" or "socks5" proxy server
      --proxy-auth <auth>    Authenticate with HTTP or SOCKS proxy server;
                             with -l, require user:pass of clients
      --proxy-dns <type>     Specify where to resolve proxy destination
      --ssl                  Connect or listen with SSL
      --ssl-cert             Specify SSL certificate file (PEM) for listening,
                             or a client certificate when connecting
      --ssl-key              Specify SSL private key (PEM) for listening
      --ssl-verify           Verify trust and domain name of certificates;
                             with -l, require a verified client certificate
      --ssl-trustfile        PEM file containing trusted SSL certificates
      --ssl-ciphers          Cipherlist containing SSL ciphers to use
                             (OpenSSL names; TLS 1.2 and older suites)
      --ssl-servername       Request distinct server name (SNI)
      --ssl-alpn             ALPN protocol list to use (client and listener)
      --version              Display gnc's version information and exit

gnc's own options:
      --broker-buffer <size> Per-member queue bound of --broker/--chat
                             (default 1MiB; e.g. 65536, 64KiB, 1MiB)
      --ssl-min-version <v>  Lowest TLS version to accept (1.0-1.3)
      --ssl-max-version <v>  Highest TLS version to offer (1.0-1.3)
      --status <addr>        Serve the connection table over HTTP: JSON at
                             /connections, Prometheus text at /metrics
                             (a bare port binds 127.0.0.1)
      --progress[=always]    Show a live progress line on stderr when it is
                             a terminal (always: whatever stderr is)
  SIGUSR1 (SIGINFO on BSD/macOS) prints the connection table to stderr.

See the gnc(1) manual page (docs/gnc.1.md) for full options and examples.
`
