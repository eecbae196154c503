// Package relay copies bytes between gnc's standard input and output and its
// connections, with ncat's end-of-file and half-close rules, and applies the
// options that see the bytes (-C, -d, -i, -t, -o, -x). With none of those
// options it copies between the bare *net.TCPConn or *net.UnixConn and
// *os.File with io.Copy, so Linux moves the data with splice or sendfile.
// It does not dial or listen; package transport does.
package relay
