package test

import (
	"context"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/catalog"
	"github.com/callrec/callrec/internal/record"
	"github.com/callrec/callrec/internal/spot"
)

// TestDemoOnce runs the built binary's `callrec demo --once --calls 2`:
// callrec serve in the process, alice calling bob twice through it with
// both built-in phones talking. It must exit 0 within a minute, leave
// two complete stereo recordings of about --talk whose left channel
// carries alice's speech (the caller fixture) and right channel bob's
// (the agent fixture), and two complete rows for them in the catalogue
// in the data directory's SQLite.
func TestDemoOnce(t *testing.T) {
	bin := BuildCallrec(t)
	realtime <- struct{}{} // two calls of paced RTP
	defer func() { <-realtime }()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	p := StartProcess(t, "callrec demo", t.TempDir(), bin, "demo", "--once", "--calls", "2", "--talk", "6s",
		"--data-dir", dir, "--http-listen", "127.0.0.1:0")
	if err := p.Wait(ctx); err != nil {
		t.Fatalf("callrec demo --once: %v (exit %d)\n%s", err, p.ExitCode(), p.Output())
	}
	took := time.Since(start)
	out := p.Output()
	t.Logf("callrec demo --once --calls 2 --talk 6s took %s:\n%s", took.Round(time.Millisecond), out)
	wants := []string{"/api/recordings", "call 1: recording", "call 2: recording"}
	if spot.ModelInstalled() { // the caller says "account" 3 s in
		wants = append(wants, "keywords spotted live", `keyword "account"`)
	}
	for _, want := range wants {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}

	recs := filepath.Join(dir, "recordings")
	sidecars, _ := filepath.Glob(filepath.Join(recs, "*", "*.json"))
	var metas []*record.Meta
	for _, path := range sidecars {
		m, err := record.ReadMeta(path)
		if err != nil {
			t.Fatal(err)
		}
		metas = append(metas, m)
	}
	if len(metas) != 2 {
		t.Fatalf("%d recordings in %s, want 2", len(metas), recs)
	}
	caller, agent := Testdata(t, "audio", "caller-8k.wav"), Testdata(t, "audio", "agent-8k.wav")
	for _, m := range metas {
		l, r, fm := readStereo(t, &RecordingNode{Dir: recs}, m)
		secs := float64(len(l)) / 8000
		if m.Status != record.StatusComplete || fm.Channels != 2 || secs < 5.5 || secs > 7 {
			t.Fatalf("recording of %s: %s (%s), %+v, %.2f s: want complete stereo of about 6 s", m.CallID, m.Status, m.Reason, fm, secs)
		}
		// Each channel's second second is its party's speech (sent as
		// µ-law), not the other party's.
		for _, ch := range []struct {
			name       string
			pcm        []int16
			own, other string
		}{{"caller (alice)", l, caller, agent}, {"callee (bob)", r, agent, caller}} {
			corr, at := speechAt(t, ch.pcm[8000:16000], ch.own)
			cross, _ := speechAt(t, ch.pcm[8000:16000], ch.other)
			t.Logf("%s %s channel: RMS %.0f, second 2 is its party's speech from sample %d (correlation %.2f; other party's %.2f)",
				m.CallID, ch.name, RMS(ch.pcm), at, corr, cross)
			if corr < 0.5 || cross > 0.3 {
				t.Errorf("%s %s channel: correlation with its party's speech %.2f, with the other's %.2f", m.CallID, ch.name, corr, cross)
			}
		}
	}

	st, cat := OpenCatalog(t, ctx, "sqlite:"+filepath.Join(dir, "callrec.db"))
	for _, user := range []string{"alice", "bob"} { // the phones unregistered as they closed
		if bs, err := st.Lookup(ctx, user); err != nil || len(bs) != 0 {
			t.Errorf("registrations of %s after the demo: %+v %v, want none", user, bs, err)
		}
	}
	if us, err := st.ListUsers(ctx, ""); err != nil || len(us) != 0 { // the web UI login is removed at exit
		t.Errorf("users after the demo: %+v %v, want none", us, err)
	}
	page, err := cat.Search(ctx, catalog.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Recordings) != 2 {
		t.Fatalf("catalogue has %d recordings, want 2", len(page.Recordings))
	}
	for _, row := range page.Recordings {
		found := false
		for _, m := range metas {
			found = found || m.CallID == row.CallID
		}
		if !found || row.Status != catalog.StatusComplete || !strings.Contains(row.Caller, "alice") || !strings.Contains(row.Callee, "bob") {
			t.Errorf("catalogue row %+v: want a complete alice -> bob call of the recordings", row)
		}
	}
}

// TestDemoServesUntilStopped: without --once, callrec demo places its
// calls, says so, and keeps callrec serve running at the HTTP address it
// printed until it is told to stop (SIGTERM, as Ctrl-C's SIGINT), then
// exits 0. The recordings API answers the printed token and a login
// with the printed password, and nobody else. `callrec demo --help`
// documents the flags.
func TestDemoServesUntilStopped(t *testing.T) {
	bin := BuildCallrec(t)
	help, err := exec.Command(bin, "demo", "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(help), "-once") || !strings.Contains(string(help), "-calls") {
		t.Fatalf("callrec demo --help: %v\n%s", err, help)
	}
	realtime <- struct{}{}
	defer func() { <-realtime }()
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	p := StartProcess(t, "callrec demo", t.TempDir(), bin, "demo", "--calls", "1", "--talk", "2s",
		"--data-dir", t.TempDir(), "--http-listen", "127.0.0.1:0")
	if err := p.WaitOutput(ctx, "done calling"); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`recordings API +http://([0-9.:]+)/api/recordings`).FindStringSubmatch(p.Output())
	if m == nil || !strings.Contains(p.Output(), "call 1: recording") {
		t.Fatalf("no recordings API address or recording in the output:\n%s", p.Output())
	}
	base := "http://" + m[1]
	res, err := http.Get(base + "/healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz at the printed address after the calls: %v %v", res, err)
	}
	res.Body.Close()
	// The recordings are served with the printed token or after a login
	// with the printed password, and to nobody else.
	token := regexp.MustCompile(`API token +([0-9a-f]+)`).FindStringSubmatch(p.Output())
	pass := regexp.MustCompile(`log in as callrec-demo, password ([0-9a-f]+)`).FindStringSubmatch(p.Output())
	if token == nil || pass == nil {
		t.Fatalf("no API token or web UI password in the output:\n%s", p.Output())
	}
	get := func(header, value string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", base+"/api/recordings", nil)
		if header != "" {
			req.Header.Set(header, value)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, _ := get("", ""); code != http.StatusUnauthorized {
		t.Errorf("GET /api/recordings without credentials: %d, want 401", code)
	}
	if code, body := get("Authorization", "Bearer "+token[1]); code != http.StatusOK || !strings.Contains(body, "sip:alice@") {
		t.Errorf("GET /api/recordings with the printed token: %d %s", code, body)
	}
	res, err = http.Post(base+"/api/login", "application/json",
		strings.NewReader(`{"user":"callrec-demo","password":"`+pass[1]+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var cookie string
	for _, c := range res.Cookies() {
		cookie = c.Name + "=" + c.Value
	}
	if res.StatusCode != http.StatusOK || cookie == "" {
		t.Fatalf("POST /api/login with the printed password: %d, cookie %q", res.StatusCode, cookie)
	}
	if code, body := get("Cookie", cookie); code != http.StatusOK || !strings.Contains(body, "sip:alice@") {
		t.Errorf("GET /api/recordings logged in: %d %s", code, body)
	}
	if ok, _ := p.Exited(); ok {
		t.Fatalf("callrec demo exited without being stopped:\n%s", p.Output())
	}
	p.Stop(15 * time.Second)
	if code := p.ExitCode(); code != 0 {
		t.Fatalf("callrec demo stopped with SIGTERM: exit %d, want 0\n%s", code, p.Output())
	}
}
