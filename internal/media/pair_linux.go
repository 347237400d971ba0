package media

import "golang.org/x/sys/unix"

// closePair closes a pair's sockets that no worker owns yet.
func closePair(p pair) {
	unix.Close(p.rtpFD)
	unix.Close(p.rtcpFD)
}
