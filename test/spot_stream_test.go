package test

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/record/container"
	"github.com/callrec/callrec/internal/spot/spottest"
	"github.com/coder/websocket"
)

// TestSpotStreamServer runs `callrec spot --listen --ws-listen` (the
// reference engine of docs/asr-stream.md) and talks to it as the
// document says, with clients written here from the document alone,
// over TCP and over WebSocket: a header with offset_seconds 10, the
// caller fixture in 100 ms of audio at a time with a 2 s gap after the
// first second, the end. The engine's results must hold "account" and
// "refund" at their offsets in the recording (10 + 2 s after where they
// are spoken), then it closes.
func TestSpotStreamServer(t *testing.T) {
	spottest.RequireModel(t)
	bin := BuildCallrec(t)
	f, err := os.Open(filepath.Join(RepoRoot(t), "test", "testdata", "audio", "caller-8k.wav"))
	if err != nil {
		t.Fatal(err)
	}
	ft, data, err := container.ReadWAV(f)
	f.Close()
	if err != nil || ft.SampleRate != 8000 || ft.Channels != 1 || ft.Encoding != container.EncodingPCM16 {
		t.Fatalf("caller-8k.wav: %+v %v", ft, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "spot", "--listen", "127.0.0.1:0", "--ws-listen", "127.0.0.1:0", "--token", "t0k")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	logDone := make(chan struct{})
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		<-logDone // its stderr is read to the end before Wait
		if err := cmd.Wait(); err != nil {
			t.Errorf("callrec spot --listen: %v", err)
		}
	}()
	sc := bufio.NewScanner(stderr)
	addr, wsURL := "", ""
	for (addr == "" || wsURL == "") && sc.Scan() {
		if _, a, ok := strings.Cut(sc.Text(), "serving tcp://"); ok {
			addr = a
		}
		if _, a, ok := strings.Cut(sc.Text(), "serving ws://"); ok {
			wsURL = "ws://" + a
		}
	}
	go func() { // keep draining its log
		defer close(logDone)
		for sc.Scan() {
			t.Log(sc.Text())
		}
	}()
	if addr == "" || wsURL == "" {
		t.Fatal("callrec spot --listen --ws-listen printed no addresses")
	}
	hdr := `{"version":1,"call_id":"x@y","recording":"r","leg":"caller","sample_rate":8000,"encoding":"s16le","channels":1,` +
		`"caller":"","callee":"","started":"2026-11-24T23:00:00Z","offset_seconds":10,"keywords":["refund/1e-20","account/1e-30"],"token":"t0k"}`
	const batch = 1600 // 100 ms of 8 kHz s16le

	t.Run("tcp", func(t *testing.T) {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(time.Minute))
		w := bufio.NewWriter(c)
		w.WriteString(hdr + "\n")
		frame := func(typ byte, payload []byte) {
			var h [4]byte
			binary.BigEndian.PutUint32(h[:], uint32(typ)<<24|uint32(len(payload)))
			w.Write(h[:])
			w.Write(payload)
		}
		for off := 0; off < len(data); off += batch {
			if off == 16000 { // after 1 s: 2 s dropped
				var g [4]byte
				binary.BigEndian.PutUint32(g[:], 16000)
				frame(2, g[:])
			}
			frame(1, data[off:min(off+batch, len(data))])
		}
		frame(3, nil)
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}

		var got []streamResult
		rd := bufio.NewScanner(c)
		for rd.Scan() {
			var r streamResult
			if err := json.Unmarshal(rd.Bytes(), &r); err != nil {
				t.Fatalf("result %q: %v", rd.Text(), err)
			}
			got = append(got, r)
		}
		if err := rd.Err(); err != nil {
			t.Fatalf("reading results (the engine must close after the end): %v", err)
		}
		checkStreamResults(t, got)
	})

	t.Run("websocket", func(t *testing.T) {
		c, _, err := websocket.Dial(ctx, wsURL, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		if err := c.Write(ctx, websocket.MessageText, []byte(hdr)); err != nil {
			t.Fatal(err)
		}
		for off := 0; off < len(data); off += batch {
			if off == 16000 {
				if err := c.Write(ctx, websocket.MessageText, []byte(`{"type":"gap","samples":16000}`)); err != nil {
					t.Fatal(err)
				}
			}
			if err := c.Write(ctx, websocket.MessageBinary, data[off:min(off+batch, len(data))]); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Write(ctx, websocket.MessageText, []byte(`{"type":"end"}`)); err != nil {
			t.Fatal(err)
		}
		var got []streamResult
		for {
			typ, b, err := c.Read(ctx)
			if websocket.CloseStatus(err) == websocket.StatusNormalClosure {
				break
			}
			if err != nil || typ != websocket.MessageText {
				t.Fatalf("reading results (the engine must close normally after the end): %v", err)
			}
			var r streamResult
			if err := json.Unmarshal(b, &r); err != nil {
				t.Fatalf("result %q: %v", b, err)
			}
			got = append(got, r)
		}
		checkStreamResults(t, got)
	})
}

// streamResult is a result of docs/asr-stream.md.
type streamResult struct {
	Type         string  `json:"type"`
	Keyword      string  `json:"keyword"`
	StartSeconds float64 `json:"start_seconds"`
	EndSeconds   float64 `json:"end_seconds"`
	Confidence   float64 `json:"confidence"`
}

// checkStreamResults: "account" and "refund" at their offsets in the
// recording: offset_seconds 10, plus the 2 s gap, plus where they are
// spoken (internal/spot/testdata/timings.txt).
func checkStreamResults(t *testing.T, got []streamResult) {
	t.Helper()
	for w, at := range map[string]float64{"account": 3.05, "refund": 11.14} {
		want, found := 10+2+at, false
		for _, r := range got {
			found = found || r.Type == "keyword" && r.Keyword == w && math.Abs(r.StartSeconds-want) <= 0.5 && r.EndSeconds > r.StartSeconds && r.Confidence > 0
		}
		if !found {
			t.Errorf("%q not found at %.2f s in %+v", w, want, got)
		}
	}
}
