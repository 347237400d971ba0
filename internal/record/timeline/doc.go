// Package timeline turns the RTP packets of each leg of a call into PCM
// on one recording clock and combines two legs (recorder, issue #4).
//
// The package is pure: no I/O, no goroutines, no logging. A Leg is used
// from one goroutine (the recorder's goroutine for that recording), which
// Pushes copies of the relayed packets with their arrival times and
// periodically Pulls audio up to "now minus the jitter delay".
//
// # Recording clock
//
// Arrival times and Pull's upTo are nanoseconds on one caller clock (the
// relay's receive timestamps). LegConfig.Start is sample 0: sample k of a
// leg's output is the instant Start + k/SampleRate. Pull writes exactly
// the samples from where the last Pull ended up to upTo, so successive
// Pulls tile the timeline with no gap or overlap, and a recording's
// length equals the wall-clock time it spans, whatever arrives: hold,
// silence suppression and loss are zeros.
//
// # Placement
//
// The first packet of a stream anchors its RTP timestamp to its arrival
// time. Every later packet is placed by timestamp alone,
// anchor + (ts − anchorTS)·rate/clock, so network jitter does not move
// audio. Packets are held in a reorder buffer (64 packets) ordered by
// extended sequence number and released in order when contiguous, when
// the missing predecessor has been awaited for Window (default 120 ms)
// of later arrivals, or when Pull reaches their place. Decoding happens
// at release, in sequence order, as stateful codecs require. A packet
// whose sequence number was already released is a duplicate (received
// before) or late (given up); audio placed before the last Pull is late.
//
// The leg re-anchors to the arrival time (a hard re-anchor) when the SSRC
// changes, the sequence number jumps by more than 1000, the timestamp
// goes backwards or lands more than 1 s away from where the arrival time
// predicts, the clock rate changes with the audio payload type, or a marker bit
// starts a talkspurt after more than 200 ms of silence at more than
// 20 ms from its predicted place.
//
// # Drift
//
// For each decodable audio packet (not events, CN or undecodable
// payloads) the leg measures offset = arrival − placement.
// The minimum over the last one to two seconds is the least-delayed
// packet's offset: it ignores queueing jitter and follows sender clock
// drift and changes of the base delay. Once it exceeds 10 ms the leg
// corrects the placement smoothly until it is within 1 ms: in one step at
// a cut point (a marker bit or a gap before the packet, where nothing
// audible is cut), by up to 5 ms at a quiet packet, and otherwise by up
// to 2 ms every 500 ms. A step moves all later audio: earlier drops
// samples (the previous packet's tail is overwritten), later inserts
// silence. A sender 0.1% fast thus loses about 10 ms every 10 s at its
// pauses, and a leg stays within about 20 ms of the wall clock over any
// length of call.
//
// # Alignment
//
// "Aligned" means a sound is placed at the instant its least-delayed
// packet reached the relay. Two legs fed accurately (arrival = send
// time + constant) are placed by the same arithmetic and agree to within
// a sample plus the resampler's rounded group delay, well under 1 ms;
// network jitter alone never moves audio, drift moves it by at most the
// drift filter's 10 ms trigger.
//
// # Decoding
//
// Payload types resolve through LegConfig.Payloads, then RFC 3551 static
// types, then 101 as telephone-event/8000. Decoders come from
// internal/codec (or LegConfig.NewDecoder); their PCM is downmixed to
// mono and resampled to the recording rate with codec.Resampler, whose
// group delay is compensated in the placement, as is G.722's QMF delay
// (1.375 ms); other codecs' algorithmic delay (Opus, G.729 lookahead) is
// not. A loss of up to 60 ms is
// filled by the decoder's Concealer when it has one (Opus, G.729),
// otherwise by silence. Comfort noise (CN) is rendered as silence.
// Payloads that cannot be decoded are counted, rendered as silence and
// handed to LegConfig.OnRaw so the recorder can keep them in a raw dump.
// RFC 4733 telephone events are never rendered as audio: they are
// de-duplicated (one Event per timestamp, the first end packet finishes
// it) and drained with Events.
//
// # Memory and ownership
//
// NewLeg allocates everything the steady state needs: the PCM ring
// (LegConfig.Buffer, default 4 s, at the recording rate) and 32 reorder
// slots, whose storage grows to the payload sizes met (at most MaxPayload). Push copies the payload it keeps, so the
// caller may reuse its packet buffer at once; Pull writes into the
// caller's slice. After the first packet of each payload type (which
// builds its decoder) and the first frame of each size, Push and Pull
// allocate nothing.
//
// Mix, Interleave, and two separate Pull outputs are the three ways to
// combine legs into a recording.
package timeline
