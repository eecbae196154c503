// Command bench measures gnc against ncat, socat and nc.openbsd on the
// loopback interface (127.0.0.1, and 127.0.0.x as source addresses of the
// broker scale run) and prints markdown tables for docs/benchmarks.md: bulk
// throughput and CPU per GiB of one TCP connection, the connection rate of a
// keep-open listener, and --broker fan-out, stalled-member and scale runs
// against ncat. Go programs in this process, and for the scale run in
// copies of it started with a hidden subcommand, generate and sink the load.
// Two "floors", copies of this program started with other hidden
// subcommands, measure the least any server or scanner can do for the
// connection-rate and port-scan rows.
//
// Typical usage, from the module root:
//
//	go run ./bench                  # builds ./cmd/gnc; 4 GiB per transfer
//	go run ./bench -quick           # smoke run
//	go run ./bench -gnc /tmp/gnc -only 'both|conn'
//
// Peers missing from PATH are skipped. Progress and errors go to stderr.
package main
