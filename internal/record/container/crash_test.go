package container

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

const (
	helperEnv     = "CALLREC_CONTAINER_HELPER" // "wav" or "ogg"
	helperPathEnv = "CALLREC_CONTAINER_HELPER_PATH"
	flushTick     = 500 * time.Millisecond // the recorder's Flush timer in the helper
)

// TestHelperProcess is the child of the crash tests: it records to the file
// named in the environment in real time (20 ms frames, paced by the wall
// clock), calls Flush on a ticker, prints "ready" once the header is on
// disk and runs until it is killed (or 30 s pass).
func TestHelperProcess(t *testing.T) {
	kind := os.Getenv(helperEnv)
	if kind == "" {
		t.Skip("helper for the crash tests")
	}
	f, err := os.Create(os.Getenv(helperPathEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var w Writer
	var frame []byte
	var per int
	switch kind {
	case "wav":
		fm := Format{"wav", "pcm16", 16000, 2, 16}
		per = 320
		frame = frameOf(fm, per)
		w, err = NewWAVWriter(f, fm, Options{})
	case "ogg":
		per = 960
		frame = opusPacket(60, 1)
		w, err = NewOggOpusWriter(f, Format{"ogg", "opus", 48000, 1, 0}, Options{PreSkip: 312})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	start := time.Now()
	fmt.Println("ready")
	frames := time.NewTicker(20 * time.Millisecond)
	flush := time.NewTicker(flushTick)
	for written := time.Duration(0); time.Since(start) < 30*time.Second; {
		select {
		case <-frames.C:
			for ; written < time.Since(start); written += 20 * time.Millisecond {
				if err := w.WriteFrames(frame, per); err != nil {
					os.Exit(3)
				}
			}
		case <-flush.C:
			if err := w.Flush(); err != nil {
				os.Exit(3)
			}
		}
	}
	os.Exit(0)
}

// killedRecording runs the helper, kills it with SIGKILL about 2.75 s after
// it reported ready and returns the file and the time it was recording.
func killedRecording(t *testing.T, kind string) (string, time.Duration) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rec."+kind)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+kind, helperPathEnv+"="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan error, 1)
	go func() {
		line, err := bufio.NewReader(out).ReadString('\n')
		if err == nil && line != "ready\n" {
			err = fmt.Errorf("helper said %q", line)
		}
		ready <- err
	}()
	select {
	case err := <-ready:
		if err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("helper: %v\n%s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper not ready\n%s", stderr.String())
	}
	start := time.Now()
	<-time.After(2750 * time.Millisecond) // the recording length under test, not synchronisation
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("helper did not die of SIGKILL: %v\n%s", err, stderr.String())
	}
	return path, elapsed
}

func TestCrashWAV(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child for 2.75 s")
	}
	path, elapsed := killedRecording(t, "wav")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h, err := ParseWAVHeader(b)
	if err != nil {
		t.Fatalf("killed file has no valid header: %v", err)
	}
	fm := h.Format
	claimed := samplesDuration(int64(h.DataSize)/int64(fm.BlockAlign()), fm.SampleRate)
	t.Logf("recorded %v, header says %v, file %d bytes", elapsed, claimed, len(b))
	if claimed < elapsed-time.Second {
		t.Errorf("header says %v after %v of recording: more than 1 s lost", claimed, elapsed)
	}
	if int64(h.DataSize) > int64(len(b))-h.DataOffset {
		t.Errorf("header claims %d bytes, %d present", h.DataSize, int64(len(b))-h.DataOffset)
	}
	if _, err := exec.LookPath("soxi"); err == nil {
		d := toolSeconds(t, tool(t, "soxi", "-D", path))
		if d < elapsed-time.Second {
			t.Errorf("soxi says %v after %v of recording", d, elapsed)
		}
		tool(t, "sox", path, "-n", "stat") // decodes the whole file
	} else {
		t.Log("soxi not installed (Debian package sox): player check skipped")
	}
	res, err := Repair(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Repair: %+v", res)
	b, _ = os.ReadFile(path)
	h, _ = ParseWAVHeader(b)
	if int64(h.DataSize) != int64(len(b))-h.DataOffset || h.RIFFSize != uint32(len(b)-8) || res.Duration < claimed {
		t.Fatalf("after Repair %+v: data %d riff %d file %d", res, h.DataSize, h.RIFFSize, len(b))
	}
	if res.Duration < elapsed-time.Second {
		t.Errorf("repaired %v of %v recorded", res.Duration, elapsed) // audio still buffered at the kill is lost
	}
	if again, err := Repair(path); err != nil || again.Changed {
		t.Fatalf("second Repair %+v %v", again, err)
	}
}

func TestCrashOgg(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child for 2.75 s")
	}
	path, elapsed := killedRecording(t, "ogg")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ReadOgg(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("killed file: %v", err) // pages are written whole, so no partial one
	}
	t.Logf("recorded %v, last page at %v, %d pages", elapsed, s.Duration(), s.Pages)
	if s.Duration() < elapsed-time.Second {
		t.Errorf("last page at %v after %v of recording: more than 1 s lost", s.Duration(), elapsed)
	}
	if _, err := exec.LookPath("ffprobe"); err == nil {
		tool(t, "ffmpeg", "-nostdin", "-v", "error", "-i", path, "-f", "null", "-")
		d := toolSeconds(t, tool(t, "ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path))
		if d < elapsed-time.Second {
			t.Errorf("ffprobe says %v after %v of recording", d, elapsed)
		}
	} else {
		t.Log("ffprobe not installed (Debian package ffmpeg): player check skipped")
	}
	res, err := Repair(path)
	if err != nil || res.Duration != s.Duration() || res.Changed {
		t.Fatalf("Repair %+v %v, want %v unchanged", res, err, s.Duration())
	}
}
