package demo

import (
	"bytes"
	_ "embed"
	"fmt"

	"github.com/callrec/callrec/internal/record/container"
)

// The speech clips: the project's fixtures (test/testdata/audio,
// synthetic speech by espeak-ng) converted to 8 kHz µ-law WAV by sox,
// about 100 KB each, so the binary carries them at G.711's own size.
var (
	//go:embed speech/caller.wav
	callerWAV []byte
	//go:embed speech/agent.wav
	agentWAV []byte
)

// CallerSpeech is the caller's clip (caller-8k.wav, a customer, en-us):
// 8 kHz G.711 µ-law samples, about 12.5 s.
func CallerSpeech() []byte { return mustUlaw(callerWAV) }

// AgentSpeech is the callee's clip (agent-8k.wav, a support agent,
// en-gb): 8 kHz G.711 µ-law samples, about 11.3 s.
func AgentSpeech() []byte { return mustUlaw(agentWAV) }

func mustUlaw(wav []byte) []byte {
	f, data, err := container.ReadWAV(bytes.NewReader(wav))
	if err != nil || f.Encoding != container.EncodingPCMU || f.SampleRate != 8000 || f.Channels != 1 {
		panic(fmt.Sprintf("demo: embedded speech is not 8 kHz mono µ-law WAV: %+v %v", f, err))
	}
	return data
}
