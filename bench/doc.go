// Command bench measures gnc against ncat, socat and nc.openbsd on the
// loopback interface (127.0.0.1 only) and prints markdown tables for
// docs/benchmarks.md: bulk throughput and CPU per GiB of one TCP connection,
// and the connection rate of a keep-open listener. Go programs in this
// process generate and sink the load.
//
// Typical usage, from the module root:
//
//	go run ./bench                  # builds ./cmd/gnc; 4 GiB per transfer
//	go run ./bench -quick           # smoke run
//	go run ./bench -gnc /tmp/gnc -only 'both|conn'
//
// Peers missing from PATH are skipped. Progress and errors go to stderr.
package main
