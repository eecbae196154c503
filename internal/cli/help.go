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
  -c, --sh-exec <command>    Executes the given command via /bin/sh (not yet supported)
  -e, --exec <command>       Executes the given command (not yet supported)
      --lua-exec <filename>  Executes the given Lua script (not yet supported)
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
  -z                         Zero-I/O mode, report connection status only
      --append-output        Append rather than clobber specified output files
      --send-only            Only send data, ignoring received; quit on EOF
      --recv-only            Only receive data, never send anything
      --no-shutdown          Continue half-duplex when receiving EOF on stdin
      --allow                Allow only given hosts to connect (not yet supported)
      --allowfile            A file of hosts allowed to connect (not yet supported)
      --deny                 Deny given hosts from connecting (not yet supported)
      --denyfile             A file of hosts denied from connecting (not yet supported)
      --broker               Enable connection brokering mode (implies -l)
      --chat                 Start a simple chat server (implies --broker)
      --proxy <addr[:port]>  Specify address of host to proxy through (not yet supported)
      --proxy-type <type>    Specify proxy type ("http", "socks4", "socks5"); with -l, serve "http" or "socks5"
      --proxy-auth <auth>    Authenticate with HTTP or SOCKS proxy server; with -l, require user:pass
      --proxy-dns <type>     Specify where to resolve proxy destination (not yet supported)
      --ssl                  Connect or listen with SSL (not yet supported)
      --ssl-cert             Specify SSL certificate file (PEM) for listening (not yet supported)
      --ssl-key              Specify SSL private key (PEM) for listening (not yet supported)
      --ssl-verify           Verify trust and domain name of certificates (not yet supported)
      --ssl-trustfile        PEM file containing trusted SSL certificates (not yet supported)
      --ssl-ciphers          Cipherlist containing SSL ciphers to use (not yet supported)
      --ssl-servername       Request distinct server name (SNI) (not yet supported)
      --ssl-alpn             ALPN protocol list to use (not yet supported)
      --version              Display gnc's version information and exit

gnc's own options:
      --broker-buffer <size> Per-member queue bound of --broker/--chat
                             (default 1MiB; e.g. 65536, 64KiB, 1MiB)
      --ssl-min-version <v>  Lowest TLS version to accept (1.0-1.3) (not yet supported)
      --ssl-max-version <v>  Highest TLS version to offer (1.0-1.3) (not yet supported)
      --status <addr>        Serve the connection table over HTTP (not yet supported)
      --progress             Show a live progress line on stderr (not yet supported)

See the gnc(1) manual page (docs/gnc.1.md) for full options and examples.
`
