package webhook

import (
	"io"
	"net"
)

// wholeBodyConn is a connection of the default client that writes a request body held in memory
// (a trackedBody) with one write, where net/http would copy it through a 32 KiB buffer: the
// transport writes a body of known length through an io.LimitedReader, which hides the body's
// WriteTo, so a 400 KB batch went out as a dozen copies and writes. One write hands the kernel
// the whole body, copies nothing in user space, and costs fewer syscalls and TCP segments. Any
// other body is copied as before.
type wholeBodyConn struct{ net.Conn }

// heldBody is a body already in memory: its length and a single-write WriteTo.
type heldBody interface {
	io.WriterTo
	Len() int
}

// ReadFrom is what the transport's copy of a request body calls (io.Copy to the connection).
func (c wholeBodyConn) ReadFrom(r io.Reader) (int64, error) {
	if lr, ok := r.(*io.LimitedReader); ok {
		if b, ok := lr.R.(heldBody); ok && int64(b.Len()) <= lr.N {
			n, err := b.WriteTo(c.Conn)
			lr.N -= n
			return n, err
		}
	}
	return io.Copy(writerOnly{c.Conn}, r)
}

// CloseWrite keeps the half-close of a TCP connection reachable through the wrapper.
func (c wholeBodyConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// writerOnly hides a writer's ReadFrom, so io.Copy does not call back into wholeBodyConn.
type writerOnly struct{ io.Writer }
