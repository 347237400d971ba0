package media

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// recvmmsg reads up to len(msgs) datagrams from a non-blocking socket.
// It uses RawSyscall: the socket never blocks, so the scheduler need not
// be told, which saves the entersyscall/exitsyscall pair per call.
func recvmmsg(fd int, msgs []unix.Mmsghdr) (int, unix.Errno) {
	n, _, e := unix.RawSyscall6(unix.SYS_RECVMMSG, uintptr(fd),
		uintptr(unsafe.Pointer(&msgs[0])), uintptr(len(msgs)), unix.MSG_DONTWAIT, 0, 0)
	return int(n), e
}

// sendmmsg sends len(msgs) datagrams on a non-blocking socket and returns
// how many the kernel took.
func sendmmsg(fd int, msgs []unix.Mmsghdr) (int, unix.Errno) {
	n, _, e := unix.RawSyscall6(unix.SYS_SENDMMSG, uintptr(fd),
		uintptr(unsafe.Pointer(&msgs[0])), uintptr(len(msgs)), unix.MSG_DONTWAIT, 0, 0)
	return int(n), e
}
