package test

import (
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/config"
	"github.com/callrec/callrec/internal/record"
)

// dtmf returns the RFC 4733 payload of an event.
func dtmf(event byte, end bool, duration uint16) []byte {
	p := []byte{event, 10, 0, 0} // volume -10 dBm0
	if end {
		p[1] |= 0x80
	}
	binary.BigEndian.PutUint16(p[2:], duration)
	return p
}

func TestRecordDTMFAsEventsNotAudio(t *testing.T) {
	t.Parallel()
	n := StartRecordingNode(t, nil)
	caller, agent := fixtures(t, 3)
	// Digit 5 pressed at packet 50 (1.0 s) for 10 packets: 7 updates and
	// 3 redundant end packets, all with the event's start timestamp.
	s := &Stream{PCM: caller, SSRC: 1, Replace: func(i int) (uint8, uint32, []byte, bool, bool) {
		if i < 50 || i > 59 {
			return 0, 0, nil, false, false
		}
		k := i - 50
		d := uint16(160 * (k + 1))
		if k >= 7 {
			d = 160 * 8
		}
		return 101, 50 * 160, dtmf(5, k >= 7, d), k == 0, true
	}}
	m := playAndRecord(t, n, "dtmf-1", s, &Stream{PCM: agent, SSRC: 2})
	var got []record.Event
	for _, e := range m.Events {
		if e.Type == "dtmf" {
			got = append(got, e)
		}
	}
	if len(got) != 1 {
		t.Fatalf("dtmf events %+v, want exactly one", got)
	}
	e := got[0]
	if e.Value != "5" || e.Party != "caller" || math.Abs(e.Duration-0.16) > 0.001 || e.At < 0.95 || e.At > 1.1 {
		t.Errorf("event %+v, want digit 5 from the caller at ~1.0 s lasting 0.16 s", e)
	}
	l, _, _ := readStereo(t, n, m)
	ref := MulawRoundTrip(caller)
	_, lag := BestCorrelation(l, ref[:50*160], 2000)
	// The event span carries no audio (after the decoder's concealment
	// fades out): nothing of a tone, nothing of speech.
	span := l[lag+53*160 : lag+59*160]
	if r := RMS(span); r > 50 {
		t.Errorf("RMS %.0f where the key was pressed: events must not be mixed as audio", r)
	}
}

func TestRecordStopWithNLeavesCallRelayed(t *testing.T) {
	t.Parallel()
	n := StartRecordingNode(t, nil)
	caller, agent := fixtures(t, 2)
	c := n.Anchor("stop-1")
	tR := time.Now()
	n.Do("R stop-1 ftag ttag")
	c.Play(t, &Stream{PCM: caller, SSRC: 1}, &Stream{PCM: agent, SSRC: 2})
	if r := n.Do("N stop-1 ftag ttag"); r != "0" {
		t.Fatalf("N = %q", r)
	}
	recorded := time.Since(tR)
	m, _ := n.WaitRecording("stop-1")
	before := strings.Fields(n.Do("Q stop-1 ftag ttag"))[3]
	c.Play(t, &Stream{PCM: caller, SSRC: 1}, &Stream{PCM: agent, SSRC: 2})
	after := strings.Fields(n.Do("Q stop-1 ftag ttag"))[3]
	n.Do("D stop-1 ftag ttag")
	if m.Status != record.StatusComplete || math.Abs(m.Duration-recorded.Seconds()) > 0.03 {
		t.Errorf("recording %s of %.3fs, want complete and %.3fs (R to N)", m.Status, m.Duration, recorded.Seconds())
	}
	if before == after {
		t.Errorf("relayed count stayed %s after the recording stopped: the call must go on", before)
	}
}

func TestRecordPauseKeepsFileAndMarks(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"silence", "cut"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			n := StartRecordingNode(t, func(c *config.Media) {
				c.RecordProfiles = map[string]record.Profile{"default": {Pause: mode}}
			})
			caller, agent := fixtures(t, 3)
			c := n.Anchor("pause-1")
			tR := time.Now()
			n.Do("R pause-1 ftag ttag")
			done := make(chan struct{})
			go func() {
				defer close(done)
				c.Play(t, &Stream{PCM: caller, SSRC: 1}, &Stream{PCM: agent, SSRC: 2})
			}()
			time.Sleep(time.Second)
			if err := n.Recorder.Pause("pause-1"); err != nil {
				t.Error(err)
			}
			p0 := time.Now()
			time.Sleep(time.Second)
			n.Recorder.Resume("pause-1")
			paused := time.Since(p0)
			<-done
			n.Do("D pause-1 ftag ttag")
			wall := time.Since(tR)
			m, _ := n.WaitRecording("pause-1")
			var marks []string
			for _, e := range m.Events {
				marks = append(marks, e.Type)
			}
			if strings.Join(marks, ",") != "pause,resume" || len(m.Files) != 1 {
				t.Errorf("events %v files %d, want pause,resume in one file", marks, len(m.Files))
			}
			want := wall
			if mode == "cut" {
				want -= paused
			}
			got := time.Duration(m.Files[0].Duration * float64(time.Second))
			if d := got - want; d < -60*time.Millisecond || d > 60*time.Millisecond {
				t.Errorf("file %v, want %v (wall %v, paused %v)", got, want, wall, paused)
			}
		})
	}
}

func TestRecordLimitRollsOver(t *testing.T) {
	t.Parallel()
	n := StartRecordingNode(t, func(c *config.Media) {
		c.RecordProfiles = map[string]record.Profile{"default": {MaxDuration: time.Second, OnLimit: "rollover"}}
	})
	caller, agent := fixtures(t, 2.5)
	m := playAndRecord(t, n, "limit-1", &Stream{PCM: caller, SSRC: 1}, &Stream{PCM: agent, SSRC: 2})
	if len(m.Files) != 3 {
		t.Fatalf("files %+v, want 3 parts of at most 1 s", m.Files)
	}
	total := 0.0
	for i, f := range m.Files {
		if f.Part != i+1 || f.Duration > 1.06 {
			t.Errorf("part %d: %+v", i+1, f)
		}
		total += f.Duration
	}
	if math.Abs(total-m.Duration) > 0.03 {
		t.Errorf("parts add up to %.3fs of %.3fs", total, m.Duration)
	}
}

func TestRecordLimitStops(t *testing.T) {
	t.Parallel()
	n := StartRecordingNode(t, func(c *config.Media) {
		c.RecordProfiles = map[string]record.Profile{"default": {MaxBytes: 16000}}
	})
	caller, agent := fixtures(t, 2)
	m := playAndRecord(t, n, "limit-2", &Stream{PCM: caller, SSRC: 1}, &Stream{PCM: agent, SSRC: 2})
	if len(m.Files) != 1 || m.Files[0].Bytes > 16000+8000 || m.Reason != "limit reached" {
		t.Errorf("files %+v reason %q, want one file stopped near 16000 bytes", m.Files, m.Reason)
	}
}

// TestRecordFullDiskFailsRecordingNotCall records onto a 64 KiB tmpfs:
// the recording fails with the reason, the call goes on being relayed.
func TestRecordFullDiskFailsRecordingNotCall(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	n := StartRecordingNode(t, func(c *config.Media) { c.RecordDir = dir })
	n.Dir = dir
	caller, agent := fixtures(t, 3) // 3 s of 8 kHz stereo PCM16: 96 KB
	c := n.Anchor("full-1")
	n.Do("R full-1 ftag ttag")
	c.Play(t, &Stream{PCM: caller, SSRC: 1}, &Stream{PCM: agent, SSRC: 2})
	before := strings.Fields(n.Do("Q full-1 ftag ttag"))[3]
	c.Play(t, &Stream{PCM: caller[:8000], SSRC: 1}, &Stream{PCM: agent[:8000], SSRC: 2})
	after := strings.Fields(n.Do("Q full-1 ftag ttag"))[3]
	n.Do("D full-1 ftag ttag")
	m, _ := n.WaitRecording("full-1")
	if m.Status != record.StatusFailed || !strings.Contains(m.Reason, "no space") {
		t.Errorf("status %s reason %q, want failed for lack of space", m.Status, m.Reason)
	}
	if before == after {
		t.Error("the call stopped being relayed when the disk filled")
	}
	if n.Recorder.Failed.Load() != 1 {
		t.Errorf("failed counter %d", n.Recorder.Failed.Load())
	}
}

// TestRecordAgainAfterLimitStop: a recording stopped by its limit while
// the call goes on does not block the next R.
func TestRecordAgainAfterLimitStop(t *testing.T) {
	t.Parallel()
	n := StartRecordingNode(t, func(c *config.Media) {
		c.RecordProfiles = map[string]record.Profile{"default": {MaxDuration: 500 * time.Millisecond}}
	})
	caller, agent := fixtures(t, 1)
	c := n.Anchor("again-1")
	n.Do("R again-1 ftag ttag")
	c.Play(t, &Stream{PCM: caller, SSRC: 1}, &Stream{PCM: agent, SSRC: 2})
	first, _ := n.WaitRecording("again-1")
	n.Do("R again-1 ftag ttag")
	c.Play(t, &Stream{PCM: caller, SSRC: 1}, &Stream{PCM: agent, SSRC: 2})
	n.Do("D again-1 ftag ttag")
	if n.Recorder.Started.Load() != 2 {
		t.Fatalf("%d recordings started, want 2 (the second R after the limit)", n.Recorder.Started.Load())
	}
	if first.Reason != "limit reached" {
		t.Errorf("first recording reason %q", first.Reason)
	}
}
