package relay

import (
	"io"

	"gnc/internal/telnet"
)

// telnetTransform strips Telnet negotiation from received chunks and sends
// the answers to w (the connection).
func telnetTransform(w io.Writer) func([]byte) []byte {
	var f telnet.Filter
	var data, replies []byte
	return func(chunk []byte) []byte {
		data, replies = f.Process(data[:0], replies[:0], chunk)
		if len(replies) > 0 {
			w.Write(replies)
		}
		return data
	}
}
