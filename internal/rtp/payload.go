package rtp

// DefaultClockRate is the clock rate ClockRate assumes for a payload type
// it does not know, such as a dynamic one (96-127) whose rtpmap the caller
// did not see. 8000 Hz is right for the narrowband voice codecs that
// dominate contact-centre traffic.
const DefaultClockRate = 8000

// PayloadInfo describes a static RTP payload type of RFC 3551 §6
// (Tables 4 and 5).
type PayloadInfo struct {
	Name      string // encoding name as used in SDP rtpmap (e.g. "PCMU")
	ClockRate uint32 // RTP timestamp rate in Hz
	Channels  uint8  // audio channels; 0 for video, and for MPA ("see text")
	Video     bool   // a video encoding
}

// staticPayloads is RFC 3551 Tables 4 and 5. Reserved and unassigned
// numbers have the zero value.
var staticPayloads = [35]PayloadInfo{
	0:  {"PCMU", 8000, 1, false},
	3:  {"GSM", 8000, 1, false},
	4:  {"G723", 8000, 1, false},
	5:  {"DVI4", 8000, 1, false},
	6:  {"DVI4", 16000, 1, false},
	7:  {"LPC", 8000, 1, false},
	8:  {"PCMA", 8000, 1, false},
	9:  {"G722", 8000, 1, false}, // 16 kHz sampling, 8000 clock for historical reasons (§4.5.2)
	10: {"L16", 44100, 2, false},
	11: {"L16", 44100, 1, false},
	12: {"QCELP", 8000, 1, false},
	13: {"CN", 8000, 1, false},
	14: {"MPA", 90000, 0, false},
	15: {"G728", 8000, 1, false},
	16: {"DVI4", 11025, 1, false},
	17: {"DVI4", 22050, 1, false},
	18: {"G729", 8000, 1, false},
	25: {"CelB", 90000, 0, true},
	26: {"JPEG", 90000, 0, true},
	28: {"nv", 90000, 0, true},
	31: {"H261", 90000, 0, true},
	32: {"MPV", 90000, 0, true},
	33: {"MP2T", 90000, 0, true},
	34: {"H263", 90000, 0, true},
}

// LookupPayload returns the RFC 3551 description of static payload type
// pt, and false for reserved, unassigned and dynamic types.
func LookupPayload(pt uint8) (PayloadInfo, bool) {
	if int(pt) >= len(staticPayloads) || staticPayloads[pt].ClockRate == 0 {
		return PayloadInfo{}, false
	}
	return staticPayloads[pt], true
}

// StaticPayload returns the encoding name and clock rate of static payload
// type pt (RFC 3551 Tables 4 and 5). For reserved, unassigned and dynamic
// types it returns "", DefaultClockRate and false.
func StaticPayload(pt uint8) (name string, clockRate uint32, ok bool) {
	p, ok := LookupPayload(pt)
	if !ok {
		return "", DefaultClockRate, false
	}
	return p.Name, p.ClockRate, true
}

// ClockRate returns the RTP clock rate of payload type pt: the RFC 3551
// rate for a static type, DefaultClockRate otherwise. Callers that know a
// dynamic type's rtpmap should use that instead.
func ClockRate(pt uint8) uint32 {
	_, r, _ := StaticPayload(pt)
	return r
}
