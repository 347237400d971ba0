package api

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/callrec/callrec/internal/record"
)

// TestSearchRecordings runs the catalogue's filters through the query
// string and pages with the cursor.
func TestSearchRecordings(t *testing.T) {
	f := newFixture(t, nil)
	search := func(query string) (RecordingPage, int) {
		t.Helper()
		res, b := f.do("GET", "/api/recordings?"+query, viewerToken, "")
		var p RecordingPage
		if res.StatusCode == 200 {
			if err := json.Unmarshal(b, &p); err != nil {
				t.Fatalf("%s: %v", b, err)
			}
		}
		return p, res.StatusCode
	}
	ids := func(p RecordingPage) []int64 {
		var out []int64
		for _, r := range p.Items {
			out = append(out, r.ID)
		}
		return out
	}
	a, b, c := f.recs[0].ID, f.recs[1].ID, f.recs[2].ID
	for _, tc := range []struct {
		query string
		want  []int64
	}{
		{"", []int64{c, b, a}},
		{"number=1001", []int64{a}},
		{"party=" + url.QueryEscape("1002@example"), []int64{b}},
		{"status=recording", []int64{c}},
		{"label=team%3Dsales", []int64{a}},
		{"label=" + "legal_hold", []int64{b}},
		{"event=dtmf%3D5", []int64{a}},
		{"keyword=refund", []int64{b}},
		{"event=keyword", []int64{b}},
		{"keyword=cancel", nil},
		{"call_id=" + url.QueryEscape("call-b@test"), []int64{b}},
		{"min_duration=3", []int64{c, b}},
		{"max_duration=2.5s", []int64{a}},
		{"from=2026-11-24T10:01:00Z&to=2026-11-24T10:02:00Z", []int64{b}},
		{"from=2026-11-25", nil},
	} {
		p, code := search(tc.query)
		if got := ids(p); code != 200 || fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("?%s: %d %v, want %v", tc.query, code, got, tc.want)
		}
	}
	// Pages of one: three pages, then no cursor.
	var seen []int64
	cursor := ""
	for range 4 {
		p, code := search("limit=1&cursor=" + url.QueryEscape(cursor))
		if code != 200 || len(p.Items) != 1 {
			t.Fatalf("page: %d %+v", code, p)
		}
		seen = append(seen, p.Items[0].ID)
		if cursor = p.Next; cursor == "" {
			break
		}
	}
	if fmt.Sprint(seen) != fmt.Sprint([]int64{c, b, a}) {
		t.Errorf("paged %v", seen)
	}
	for _, q := range []string{"from=yesterday", "min_duration=-1", "limit=5000", "status=lost", "cursor=garbage", "keyword=refund&event=dtmf"} {
		res, body := f.do("GET", "/api/recordings?"+q, viewerToken, "")
		wantError(t, q, res, body, 400, CodeBadRequest)
	}
}

// TestGetRecording checks the metadata, by id and by key.
func TestGetRecording(t *testing.T) {
	f := newFixture(t, nil)
	want := f.recs[0]
	for _, path := range []string{"/api/recordings/" + strconv.FormatInt(want.ID, 10), "/api/recordings/" + url.PathEscape(want.Key)} {
		res, b := f.do("GET", path, viewerToken, "")
		var r Recording
		if res.StatusCode != 200 || json.Unmarshal(b, &r) != nil {
			t.Fatalf("%s: %d %s", path, res.StatusCode, b)
		}
		if r.ID != want.ID || r.Checksum != want.Checksum || r.ContentType != "audio/wav" || r.Duration != 2 ||
			len(r.Legs) != 2 || r.Legs[0].Party != "caller" || r.Legs[0].Lost != 2 || r.Legs[0].Loss != 2.0/102 ||
			r.Legs[0].MOS < 4 || r.Labels["team"] != "sales" || len(r.Events) != 1 || r.Events[0].At != 1.5 || r.Events[0].Value != "5" ||
			r.Audio != fmt.Sprintf("/api/recordings/%d/audio", want.ID) {
			t.Errorf("%s: %s", path, b)
		}
	}
	// A keyword shows its confidence and what found it.
	res, b := f.do("GET", "/api/recordings/"+strconv.FormatInt(f.recs[1].ID, 10), viewerToken, "")
	var r Recording
	if res.StatusCode != 200 || json.Unmarshal(b, &r) != nil || len(r.Events) != 1 ||
		r.Events[0] != (Event{Type: "keyword", At: 1.2, Duration: 0.4, Party: "callee", Value: "refund", Confidence: 0.82, Source: "spot"}) {
		t.Errorf("keyword event: %d %s", res.StatusCode, b)
	}
	res, b = f.do("GET", "/api/recordings/99999", viewerToken, "")
	wantError(t, "unknown id", res, b, 404, CodeNotFound)
	res, b = f.do("GET", "/api/recordings/nonsense", viewerToken, "")
	wantError(t, "bad id", res, b, 400, CodeBadRequest)
}

// TestAudioRange downloads a WAV whole and in ranges, as a browser
// seeking does.
func TestAudioRange(t *testing.T) {
	f := newFixture(t, nil)
	rec := f.recs[0]
	path := fmt.Sprintf("/api/recordings/%d/audio", rec.ID)
	full, err := os.ReadFile(filepath.Join(f.dir, rec.Location))
	if err != nil {
		t.Fatal(err)
	}
	res, b := f.do("GET", path, viewerToken, "")
	sum := sha256.Sum256(b)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "audio/wav" || "sha256:"+hex.EncodeToString(sum[:]) != rec.Checksum ||
		res.Header.Get("Accept-Ranges") != "bytes" || res.Header.Get("Content-Disposition") != "" {
		t.Fatalf("full: %d %v, %d bytes", res.StatusCode, res.Header, len(b))
	}
	if res.Header.Get("Cache-Control") != "private" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("full: caching headers %v", res.Header)
	}
	etag := res.Header.Get("ETag")
	// Seek to 1 s into the data (44-byte header, 32000 bytes a second).
	off := 44 + 32000
	res, b = f.do("GET", path, viewerToken, "", "Range", fmt.Sprintf("bytes=%d-%d", off, off+3999))
	if res.StatusCode != 206 || string(b) != string(full[off:off+4000]) ||
		res.Header.Get("Content-Range") != fmt.Sprintf("bytes %d-%d/%d", off, off+3999, len(full)) {
		t.Errorf("range: %d %v, %d bytes", res.StatusCode, res.Header, len(b))
	}
	res, b = f.do("GET", path, viewerToken, "", "Range", "bytes=-100")
	if res.StatusCode != 206 || string(b) != string(full[len(full)-100:]) {
		t.Errorf("suffix range: %d, %d bytes", res.StatusCode, len(b))
	}
	res, _ = f.do("GET", path, viewerToken, "", "Range", fmt.Sprintf("bytes=%d-", len(full)+10))
	if res.StatusCode != 416 {
		t.Errorf("range past the end: %d", res.StatusCode)
	}
	res, b = f.do("GET", path, viewerToken, "", "Range", "bytes=0-9", "If-Range", etag)
	if etag == "" || res.StatusCode != 206 || len(b) != 10 {
		t.Errorf("If-Range with the ETag %s: %d", etag, res.StatusCode)
	}
	res, _ = f.do("GET", path+"?download=1", viewerToken, "")
	if cd := res.Header.Get("Content-Disposition"); res.StatusCode != 200 || cd != `attachment; filename="call-a.wav"` {
		t.Errorf("download: %d %q", res.StatusCode, cd)
	}
	// The recording in progress is served as far as it is written, uncached.
	res, b = f.do("GET", fmt.Sprintf("/api/recordings/%d/audio", f.recs[2].ID), viewerToken, "")
	if res.StatusCode != 200 || len(b) != int(f.recs[2].Size) || res.Header.Get("ETag") != "" {
		t.Errorf("recording in progress: %d %v", res.StatusCode, res.Header)
	}
	// Audio gone from disk: 404.
	os.Remove(filepath.Join(f.dir, f.recs[1].Location))
	res, b = f.do("GET", fmt.Sprintf("/api/recordings/%d/audio", f.recs[1].ID), viewerToken, "")
	wantError(t, "missing file", res, b, 404, CodeNotFound)
}

// TestDeleteRecording deletes through the retention remover; legal
// hold and recordings in progress are refused.
func TestDeleteRecording(t *testing.T) {
	f := newFixture(t, nil)
	del := func(r int) (int, []byte) {
		res, b := f.do("DELETE", fmt.Sprintf("/api/recordings/%d", f.recs[r].ID), adminToken, "")
		return res.StatusCode, b
	}
	if code, b := del(0); code != 204 {
		t.Fatalf("delete: %d %s", code, b)
	}
	if _, err := os.Stat(filepath.Join(f.dir, f.recs[0].Location)); !os.IsNotExist(err) {
		t.Errorf("audio still on disk: %v", err)
	}
	res, b := f.do("GET", fmt.Sprintf("/api/recordings/%d", f.recs[0].ID), viewerToken, "")
	var r Recording
	if json.Unmarshal(b, &r) != nil || r.Status != "deleted" || r.Reason == "" {
		t.Errorf("after delete: %d %s", res.StatusCode, b)
	}
	res, b = f.do("GET", fmt.Sprintf("/api/recordings/%d/audio", f.recs[0].ID), viewerToken, "")
	wantError(t, "audio of deleted", res, b, 410, CodeGone)
	res, b = f.do("DELETE", fmt.Sprintf("/api/recordings/%d", f.recs[0].ID), adminToken, "")
	wantError(t, "delete twice", res, b, 410, CodeGone)
	res, b = f.do("DELETE", fmt.Sprintf("/api/recordings/%d?force=1", f.recs[1].ID), adminToken, "")
	wantError(t, "legal hold", res, b, 409, CodeLegalHold)
	if _, err := os.Stat(filepath.Join(f.dir, f.recs[1].Location)); err != nil {
		t.Errorf("held audio: %v", err)
	}
	res, b = f.do("DELETE", fmt.Sprintf("/api/recordings/%d", f.recs[2].ID), adminToken, "")
	wantError(t, "recording", res, b, 409, CodeConflict)
}

// TestAudioFiles serves each file of a recording with layout separate
// (one per party, from its sidecar); raw payload dumps are not audio.
func TestAudioFiles(t *testing.T) {
	f := newFixture(t, nil)
	rec := f.recs[0]
	callee := wav(1)
	if err := os.WriteFile(filepath.Join(f.dir, "2026/11/24/call-a-callee.wav"), callee, 0o644); err != nil {
		t.Fatal(err)
	}
	m := record.Meta{CallID: rec.CallID, Files: []record.File{
		{Path: rec.Location, Party: "caller", Part: 1, Bytes: rec.Size},
		{Path: "2026/11/24/call-a.raw", Raw: true, Bytes: 10},
		{Path: "2026/11/24/call-a-callee.wav", Party: "callee", Part: 1, Bytes: int64(len(callee))},
	}}
	b, _ := json.Marshal(m)
	if err := os.WriteFile(filepath.Join(f.dir, "2026/11/24/call-a.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	res, body := f.do("GET", fmt.Sprintf("/api/recordings/%d", rec.ID), viewerToken, "")
	var r Recording
	if res.StatusCode != 200 || json.Unmarshal(body, &r) != nil || len(r.Files) != 2 ||
		r.Files[0].Party != "caller" || r.Files[1].Party != "callee" || r.Files[1].Index != 1 ||
		r.Files[1].Audio != fmt.Sprintf("/api/recordings/%d/audio?file=1", rec.ID) {
		t.Fatalf("files: %d %s", res.StatusCode, body)
	}
	res, got := f.do("GET", r.Files[1].Audio, viewerToken, "")
	if res.StatusCode != 200 || string(got) != string(callee) || res.Header.Get("ETag") != "" {
		t.Errorf("callee file: %d, %d bytes, ETag %q", res.StatusCode, len(got), res.Header.Get("ETag"))
	}
	res, got = f.do("GET", r.Files[0].Audio, viewerToken, "", "Range", "bytes=0-3")
	if res.StatusCode != 206 || string(got) != "RIFF" {
		t.Errorf("caller file: %d %q", res.StatusCode, got)
	}
	res, body = f.do("GET", r.Audio+"?file=2", viewerToken, "")
	wantError(t, "file past the last", res, body, 404, CodeNotFound)
	res, body = f.do("GET", r.Audio+"?file=x", viewerToken, "")
	wantError(t, "bad file", res, body, 400, CodeBadRequest)
	// Without a sidecar, the one file of the catalogue.
	res, body = f.do("GET", fmt.Sprintf("/api/recordings/%d", f.recs[1].ID), viewerToken, "")
	if json.Unmarshal(body, &r) != nil || len(r.Files) != 1 || r.Files[0].Bytes != f.recs[1].Size {
		t.Errorf("one file: %s", body)
	}
}
