//go:build cgo

package codec

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestGSMWAV49PlaysInSox writes a WAV (format 0x31) from the WAV49
// encoder by hand and has sox decode it: the packing must be Microsoft's.
func TestGSMWAV49PlaysInSox(t *testing.T) {
	if _, err := exec.LookPath("sox"); err != nil {
		t.Skip("sox not installed (Debian package sox)")
	}
	e := NewGSMEncoderWAV49()
	defer e.Close()
	pcm := make([]int16, 320*25) // 1 s
	for i := range pcm {
		pcm[i] = int16(8000 * sinApprox(float64(i)*2*3.14159*440/8000))
	}
	out := make([]byte, e.MaxPayload(len(pcm)))
	n, err := e.Encode(pcm, out)
	if err != nil || n != 65*25 {
		t.Fatalf("encode: %d bytes, %v; want %d", n, err, 65*25)
	}
	hdr := wav49Header(uint32(n), uint32(len(pcm)))
	p := filepath.Join(t.TempDir(), "g.wav")
	if err := os.WriteFile(p, append(hdr, out[:n]...), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := exec.Command("sox", p, "-n", "stat").CombinedOutput()
	if err != nil {
		t.Fatalf("sox: %v\n%s", err, res)
	}
}

func sinApprox(x float64) float64 {
	for x > 3.14159 {
		x -= 2 * 3.14159
	}
	return x - x*x*x/6 + x*x*x*x*x/120 - x*x*x*x*x*x*x/5040
}

func wav49Header(dataLen, samples uint32) []byte {
	le32 := func(b []byte, v uint32) { b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24) }
	h := make([]byte, 60)
	copy(h[0:], "RIFF")
	le32(h[4:], 52+dataLen)
	copy(h[8:], "WAVEfmt ")
	le32(h[16:], 20)
	h[20], h[22] = 0x31, 1 // GSM 6.10, mono
	le32(h[24:], 8000)
	le32(h[28:], 1625)        // bytes per second
	h[32] = 65                // block align
	h[36] = 2                 // cbSize
	h[38], h[39] = 0x40, 0x01 // 320 samples per block
	copy(h[40:], "fact")
	le32(h[44:], 4)
	le32(h[48:], samples)
	copy(h[52:], "data")
	le32(h[56:], dataLen)
	return h
}
