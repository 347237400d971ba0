package record

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestSinkFormatsDecodeToRightDuration writes one second of tone in
// every encoding, in odd-sized chunks, and has ffprobe (or soxi) read
// the file back.
func TestSinkFormatsDecodeToRightDuration(t *testing.T) {
	probe, err := exec.LookPath("ffprobe")
	if err != nil {
		t.Skip("ffprobe not installed (Debian package ffmpeg)")
	}
	for _, p := range []Profile{
		{}, {Encoding: "pcm8", Layout: "mixed"}, {Encoding: "pcmu"}, {Encoding: "pcma", Layout: "mixed"},
		{Encoding: "gsm", Layout: "mixed"}, {Encoding: "gsm", Container: "raw", Layout: "mixed"},
		{Encoding: "opus"}, {Encoding: "opus", SampleRate: 16000, Layout: "mixed"},
		{Encoding: "mp3", Layout: "mixed"}, {SampleRate: 16000}, {SampleRate: 48000, Layout: "mixed"},
	} {
		q := p.withDefaults(8000)
		name := q.Container + "-" + q.Encoding + "-" + strconv.Itoa(q.SampleRate) + "-" + q.Layout
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x"+ext(q))
			s, err := newSink(path, q, q.channels())
			if err != nil {
				t.Fatal(err)
			}
			ch := q.channels()
			total := q.SampleRate // 1 s
			pcm := make([]int16, 0, total*ch)
			for i := 0; i < total; i++ {
				v := int16(8000 * math.Sin(2*math.Pi*440*float64(i)/float64(q.SampleRate)))
				for c := 0; c < ch; c++ {
					pcm = append(pcm, v)
				}
			}
			for off := 0; off < len(pcm); {
				n := min(len(pcm)-off, 333*ch)
				if err := s.write(pcm[off : off+n]); err != nil {
					t.Fatal(err)
				}
				off += n
			}
			if err := s.close(); err != nil {
				t.Fatal(err)
			}
			args := []string{"-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0"}
			if q.Container == "raw" {
				args = append(args, "-f", "gsm", "-ar", "8000")
			}
			out, err := exec.Command(probe, append(args, path)...).CombinedOutput()
			if err != nil {
				t.Fatalf("ffprobe: %v: %s", err, out)
			}
			d, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
			tol := 0.03
			if q.Encoding == "mp3" {
				tol = 0.2 // whole MP3 frames plus the encoder's delay
			}
			if err != nil || math.Abs(d-1) > tol {
				fi, _ := os.Stat(path)
				t.Errorf("duration %q (%d bytes), want 1s", out, fi.Size())
			}
		})
	}
}
