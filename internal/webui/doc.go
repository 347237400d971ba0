// Package webui is callrec serve's browser interface: plain HTML, CSS
// and JavaScript ES modules embedded in the binary (go:embed), so the
// user's machine needs no separate server and no build step. It talks
// to the JSON API of internal/api only; it holds no state of its own.
//
// Pages (hash routes, so every deep link is served by the one index):
//
//	#/recordings       search with filters (time, party, number, duration, status, label,
//	                   keyword, event)
//	#/recordings/{id}  player: two-channel waveform (caller top, callee bottom), DTMF markers,
//	                   keyword flags that seek when clicked, <audio> playing
//	                   /api/recordings/{id}/audio, download
//	#/calls            live calls with quality and record/stop/pause/resume buttons, and
//	                   keywords as they are spotted (EventSource on GET /api/events)
//	#/routes, #/users  the proxy's routes and users
//	#/login            session login (POST /api/login), shown when the API answers 401
//
// The waveform is decoded in the browser with the Web Audio API
// (decodeAudioData) and drawn on a canvas; no JavaScript library is
// used. Keyboard: every control is a labelled form element or button in
// document order; on the player, Space or k plays and pauses, Left/Right
// or j/l seek 5 s, Home goes to the start.
//
// Mount's handlers start no goroutines and are safe for concurrent use.
// Everything is served Cache-Control: no-cache (embed.FS has no
// modification times), so a new binary's UI is picked up at once.
package webui
