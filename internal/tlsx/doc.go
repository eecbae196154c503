// Package tlsx builds gnc's TLS configurations from the --ssl* options: the
// client and server *tls.Config, the throwaway certificate of a listener
// that has none, OpenSSL cipher strings mapped onto Go's suites, version
// names, and ncat's -v descriptions of a peer certificate and of why it
// would not verify. It does not dial, listen or copy data.
package tlsx
