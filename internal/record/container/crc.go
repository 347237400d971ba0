package container

// oggCRCTable is the lookup table for the Ogg page checksum: CRC-32 with
// generator polynomial 0x04c11db7, initial value 0, no bit reflection of
// input or output and no final XOR (RFC 3533 §6, libogg framing.c). This
// is not the reflected IEEE CRC of hash/crc32, so it is computed here.
var oggCRCTable = func() (t [256]uint32) {
	for i := range t {
		r := uint32(i) << 24
		for range 8 {
			if r&0x80000000 != 0 {
				r = r<<1 ^ 0x04c11db7
			} else {
				r <<= 1
			}
		}
		t[i] = r
	}
	return t
}()

// oggCRC continues the Ogg checksum crc over p.
func oggCRC(crc uint32, p []byte) uint32 {
	for _, c := range p {
		crc = crc<<8 ^ oggCRCTable[byte(crc>>24)^c]
	}
	return crc
}
