package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/catalog"
	"github.com/callrec/callrec/internal/store"
	"github.com/callrec/callrec/internal/store/storetest"
)

// The tokens of the test server.
const (
	viewerToken = "viewer-secret-token"
	adminToken  = "admin-secret-token"
)

// fixture is an API over a real SQLite catalogue and a recordings
// directory holding real WAV files.
type fixture struct {
	t    *testing.T
	srv  *httptest.Server
	api  *Server
	cat  *catalog.Catalog
	st   *store.Store
	dir  string
	recs []*catalog.Recording // as put: [0] complete WAV, [1] on legal hold, [2] still recording
}

// wav returns a 16-bit stereo 8 kHz WAV of secs seconds: a 440 Hz tone on
// the left, 880 Hz on the right.
func wav(secs float64) []byte {
	n := int(secs * 8000)
	var b bytes.Buffer
	le := binary.LittleEndian
	b.WriteString("RIFF")
	binary.Write(&b, le, uint32(36+n*4))
	b.WriteString("WAVEfmt ")
	binary.Write(&b, le, []any{uint32(16), uint16(1), uint16(2), uint32(8000), uint32(8000 * 4), uint16(4), uint16(16)})
	b.WriteString("data")
	binary.Write(&b, le, uint32(n*4))
	for i := range n {
		l := int16(8000 * math.Sin(2*math.Pi*440*float64(i)/8000))
		r := int16(8000 * math.Sin(2*math.Pi*880*float64(i)/8000))
		binary.Write(&b, le, []int16{l, r})
	}
	return b.Bytes()
}

func newFixture(t *testing.T, mod func(*Config)) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, storetest.DSN(t, "sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cat, err := catalog.Open(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, cat: cat, st: st, dir: t.TempDir()}
	start := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	for i, c := range []struct {
		base   string
		status catalog.Status
		labels map[string]string
		events []catalog.Event
	}{
		{"2026/11/24/call-a", catalog.StatusComplete, map[string]string{"team": "sales"},
			[]catalog.Event{{Type: "dtmf", At: 1500 * time.Millisecond, Duration: 100 * time.Millisecond, Party: "caller", Value: "5"}}},
		{"2026/11/24/call-b", catalog.StatusComplete, map[string]string{catalog.DefaultHoldLabel: "case-17"},
			[]catalog.Event{{Type: "keyword", At: 1200 * time.Millisecond, Duration: 400 * time.Millisecond, Party: "callee", Value: "refund", Confidence: 0.82, Source: "spot"}}},
		{"2026/11/24/call-c", catalog.StatusRecording, nil, nil},
	} {
		audio := wav(2 + float64(i))
		p := filepath.Join(f.dir, filepath.FromSlash(c.base+".wav"))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, audio, 0o644); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(audio)
		r := &catalog.Recording{Key: "node1/" + c.base, CallID: "call-" + string(rune('a'+i)) + "@test", FromTag: "ft", ToTag: "tt",
			Caller: "sip:100" + string(rune('1'+i)) + "@example.com", Callee: "sip:2000@example.com",
			Started: start.Add(time.Duration(i) * time.Minute), Ended: start.Add(time.Duration(i)*time.Minute + 3*time.Second),
			Duration: time.Duration(2+i) * time.Second, Codecs: "PCMU", Format: "wav/pcm_s16le/8000/stereo",
			Size: int64(len(audio)), Checksum: "sha256:" + hex.EncodeToString(sum[:]), Location: c.base + ".wav",
			Status: c.status, Node: "node1", Labels: c.labels, Events: c.events,
			Legs: [2]catalog.Leg{{Packets: 100, Lost: 2, JitterMs: 3.5, MOS: catalog.EstimateMOS(100, 2, 3.5)}, {Packets: 100}}}
		if err := cat.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
		f.recs = append(f.recs, r)
	}
	cfg := Config{Catalog: cat, Audio: &Audio{Dir: f.dir}, Remove: catalog.FileRemover(f.dir, nil), Store: st,
		Auth: AuthConfig{Secret: bytes.Repeat([]byte("k"), 32), AdminUsers: []string{"boss"}, Tokens: []Token{
			{Name: "ui", Token: viewerToken, Role: RoleViewer},
			{Name: "ops", TokenHash: sha256hex(adminToken), Role: RoleAdmin},
		}}}
	if mod != nil {
		mod(&cfg)
	}
	mux := http.NewServeMux()
	if f.api, err = Mount(mux, cfg); err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func sha256hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// do sends a request with the token ("" for none) and returns the
// response with its body read.
func (f *fixture) do(method, path, token, body string, hdr ...string) (*http.Response, []byte) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := f.srv.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return res, b
}

// wantError checks that b is an ErrorBody with code.
func wantError(t *testing.T, what string, res *http.Response, b []byte, status int, code string) {
	t.Helper()
	var e ErrorBody
	if res.StatusCode != status || json.Unmarshal(b, &e) != nil || e.Error.Code != code || e.Error.Message == "" {
		t.Errorf("%s: %d %s, want %d with code %q", what, res.StatusCode, b, status, code)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: Content-Type %q", what, ct)
	}
}
