package record

import (
	"context"
	"encoding/binary"
	"math"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/codec"
	"github.com/callrec/callrec/internal/media"
)

// liveTap records what a Live listener is given.
type liveTap struct {
	mu             sync.Mutex
	info           LiveInfo
	caller, callee []int16
	closed         int
}

func (l *liveTap) Audio(a, b []int16) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(a) != len(b) {
		panic("legs of different lengths")
	}
	l.caller = append(l.caller, a...)
	l.callee = append(l.callee, b...)
}

func (l *liveTap) Close() {
	l.mu.Lock()
	l.closed++
	l.mu.Unlock()
}

// rtpPacket is one 20 ms PCMU packet of a tone of freq Hz (0: silence).
func rtpPacket(seq uint16, freq float64) []byte {
	p := make([]byte, 12+160)
	p[0], p[1] = 0x80, 0
	binary.BigEndian.PutUint16(p[2:], seq)
	binary.BigEndian.PutUint32(p[4:], uint32(seq)*160)
	binary.BigEndian.PutUint32(p[8:], 0x1234)
	for i := 0; i < 160; i++ {
		n := float64(int(seq)*160 + i)
		p[12+i] = codec.UlawEncode(int16(8000 * math.Sin(2*math.Pi*freq*n/8000)))
	}
	return p
}

// TestLiveAndAddEvents: a Live listener gets the recording's audio,
// the caller's leg apart from the callee's, with the profile's keywords,
// and is closed once; events given to AddEvents while the call records
// and after it ended both land in the sidecar exactly once, each time
// telling OnMeta.
func TestLiveAndAddEvents(t *testing.T) {
	dir := t.TempDir()
	var mu sync.Mutex
	var lt *liveTap
	metas := 0
	r, err := New(Config{Dir: dir, Profiles: map[string]Profile{"default": {Keywords: []string{"cancel"}}},
		Live: func(info LiveInfo) Live {
			mu.Lock()
			defer mu.Unlock()
			lt = &liveTap{info: info}
			return lt
		},
		OnMeta: func(string) { mu.Lock(); metas++; mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())
	if err := r.Prepare("c1", Options{Caller: "sip:a@x", Callee: "sip:b@x"}); err != nil {
		t.Fatal(err)
	}
	tap, err := r.Start(media.StreamInfo{CallID: "c1", FromTag: "f", ToTag: "t", MediaNum: 1})
	if err != nil {
		t.Fatal(err)
	}
	// 1 s: the caller sends a 400 Hz tone, the callee 1000 Hz.
	start := time.Now()
	for i := 0; i < 50; i++ {
		now := time.Now().UnixNano()
		tap.Packet(media.CallerToCallee, now, false, rtpPacket(uint16(i), 400))
		tap.Packet(media.CalleeToCaller, now, false, rtpPacket(uint16(i), 1000))
		time.Sleep(time.Until(start.Add(time.Duration(i+1) * 20 * time.Millisecond)))
	}
	mu.Lock()
	if lt == nil {
		mu.Unlock()
		t.Fatal("no Live listener asked for")
	}
	info := lt.info
	mu.Unlock()
	if info.CallID != "c1" || info.SampleRate != 8000 || len(info.Keywords) != 1 || info.Keywords[0] != "cancel" ||
		info.Caller != "sip:a@x" || info.Sidecar != filepath.Join(dir, info.Name+".json") {
		t.Fatalf("LiveInfo %+v", info)
	}
	if err := r.AddEvents(info.Sidecar, []Event{{Type: "keyword", At: 0.5, Party: "caller", Value: "cancel", Confidence: 0.9, Source: "spot"}}); err != nil {
		t.Fatal(err)
	}
	tap.Close()
	var m *Meta
	for deadline := time.Now().Add(5 * time.Second); ; {
		if m, err = ReadMeta(info.Sidecar); err == nil && m.Status == StatusComplete {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("recording not finished: %+v %v", m, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	before := metas
	mu.Unlock()
	if err := r.AddEvents(info.Sidecar, []Event{{Type: "keyword", At: 0.8, Party: "callee", Value: "refund", Confidence: 0.8, Source: "spot"}}); err != nil {
		t.Fatal(err)
	}
	if m, err = ReadMeta(info.Sidecar); err != nil {
		t.Fatal(err)
	}
	var kws []Event
	for _, e := range m.Events {
		if e.Type == "keyword" {
			kws = append(kws, e)
		}
	}
	if len(kws) != 2 || kws[0].Value != "cancel" || kws[1].Value != "refund" || kws[1].Confidence != 0.8 || m.Status != StatusComplete {
		t.Fatalf("sidecar events %+v status %s", m.Events, m.Status)
	}
	mu.Lock()
	defer mu.Unlock()
	if metas != before+1 {
		t.Errorf("OnMeta told %d times for a late AddEvents, want 1", metas-before)
	}
	if lt.closed != 1 {
		t.Errorf("Live closed %d times", lt.closed)
	}
	// The legs are apart: the caller's tone on the caller's side.
	if len(lt.caller) < 6000 {
		t.Fatalf("listener got %d samples, want about a second", len(lt.caller))
	}
	p400, p1000 := power(lt.caller, 400), power(lt.caller, 1000)
	q400, q1000 := power(lt.callee, 400), power(lt.callee, 1000)
	if p400 < 10*p1000 || q1000 < 10*q400 {
		t.Errorf("legs mixed up: caller 400/1000 Hz %.3g/%.3g, callee %.3g/%.3g", p400, p1000, q400, q1000)
	}
}

// power is the Goertzel power of freq in s (8 kHz).
func power(s []int16, freq float64) float64 {
	k := 2 * math.Cos(2*math.Pi*freq/8000)
	var s1, s2 float64
	for _, v := range s {
		s1, s2 = float64(v)+k*s1-s2, s1
	}
	return s1*s1 + s2*s2 - k*s1*s2
}
