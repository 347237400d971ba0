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

// epollWait blocks in epoll_pwait without telling the scheduler: the
// worker's goroutine keeps its P and its locked OS thread while it waits,
// so a wake-up is one kernel context switch, with no P hand-off to
// another thread and back. Callers must run on a locked thread and the
// process must have a spare P for every worker (see Manager). The
// runtime's preemption signal interrupts the wait (EINTR), so garbage
// collection is not held up.
func epollWait(epfd int, events []unix.EpollEvent, msec int) (int, unix.Errno) {
	n, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd),
		uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), uintptr(msec), 0, 0)
	return int(n), e
}
