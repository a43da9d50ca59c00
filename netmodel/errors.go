package netmodel

import (
	"net"
	"os"
	"syscall"
	"time"
)

// The errors mirror what the kernel's TCP gives, so that code checking
// errors.Is(err, syscall.ECONNREFUSED), os.ErrDeadlineExceeded or
// net.ErrClosed, or calling net.Error's Timeout, behaves as on a real network.

func opError(op string, c *Conn, err error) error {
	e := &net.OpError{Op: op, Net: "tcp", Err: err}
	if c != nil {
		e.Source = tcpAddr(c.local)
		e.Addr = tcpAddr(c.remote)
	}
	return e
}

var (
	errRefused  = os.NewSyscallError("connect", syscall.ECONNREFUSED)
	errReset    = os.NewSyscallError("read", syscall.ECONNRESET)
	errTimedOut = os.NewSyscallError("write", syscall.ETIMEDOUT)
	errInUse    = os.NewSyscallError("bind", syscall.EADDRINUSE)
	errNotAvail = os.NewSyscallError("bind", syscall.EADDRNOTAVAIL)
	errTimeout  = os.ErrDeadlineExceeded
	errClosed   = net.ErrClosed
)

var zeroTime time.Time
