package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/callrec/callrec/internal/codec"
	"github.com/callrec/callrec/internal/record/container"
	"github.com/callrec/callrec/internal/spot"
)

func init() {
	register("spot", "spot keywords in a WAV recording, one JSON line per detection (--keywords cancel,refund FILE.wav), or serve the ASR streaming interface (--listen ADDR)", runSpot)
}

func runSpot(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("spot", flag.ContinueOnError)
	keywords := fs.String("keywords", "", "comma-separated keywords, each optionally with a detection threshold: cancel,refund/1e-30,speak to a manager/1e-40 (default threshold 1e-20; smaller finds more)")
	model := fs.String("model", spot.DefaultModelDir, "PocketSphinx acoustic model directory (Debian package pocketsphinx-en-us)")
	dict := fs.String("dict", spot.DefaultDict, "pronunciation dictionary; every keyword word must be in it")
	listen := fs.String("listen", "", "serve the ASR streaming interface over TCP on this address (docs/asr-stream.md) instead of reading a file")
	wsListen := fs.String("ws-listen", "", "serve the ASR streaming interface over WebSocket on this address")
	token := fs.String("token", os.Getenv("CALLREC_SPOT_TOKEN"), "with --listen: token every stream header must carry (env CALLREC_SPOT_TOKEN)")
	tlsCert := fs.String("tls-cert", "", "with --listen: PEM certificate (serve tls:// and wss://)")
	tlsKey := fs.String("tls-key", "", "with --listen: PEM private key")
	maxLegs := fs.Int("max-legs", 64, "with --listen: legs spotted at once (about 30 MB each); more are refused")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `usage: callrec spot --keywords WORD[/THRESHOLD],... FILE.wav
       callrec spot --listen ADDR [--ws-listen ADDR] [--keywords ...] [--token T] [--tls-cert C --tls-key K]

Runs callrec's built-in offline keyword spotter (PocketSphinx, en-US)
over a recording and prints one JSON line per detection:
  {"keyword":"cancel","channel":0,"start":6.82,"end":7.3,"confidence":0.81}
start and end are seconds from the start of the file. Each channel of a
stereo WAV is spotted separately (channel 0 = caller, 1 = callee). Reads
16-bit PCM, 8-bit PCM and G.711 WAV files at any rate callrec records.

With --listen (and/or --ws-listen) it is instead the reference engine of
callrec's ASR streaming interface (docs/asr-stream.md): a recorder
configured with its URL streams each call leg's audio to it, and it sends
back the keywords it spots (the call's keywords, or --keywords for all),
so that spotting can run on another host.

flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *listen != "" || *wsListen != "" {
		if fs.NArg() != 0 {
			return fmt.Errorf("spot: --listen takes no file")
		}
		o := spotServe{listen: *listen, wsListen: *wsListen, certFile: *tlsCert, keyFile: *tlsKey, token: *token, model: *model, dict: *dict, maxLegs: *maxLegs}
		if *keywords != "" {
			kws, err := spot.ParseKeywords(*keywords)
			if err != nil {
				return err
			}
			o.keywords = kws
		}
		return o.run(ctx)
	}
	if fs.NArg() != 1 || *keywords == "" {
		fs.Usage()
		return fmt.Errorf("spot: want --keywords and one FILE.wav")
	}
	kws, err := spot.ParseKeywords(*keywords)
	if err != nil {
		return err
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("spot: %w", err)
	}
	defer f.Close()
	ft, data, err := container.ReadWAV(f)
	if err != nil {
		return fmt.Errorf("spot: %s: %w", fs.Arg(0), err)
	}
	chans, err := deinterleave(ft, data)
	if err != nil {
		return fmt.Errorf("spot: %s: %w", fs.Arg(0), err)
	}
	enc := json.NewEncoder(os.Stdout)
	for ch, pcm := range chans {
		s, err := spot.New(spot.Config{Keywords: kws, SampleRate: ft.SampleRate, ModelDir: *model, Dict: *dict})
		if err != nil {
			return err
		}
		const step = 16000 // samples per Write; checks ctx in between
		for len(pcm) > 0 && ctx.Err() == nil {
			n := min(step, len(pcm))
			if err := s.Write(pcm[:n]); err != nil {
				s.Close()
				return err
			}
			pcm = pcm[n:]
			if err := printDetections(enc, ch, s.Detections()); err != nil {
				s.Close()
				return err
			}
		}
		err = s.Flush()
		if err == nil {
			err = printDetections(enc, ch, s.Detections())
		}
		s.Close()
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

// spotLine is one line of callrec spot's output.
type spotLine struct {
	Keyword    string  `json:"keyword"`
	Channel    int     `json:"channel"`
	Start      float64 `json:"start"`
	End        float64 `json:"end"`
	Confidence float64 `json:"confidence"`
}

func printDetections(enc *json.Encoder, ch int, ds []spot.Detection) error {
	for _, d := range ds {
		if err := enc.Encode(spotLine{d.Keyword, ch, round3(d.Start.Seconds()), round3(d.End.Seconds()), round3(d.Confidence)}); err != nil {
			return fmt.Errorf("spot: %w", err)
		}
	}
	return nil
}

func round3(v float64) float64 { return float64(int64(v*1000+0.5)) / 1000 }

// deinterleave decodes a WAV payload to 16-bit PCM, one slice per channel.
func deinterleave(ft container.Format, data []byte) ([][]int16, error) {
	if ft.Channels < 1 || ft.Channels > 2 {
		return nil, fmt.Errorf("%d channels (want 1 or 2)", ft.Channels)
	}
	var sample func(i int) int16
	width := 1
	switch ft.Encoding {
	case container.EncodingPCM16:
		width = 2
		sample = func(i int) int16 { return int16(uint16(data[2*i]) | uint16(data[2*i+1])<<8) }
	case container.EncodingPCM8:
		sample = func(i int) int16 { return (int16(data[i]) - 128) << 8 }
	case container.EncodingPCMU:
		sample = func(i int) int16 { return codec.UlawDecode(data[i]) }
	case container.EncodingPCMA:
		sample = func(i int) int16 { return codec.AlawDecode(data[i]) }
	default:
		return nil, fmt.Errorf("encoding %s not supported (want PCM or G.711)", ft.Encoding)
	}
	frames := len(data) / width / ft.Channels
	out := make([][]int16, ft.Channels)
	for c := range out {
		out[c] = make([]int16, frames)
		for i := range frames {
			out[c][i] = sample(i*ft.Channels + c)
		}
	}
	return out, nil
}
