package media

// Direction says which way a relayed packet travelled.
type Direction uint8

const (
	// CallerToCallee is a packet sent by the party that made the first
	// offer (the From side of the first U) towards the other party.
	CallerToCallee Direction = 0
	// CalleeToCaller is the reverse direction.
	CalleeToCaller Direction = 1
)

// String returns "caller->callee" or "callee->caller".
func (d Direction) String() string {
	if d == CallerToCallee {
		return "caller->callee"
	}
	return "callee->caller"
}

// Tap sees every packet that a session relays. The relay calls Packet on
// its own goroutine for each forwarded packet, after it has been sent.
// Packet must not block and must not retain pkt after it returns: the
// buffer is reused for the next packet. arrival is the kernel receive
// time in nanoseconds since the Unix epoch. rtcp is true for packets that
// arrived on the RTCP (odd) port. Close is called exactly once, when the
// session ends or the recording is stopped, after the last call to
// Packet has returned; it may run on any goroutine.
//
// The media package declares Tap so that the relay never imports a
// recorder: the recorder implements it.
type Tap interface {
	Packet(dir Direction, arrival int64, rtcp bool, pkt []byte)
	Close() error
}

// Finisher is implemented by taps that can end by themselves (a recording
// stopped by its size limit or by the recorder's API). Record replaces a
// tap whose Finished reports true instead of keeping it.
type Finisher interface {
	Finished() bool
}

// StreamInfo describes one media stream (one m-line) of a call, given to
// a TapFactory when recording starts.
type StreamInfo struct {
	CallID   string
	FromTag  string // caller's tag
	ToTag    string // callee's tag ("" until answered)
	MediaNum int    // 1-based m-line number
	Codecs   []int  // payload types from the controller's codec list, if any
}

// TapFactory creates taps. The media node calls Start when a recording
// of a stream is requested (rtpproxy R command or API call).
type TapFactory interface {
	Start(info StreamInfo) (Tap, error)
}
