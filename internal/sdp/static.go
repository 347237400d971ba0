package sdp

// staticFormats is the RFC 3551 §6 table of static payload types
// (tables 4 and 5). Types not listed are unassigned or reserved.
var staticFormats = [35]Format{
	0:  {PT: 0, Name: "PCMU", Rate: 8000, Channels: 1},
	3:  {PT: 3, Name: "GSM", Rate: 8000, Channels: 1},
	4:  {PT: 4, Name: "G723", Rate: 8000, Channels: 1},
	5:  {PT: 5, Name: "DVI4", Rate: 8000, Channels: 1},
	6:  {PT: 6, Name: "DVI4", Rate: 16000, Channels: 1},
	7:  {PT: 7, Name: "LPC", Rate: 8000, Channels: 1},
	8:  {PT: 8, Name: "PCMA", Rate: 8000, Channels: 1},
	9:  {PT: 9, Name: "G722", Rate: 8000, Channels: 1}, // RTP clock 8000, sampling 16000 (RFC 3551 §4.5.2)
	10: {PT: 10, Name: "L16", Rate: 44100, Channels: 2},
	11: {PT: 11, Name: "L16", Rate: 44100, Channels: 1},
	12: {PT: 12, Name: "QCELP", Rate: 8000, Channels: 1},
	13: {PT: 13, Name: "CN", Rate: 8000, Channels: 1},
	14: {PT: 14, Name: "MPA", Rate: 90000},
	15: {PT: 15, Name: "G728", Rate: 8000, Channels: 1},
	16: {PT: 16, Name: "DVI4", Rate: 11025, Channels: 1},
	17: {PT: 17, Name: "DVI4", Rate: 22050, Channels: 1},
	18: {PT: 18, Name: "G729", Rate: 8000, Channels: 1},
	25: {PT: 25, Name: "CelB", Rate: 90000},
	26: {PT: 26, Name: "JPEG", Rate: 90000},
	28: {PT: 28, Name: "nv", Rate: 90000},
	31: {PT: 31, Name: "H261", Rate: 90000},
	32: {PT: 32, Name: "MPV", Rate: 90000},
	33: {PT: 33, Name: "MP2T", Rate: 90000},
	34: {PT: 34, Name: "H263", Rate: 90000},
}

// StaticFormat returns the RFC 3551 static assignment of payload type
// pt, and false for dynamic (96-127), unassigned or reserved types.
func StaticFormat(pt uint8) (Format, bool) {
	if int(pt) < len(staticFormats) && staticFormats[pt].Name != "" {
		return staticFormats[pt], true
	}
	return Format{PT: pt}, false
}
