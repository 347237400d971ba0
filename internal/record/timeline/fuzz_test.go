package timeline

import (
	"encoding/binary"
	"testing"
	"time"
)

// FuzzPush feeds arbitrary packets, arrival steps and pulls: Push never
// panics and the pulls always tile the timeline exactly.
//
// The input is a sequence of records: one byte of arrival step (ms), one
// byte of packet length, then the packet.
func FuzzPush(f *testing.F) {
	src := source(f, 200*time.Millisecond)
	st := newStream(f, "PCMU", 0, 1, 65534, 4294967000)
	var seed []byte
	for i := range 10 {
		p := st.packet(src[i*160:i*160+80], nil, 0, i == 3, 80)
		seed = append(seed, 10, byte(len(p)))
		seed = append(seed, p...)
	}
	f.Add(seed, uint8(0))
	ev := newStream(f, "PCMU", 101, 2, 1, 1).dtmf(3, 60*time.Millisecond, 101)
	var evSeed []byte
	for _, p := range ev {
		evSeed = append(append(evSeed, 20, byte(len(p))), p...)
	}
	f.Add(evSeed, uint8(1))
	f.Add([]byte{5, 12, 0x80, 9, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 250, 13, 0x90, 96, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0}, uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		rates := []int{8000, 16000, 48000}
		l, err := NewLeg(LegConfig{Start: 0, SampleRate: rates[int(mode)%3]})
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]int16, 2048)
		var now, total int64
		for records := 0; len(data) >= 2 && records < 300; records++ { // bounded simulated time
			step, n := int64(data[0]), int(data[1])
			data = data[2:]
			n = min(n, len(data))
			pkt := data[:n]
			data = data[n:]
			now += step * int64(time.Millisecond)
			if mode&4 != 0 && len(pkt) >= 8 { // wild timestamps
				binary.BigEndian.PutUint32(pkt[4:], binary.BigEndian.Uint32(pkt[4:])*2654435761)
			}
			_ = l.Push(now, pkt)
			for {
				k := l.Pull(now-int64(150*time.Millisecond), buf)
				total += int64(k)
				if k < len(buf) {
					break
				}
			}
		}
		l.Close()
		l.Events(nil)
		end := now + int64(time.Second)
		for {
			k := l.Pull(end, buf)
			total += int64(k)
			if k == 0 {
				break
			}
		}
		if want := l.nsToSamples(end); total != want {
			t.Fatalf("pulled %d samples, want %d", total, want)
		}
	})
}
