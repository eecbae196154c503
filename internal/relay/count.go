package relay

import "io"

// countChunk is how much one counted copy moves before it reports.
const countChunk = 1 << 20

// countedCopy is io.Copy that adds each piece it moves to count as it goes
// (nil count: plain io.Copy).
//
// The live count comes from the copy's own results, in chunks: io.Copy's
// sendfile and splice fast paths move a whole transfer in one call and
// would report nothing until its end, so the copy goes in io.CopyN pieces
// of countChunk. io.CopyN hands the fast paths an *io.LimitedReader, which
// they unwrap, so each piece is still one zero-copy transfer and the count
// lags by at most 1 MiB. The alternatives lose: a counting wrapper hides
// the fast paths, and the kernel's TCP_INFO counts only TCP, and bytes
// acknowledged rather than written.
func countedCopy(dst io.Writer, src io.Reader, count func(int64)) (int64, error) {
	if count == nil {
		return io.Copy(dst, src)
	}
	var total int64
	for {
		n, err := io.CopyN(dst, src, countChunk)
		total += n
		count(n)
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}
