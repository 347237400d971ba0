// Command spotpcap writes the audio of bench/spot.sh's calls: the
// caller's speech as a pcap of G.711 µ-law RTP for sipp's
// play_pcap_audio, and the agent's speech as raw µ-law for sipp's
// rtp_stream. Both are the speech fixtures of test/testdata/audio
// (8 kHz), each followed by a second of silence and repeated to -secs.
//
//	go run ./bench/spotpcap -out DIR [-secs 30]   # DIR/caller.pcap, DIR/agent.ulaw
package main

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/callrec/callrec/internal/bench"
	"github.com/callrec/callrec/internal/codec"
	"github.com/callrec/callrec/internal/record/container"
)

func main() {
	audio := flag.String("audio", "test/testdata/audio", "directory of caller-8k.wav and agent-8k.wav")
	out := flag.String("out", ".", "directory to write caller.pcap and agent.ulaw to")
	secs := flag.Int("secs", 30, "seconds of audio in each file")
	flag.Parse()
	if err := run(*audio, *out, *secs); err != nil {
		fmt.Fprintln(os.Stderr, "spotpcap:", err)
		os.Exit(1)
	}
}

func run(audioDir, outDir string, secs int) error {
	var speech [2][]byte
	for i, name := range []string{"caller-8k.wav", "agent-8k.wav"} {
		u, err := readMulaw(filepath.Join(audioDir, name))
		if err != nil {
			return err
		}
		speech[i] = looped(u, secs*8000)
	}
	if err := os.WriteFile(filepath.Join(outDir, "caller.pcap"), rtpPcap(speech[0]), 0o644); err != nil {
		return fmt.Errorf("write pcap: %w", err)
	}
	if err := os.WriteFile(filepath.Join(outDir, "agent.ulaw"), speech[1], 0o644); err != nil {
		return fmt.Errorf("write ulaw: %w", err)
	}
	return nil
}

// readMulaw reads an 8 kHz 16-bit mono WAV file as µ-law.
func readMulaw(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, data, err := container.ReadWAV(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if f.Encoding != container.EncodingPCM16 || f.SampleRate != 8000 || f.Channels != 1 {
		return nil, fmt.Errorf("%s: %s %d Hz %d channels, want pcm16 8000 Hz mono", path, f.Encoding, f.SampleRate, f.Channels)
	}
	u := make([]byte, len(data)/2)
	for i := range u {
		u[i] = codec.UlawEncode(int16(binary.LittleEndian.Uint16(data[2*i:])))
	}
	return u, nil
}

// looped is speech, then a second of silence, repeated to n bytes.
func looped(speech []byte, n int) []byte {
	unit := append(append([]byte{}, speech...), bytes.Repeat([]byte{0xff}, 8000)...)
	out := make([]byte, 0, n)
	for len(out) < n {
		out = append(out, unit[:min(len(unit), n-len(out))]...)
	}
	return out
}

// rtpPcap is audio as 20 ms RTP packets (PCMU, 160 bytes each) in a
// classic pcap file, 127.0.0.2:40000 to 127.0.0.1:40000: sipp replays the
// UDP payloads with the capture's timing to the address of the call's SDP.
func rtpPcap(audio []byte) []byte {
	return bench.RTPPcap(bench.RTPCapture{Src: netip.MustParseAddrPort("127.0.0.2:40000"),
		Dst: netip.MustParseAddrPort("127.0.0.1:40000"), SSRC: 0x5907, Audio: audio})
}
