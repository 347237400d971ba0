package test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/api"
	"github.com/callrec/callrec/internal/app"
	"github.com/callrec/callrec/internal/config"
	"github.com/callrec/callrec/internal/ship/s3test"
)

// The API tokens of TestServeAPI's callrec serve.
const (
	e2eViewer = "e2e-viewer-token-0123456789"
	e2eAdmin  = "e2e-admin-token-0123456789"
)

// apiDo sends method path to the node's API with token ("" for none)
// and returns the response and its body.
func apiDo(t *testing.T, n *app.Node, method, path, token string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+n.HTTP+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	cl := &http.Client{Timeout: 10 * time.Second}
	res, err := cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

// TestServeAPI records a real sipp call through `callrec serve` and
// uses the HTTP API as the web UI and the CLI do: while the call runs,
// GET /api/calls shows it with both streams' live quality, and the
// recording is paused and resumed; after it, the search finds the
// recording, its audio downloads whole (sha256 equal to the catalogue's
// checksum) and in ranges, and an admin deletes it. The audio is served
// from the recordings directory, from database BLOBs and from S3.
func TestServeAPI(t *testing.T) {
	RequireBinary(t, "sipp", "sip-tester")
	for _, kind := range []string{"local", "blob", "s3"} {
		t.Run(kind, func(t *testing.T) {
			var storage config.Storage
			switch kind {
			case "local":
				storage = config.Default().Storage
			case "blob":
				storage = config.Storage{Kind: "blob", ChunkSize: 4096, Interval: config.Duration(200 * time.Millisecond)}
			case "s3":
				srv := s3test.Start(t, "recordings")
				storage = config.Storage{Kind: "s3", Interval: config.Duration(200 * time.Millisecond),
					S3: config.S3{Bucket: "recordings", Prefix: "api/", Endpoint: srv.Endpoint, PathStyle: true,
						AccessKey: s3test.AccessKey, SecretKey: s3test.SecretKey}}
			}
			serveAPI(t, storage)
		})
	}
}

func serveAPI(t *testing.T, storage config.Storage) {
	var node *app.Node
	var live api.LiveCall
	var paused, resumed api.CallResult
	during := func(n *app.Node, callID string) {
		path := "/api/calls/" + url.PathEscape(callID) + "/record"
		if res, b := apiDo(t, n, "GET", "/api/calls", ""); res.StatusCode != 401 {
			t.Errorf("anonymous GET /api/calls: %d %s", res.StatusCode, b)
		}
		res, b := apiDo(t, n, "GET", "/api/calls", e2eViewer)
		var list api.CallList
		if res.StatusCode != 200 || json.Unmarshal(b, &list) != nil || len(list.Calls) != 1 {
			t.Fatalf("GET /api/calls: %d %s", res.StatusCode, b)
		}
		live = list.Calls[0]
		if res, b := apiDo(t, n, "POST", path+"/pause", e2eViewer); res.StatusCode != 403 {
			t.Errorf("viewer pause: %d %s", res.StatusCode, b)
		}
		res, b = apiDo(t, n, "POST", path+"/pause", e2eAdmin)
		if res.StatusCode != 200 || json.Unmarshal(b, &paused) != nil || !paused.Call.Paused || len(paused.Call.Streams) != 2 {
			t.Fatalf("pause: %d %s", res.StatusCode, b)
		}
		// Let 25 packets (0.5 s) of the caller's tone reach the paused
		// recording, as the live counters show.
		deadline := time.Now().Add(10 * time.Second)
		for seen := paused.Call.Streams[0].Packets; ; {
			if time.Now().After(deadline) {
				t.Fatalf("no packets relayed while paused (from %d)", seen)
			}
			res, b := apiDo(t, n, "GET", "/api/calls", e2eViewer)
			var l api.CallList
			if res.StatusCode != 200 || json.Unmarshal(b, &l) != nil || len(l.Calls) != 1 || len(l.Calls[0].Streams) != 2 {
				t.Fatalf("GET /api/calls while paused: %d %s", res.StatusCode, b)
			}
			if !l.Calls[0].Paused {
				t.Errorf("paused call listed as %+v", l.Calls[0])
			}
			if l.Calls[0].Streams[0].Packets >= seen+25 {
				break
			}
			time.Sleep(20 * time.Millisecond) // the counters have no notification; poll
		}
		res, b = apiDo(t, n, "POST", path+"/resume", e2eAdmin)
		if res.StatusCode != 200 || json.Unmarshal(b, &resumed) != nil {
			t.Errorf("resume: %d %s", res.StatusCode, b)
		}
		res, b = apiDo(t, n, "POST", "/api/calls/no-such-call/record/pause", e2eAdmin)
		if res.StatusCode != 404 || !strings.Contains(string(b), `"not_found"`) {
			t.Errorf("pause of an unknown call: %d %s", res.StatusCode, b)
		}
	}
	m := serveCallAs(t, serveUAC{scenario: "uac_rtp.xml", during: during}, func(c *config.Config, uas string) {
		c.Serve.Routes = []config.Route{{Destination: "sip:" + uas}}
		c.Serve.APITokens = []config.APIToken{{Name: "ui", Token: e2eViewer, Role: "viewer"},
			{Name: "ops", TokenHash: sha256Hex(e2eAdmin), Role: "admin"}}
		c.Storage = storage
	}, func(_ *testing.T, n *app.Node, _ string) { node = n })
	n := node

	// The live call: parties, duration, media node and both streams'
	// quality (the tone flowed both ways on loopback: no loss).
	if live.CallID != m.CallID || !live.Recording || live.MediaNode != "local" || live.Duration <= 0 || len(live.Streams) != 2 {
		t.Errorf("live call %+v", live)
	}
	for _, s := range live.Streams {
		if s.Packets < 50 || s.Lost != 0 || s.Loss != 0 || s.MOS < 4 || s.JitterMs < 0 || s.JitterMs > 40 {
			t.Errorf("live stream %+v", s)
		}
	}
	if paused.Call.CallID != m.CallID || resumed.Call.CallID != m.CallID || resumed.Call.Paused {
		t.Errorf("pause/resume answered %+v / %+v", paused, resumed)
	}

	// Search by Call-ID and by the caller's number; the row is complete
	// with the recorder's checksum (serveCallAs waited for it).
	var rec api.Recording
	for _, q := range []string{"call_id=" + url.QueryEscape(m.CallID), "number=uac&status=complete&event=pause"} {
		res, b := apiDo(t, n, "GET", "/api/recordings?"+q, e2eViewer)
		var page api.RecordingPage
		if res.StatusCode != 200 || json.Unmarshal(b, &page) != nil || len(page.Items) != 1 || page.Next != "" {
			t.Fatalf("search %s: %d %s", q, res.StatusCode, b)
		}
		rec = page.Items[0]
	}
	if rec.CallID != m.CallID || rec.Status != "complete" || !strings.HasPrefix(rec.Checksum, "sha256:") || rec.ContentType != "audio/wav" ||
		len(rec.Legs) != 2 || rec.Legs[0].Packets < 50 {
		t.Errorf("recording %+v", rec)
	}
	var types []string
	for _, e := range rec.Events {
		types = append(types, e.Type)
	}
	if !strings.Contains(strings.Join(types, ","), "pause,resume") {
		t.Errorf("events %v, want the pause and resume", types)
	}
	// By id: its one audio file (stereo WAV), where the storage put it.
	res, b := apiDo(t, n, "GET", fmt.Sprintf("/api/recordings/%d", rec.ID), e2eViewer)
	var one api.Recording
	if res.StatusCode != 200 || json.Unmarshal(b, &one) != nil || len(one.Files) != 1 || one.Files[0].Bytes != rec.Size {
		t.Errorf("GET recording %d: %d %s", rec.ID, res.StatusCode, b)
	}
	if res, b := apiDo(t, n, "GET", rec.Audio, ""); res.StatusCode != 401 {
		t.Errorf("anonymous audio: %d %.200s", res.StatusCode, b)
	}
	res, full := apiDo(t, n, "GET", rec.Audio+"?download=1", e2eViewer)
	sum := sha256.Sum256(full)
	if res.StatusCode != 200 || "sha256:"+hex.EncodeToString(sum[:]) != rec.Checksum || int64(len(full)) != rec.Size ||
		res.Header.Get("Content-Type") != "audio/wav" || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("audio: %d %v, %d bytes, sha256 %x, want %s of %d", res.StatusCode, res.Header, len(full), sum, rec.Checksum, rec.Size)
	}
	// Seek as a browser does: half a second in, and the last bytes.
	off := 44 + 16000
	if len(full) < off+2000 {
		t.Fatalf("recording of %d bytes", len(full))
	}
	res, part := apiDo(t, n, "GET", rec.Audio, e2eViewer, "Range", fmt.Sprintf("bytes=%d-%d", off, off+1999))
	if res.StatusCode != 206 || string(part) != string(full[off:off+2000]) ||
		res.Header.Get("Content-Range") != fmt.Sprintf("bytes %d-%d/%d", off, off+1999, len(full)) {
		t.Errorf("range: %d %v, %d bytes", res.StatusCode, res.Header, len(part))
	}
	res, part = apiDo(t, n, "GET", rec.Audio, e2eViewer, "Range", "bytes=-500")
	if res.StatusCode != 206 || string(part) != string(full[len(full)-500:]) {
		t.Errorf("suffix range: %d, %d bytes", res.StatusCode, len(part))
	}
	t.Logf("%s: %d bytes of audio at %s, live streams %+v", rec.Key, len(full), rec.Location, live.Streams)

	// Delete: a viewer may not, an admin does; the audio is then gone.
	id := fmt.Sprint(rec.ID)
	if res, b := apiDo(t, n, "DELETE", "/api/recordings/"+id, e2eViewer); res.StatusCode != 403 {
		t.Errorf("viewer delete: %d %s", res.StatusCode, b)
	}
	if res, b := apiDo(t, n, "DELETE", "/api/recordings/"+id, e2eAdmin); res.StatusCode != 204 {
		t.Fatalf("delete: %d %s", res.StatusCode, b)
	}
	if res, b := apiDo(t, n, "GET", rec.Audio, e2eViewer); res.StatusCode != 410 {
		t.Errorf("audio after delete: %d %.200s", res.StatusCode, b)
	}
	if res, b := apiDo(t, n, "GET", "/api/recordings?status=deleted", e2eViewer); res.StatusCode != 200 || !strings.Contains(string(b), m.CallID) {
		t.Errorf("deleted recording not found as deleted: %d %.300s", res.StatusCode, b)
	}
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
