package codec

// G.711 (ITU-T G.711, RFC 3551 §4.5.14): 8-bit logarithmic companding of
// 14-bit (µ-law) or 13-bit (A-law) linear samples, 8000 Hz, one byte per
// sample. Both directions are table lookups; the tables are built once at
// start-up from the segment arithmetic below, which follows the G.711
// segment definitions (the same results as the classic Sun reference code).

const (
	ulawBias = 0x84 // µ-law bias, 33 in 14-bit units
	ulawClip = 8159 // largest 14-bit magnitude µ-law represents
)

var (
	ulawToLinear [256]int16
	alawToLinear [256]int16
	linearToUlaw [1 << 14]byte // indexed by uint16(sample) >> 2
	linearToAlaw [1 << 13]byte // indexed by uint16(sample) >> 3
)

func init() {
	for c := range 256 {
		ulawToLinear[c] = ulawDecodeSlow(byte(c))
		alawToLinear[c] = alawDecodeSlow(byte(c))
	}
	for i := range linearToUlaw {
		linearToUlaw[i] = ulawEncodeSlow(int16(uint16(i) << 2))
	}
	for i := range linearToAlaw {
		linearToAlaw[i] = alawEncodeSlow(int16(uint16(i) << 3))
	}
}

// segment returns the G.711 segment (0..7) of magnitude v whose segment
// end points double from first, or 8 when v is above the last one.
func segment(v, first int) int {
	for seg := range 8 {
		if v <= first<<seg-1 {
			return seg
		}
	}
	return 8
}

func ulawEncodeSlow(s int16) byte {
	v := int(s) >> 2
	mask := byte(0xFF)
	if v < 0 {
		v = -v
		mask = 0x7F
	}
	v = min(v, ulawClip) + ulawBias>>2
	seg := segment(v, 0x40)
	if seg >= 8 {
		return 0x7F ^ mask
	}
	return (byte(seg)<<4 | byte(v>>(seg+1))&0x0F) ^ mask
}

func ulawDecodeSlow(c byte) int16 {
	c = ^c
	t := (int(c&0x0F)<<3 + ulawBias) << ((c & 0x70) >> 4)
	if c&0x80 != 0 {
		return int16(ulawBias - t)
	}
	return int16(t - ulawBias)
}

func alawEncodeSlow(s int16) byte {
	v := int(s) >> 3
	mask := byte(0xD5)
	if v < 0 {
		v = -v - 1
		mask = 0x55
	}
	seg := segment(v, 0x20)
	if seg >= 8 {
		return 0x7F ^ mask
	}
	a := byte(seg) << 4
	if seg < 2 {
		a |= byte(v>>1) & 0x0F
	} else {
		a |= byte(v>>seg) & 0x0F
	}
	return a ^ mask
}

func alawDecodeSlow(c byte) int16 {
	c ^= 0x55
	t := int(c&0x0F)<<4 + 8
	if seg := int(c&0x70) >> 4; seg > 0 {
		t = (t + 0x100) << (seg - 1)
	}
	if c&0x80 != 0 {
		return int16(t)
	}
	return int16(-t)
}

// UlawDecode returns the linear value of one µ-law code.
func UlawDecode(c byte) int16 { return ulawToLinear[c] }

// UlawEncode returns the µ-law code of one linear sample.
func UlawEncode(s int16) byte { return linearToUlaw[uint16(s)>>2] }

// AlawDecode returns the linear value of one A-law code.
func AlawDecode(c byte) int16 { return alawToLinear[c] }

// AlawEncode returns the A-law code of one linear sample.
func AlawEncode(s int16) byte { return linearToAlaw[uint16(s)>>3] }

// g711Decoder decodes PCMU or PCMA; its only state is the concealment
// history. It implements Decoder and Concealer.
type g711Decoder struct {
	table *[256]int16
	plc   plc
}

// NewPCMUDecoder returns a G.711 µ-law decoder (8000 Hz, mono) with packet
// loss concealment.
func NewPCMUDecoder() Decoder { return newG711Decoder(&ulawToLinear) }

// NewPCMADecoder returns a G.711 A-law decoder (8000 Hz, mono) with packet
// loss concealment.
func NewPCMADecoder() Decoder { return newG711Decoder(&alawToLinear) }

func newG711Decoder(table *[256]int16) *g711Decoder {
	d := &g711Decoder{table: table}
	d.plc.init(8000)
	return d
}

func (d *g711Decoder) Decode(payload []byte, pcm []int16) (int, error) {
	if len(pcm) < len(payload) {
		return 0, ErrShortBuffer
	}
	pcm = pcm[:len(payload)]
	for i, c := range payload {
		pcm[i] = d.table[c]
	}
	d.plc.good(pcm)
	return len(payload), nil
}

// Conceal repeats the last pitch period, fading out after 10 ms.
func (d *g711Decoder) Conceal(pcm []int16, samples int) int {
	return d.plc.conceal(pcm[:min(samples, len(pcm))])
}

func (*g711Decoder) SampleRate() int      { return 8000 }
func (*g711Decoder) Channels() int        { return 1 }
func (*g711Decoder) MaxSamples(n int) int { return n }
func (d *g711Decoder) Reset()             { d.plc.init(8000) }

// g711Encoder encodes PCMU or PCMA.
type g711Encoder struct{ alaw bool }

// NewPCMUEncoder returns a G.711 µ-law encoder (8000 Hz, mono).
func NewPCMUEncoder() Encoder { return g711Encoder{} }

// NewPCMAEncoder returns a G.711 A-law encoder (8000 Hz, mono).
func NewPCMAEncoder() Encoder { return g711Encoder{alaw: true} }

func (e g711Encoder) Encode(pcm []int16, out []byte) (int, error) {
	if len(pcm) == 0 {
		return 0, ErrFrameSize
	}
	if len(out) < len(pcm) {
		return 0, ErrShortBuffer
	}
	out = out[:len(pcm)]
	if e.alaw {
		for i, s := range pcm {
			out[i] = linearToAlaw[uint16(s)>>3]
		}
	} else {
		for i, s := range pcm {
			out[i] = linearToUlaw[uint16(s)>>2]
		}
	}
	return len(pcm), nil
}

func (g711Encoder) SampleRate() int      { return 8000 }
func (g711Encoder) Channels() int        { return 1 }
func (g711Encoder) FrameSamples() int    { return 1 }
func (g711Encoder) MultiFrame() bool     { return true }
func (g711Encoder) MaxPayload(n int) int { return n }
func (g711Encoder) Reset()               {}
