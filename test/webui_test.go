package test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/callrec/callrec/internal/app"
	"github.com/callrec/callrec/internal/catalog"
	"github.com/callrec/callrec/internal/config"
	"github.com/callrec/callrec/internal/record"
	"github.com/callrec/callrec/internal/store"
)

// chromium returns Debian's chromium, skipping the test when it is not
// installed, except under CI (CI=true), where scripts/deps.sh installs it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("webui: chromium not installed under CI (Debian package chromium; scripts/deps.sh installs it)")
	}
	t.Skip("webui: chromium not installed (Debian package chromium; scripts/deps.sh installs it)")
	return ""
}

// TestWebUIPlaysRecording records a real sipp call through callrec serve
// in-process (a tone with a DTMF key press) and drives the embedded web
// UI in headless Chromium. While the call is up it logs in, finds the
// call on the live calls page with its quality, and pauses, resumes and
// stops the recording with the buttons. Afterwards it searches the recordings
// and opens the call's by keyboard (Enter, Tab order), checks that the
// waveform holds the tone in both channels (caller on top, callee below)
// with the key press, pause and resume marked, that the <audio> element
// plays it, uses the keyboard shortcuts, and opens routes and users.
// Screenshots go to t.ArtifactDir(): kept under -outputdir with
// `go test -artifacts -outputdir DIR` (scripts/test.sh keeps them in
// test-artifacts/ for CI).
func TestWebUIPlaysRecording(t *testing.T) {
	RequireBinary(t, "sipp", "sip-tester")
	bin := chromium(t)
	// The caller sends 20 s of a 440 Hz tone with the key 5 pressed at
	// 0.6 s for 200 ms (RFC 4733: 7 updates and 3 end packets with the
	// event's start timestamp); the call is released once the browser
	// has paused and resumed its recording.
	pcap, err := os.ReadFile(WriteRTPPcap(t, "call.pcap", RTPCapture{
		Src: netip.MustParseAddrPort("127.0.0.2:40000"), Dst: netip.MustParseAddrPort("127.0.0.1:40000"), SSRC: 0x5eed,
		Audio: MulawTone(20*8000, 440, 8000),
		Replace: func(i int) (uint8, uint32, []byte, bool, bool) {
			if i < 30 || i > 39 {
				return 0, 0, nil, false, false
			}
			k := i - 30
			return 101, 30 * 160, dtmf(5, k >= 7, uint16(160*min(k+1, 8))), k == 0, true
		},
	}))
	if err != nil {
		t.Fatal(err)
	}
	shots := t.ArtifactDir()
	t.Logf("screenshots in %s", shots)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox,
		chromedp.WindowSize(1366, 860), chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.Flag("mute-audio", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"), chromedp.UserDataDir(profileDir(t)))
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer bcancel()
	shot := func(name string) chromedp.Action {
		return chromedp.ActionFunc(func(ctx context.Context) error {
			var b []byte
			if err := chromedp.FullScreenshot(&b, 100).Do(ctx); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(shots, name+".png"), b, 0o644)
		})
	}
	// The browser starts now, tied to bctx; each step then gets 15 s of
	// its own, so that a stuck one still leaves time to show the page.
	if err := chromedp.Run(bctx); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	// Any uncaught exception in the UI's scripts fails the test.
	var jsMu sync.Mutex
	var jsErrors []string
	chromedp.ListenTarget(bctx, func(ev any) {
		if e, ok := ev.(*runtime.EventExceptionThrown); ok {
			jsMu.Lock()
			jsErrors = append(jsErrors, e.ExceptionDetails.Error())
			jsMu.Unlock()
		}
	})
	t.Cleanup(func() {
		jsMu.Lock()
		defer jsMu.Unlock()
		for _, e := range jsErrors {
			t.Errorf("uncaught in the page: %s", e)
		}
	})
	run := func(what string, actions ...chromedp.Action) {
		t.Helper()
		sctx, scancel := context.WithTimeout(bctx, 15*time.Second)
		defer scancel()
		if err := chromedp.Run(sctx, actions...); err != nil {
			dctx, dcancel := context.WithTimeout(bctx, 5*time.Second)
			defer dcancel()
			var html, url string
			_ = chromedp.Run(dctx, chromedp.Location(&url), chromedp.OuterHTML("body", &html, chromedp.ByQuery), shot("failed"))
			t.Fatalf("%s: %v\nat %s: %.3000s", what, err, url, html)
		}
	}

	// The API's authentication is on (the default): the test logs in
	// through the login page as a user of the users table, an admin
	// by serve.api_admin_users.
	const user, domain, password = "webui", "callrec.test", "listen-to-me"
	var n *app.Node
	var base string
	setup := func(t *testing.T, node *app.Node, _ string) {
		n, base = node, "http://"+node.HTTP
		ctx := context.Background()
		err := n.Store.AddUser(ctx, store.User{Username: user, Domain: domain, Enabled: true, DisplayName: "Web UI test",
			HA1: store.HA1(user, domain, password), HA1SHA256: store.HA1SHA256(user, domain, password)})
		if err == nil {
			_, err = n.Store.AddRoute(ctx, store.Route{Pattern: "5550", Destination: "sip:desk@127.0.0.1:9", Description: "webui test"})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	// While the call is up: log in, see it on the live calls page,
	// pause, resume and stop its recording with the buttons.
	during := func(_ *app.Node, callID string) {
		row := fmt.Sprintf(`tr[data-call-id=%q]`, callID)
		run("login",
			chromedp.Navigate(base+"/"),
			// The first API call answers 401: the login page shows.
			chromedp.WaitVisible(`input[name=user]`, chromedp.ByQuery),
			chromedp.SendKeys(`input[name=user]`, user, chromedp.ByQuery),
			chromedp.SendKeys(`input[name=password]`, password, chromedp.ByQuery),
			shot("0-login"),
			chromedp.Click(`form.login button[type=submit]`, chromedp.ByQuery),
			chromedp.WaitVisible(`#logout`, chromedp.ByQuery),
			chromedp.WaitVisible(`input[name=number]`, chromedp.ByQuery))
		run("live call",
			chromedp.Navigate(base+"/#/calls"),
			chromedp.WaitVisible(row+` .status.recording`, chromedp.ByQuery),
			chromedp.Poll(`document.querySelector('`+row+` td:nth-child(5)').textContent.includes('caller 0 lost')`, nil),
			shot("1-live-call"),
			chromedp.Click(row+` button[aria-label^=Pause]`, chromedp.ByQuery),
			chromedp.Poll(`(document.querySelector('.out .done') || {}).textContent?.startsWith('Recording paused')`, nil),
			chromedp.Click(row+` button[aria-label^=Resume]`, chromedp.ByQuery),
			chromedp.Poll(`(document.querySelector('.out .done') || {}).textContent?.startsWith('Recording resumed')`, nil),
			shot("2-live-call-resumed"),
			// Stop: the call goes on, unrecorded, and offers Record.
			chromedp.Click(row+` button[aria-label^=Stop]`, chromedp.ByQuery),
			chromedp.Poll(`(document.querySelector('.out .done') || {}).textContent?.startsWith('Recording stopped')`, nil),
			chromedp.WaitVisible(row+` button[aria-label^=Record]`, chromedp.ByQuery))
	}
	var dataDir string
	m := serveCallAs(t, serveUAC{scenario: "uac_rtp_dtmf.xml", files: map[string][]byte{"call.pcap": pcap}, during: during},
		func(c *config.Config, uas string) {
			dataDir = c.Serve.DataDir
			c.Serve.Routes = []config.Route{{Destination: "sip:" + uas}}
			c.Serve.APIAdminUsers = []string{user}
			c.Serve.Auth = "off" // the web user must not make sipp's INVITE need digest credentials
		}, setup)

	// A keyword spotted on the callee's leg, added to the finished
	// recording as the live spotter does (record.Recorder.AddEvents:
	// sidecar, then the catalogue).
	kwAt := min(1.0, m.Duration*0.6)
	sidecars, _ := filepath.Glob(filepath.Join(dataDir, "recordings", "*", "*.json"))
	var sidecar string
	for _, p := range sidecars {
		if mm, err := record.ReadMeta(p); err == nil && mm.CallID == m.CallID {
			sidecar = p
		}
	}
	if err := n.Media.Recorder.AddEvents(sidecar, []record.Event{{Type: "keyword", At: kwAt, Duration: 0.3, Party: "callee",
		Value: "refund", Confidence: 0.87, Source: "spot"}}); err != nil {
		t.Fatalf("add a keyword to %q: %v", sidecar, err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		p, err := n.Catalog.Search(context.Background(), catalog.Query{Event: "keyword=refund"})
		if err == nil && len(p.Recordings) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the keyword never reached the catalogue: %v", err)
		}
		time.Sleep(50 * time.Millisecond) // the indexer has no notification; poll
	}

	// Search: the recording made above, by the caller's number prefix
	// and the keyword.
	run("search",
		chromedp.Navigate(base+"/#/recordings"),
		chromedp.WaitVisible(`input[name=number]`, chromedp.ByQuery),
		chromedp.SendKeys(`input[name=number]`, "uac", chromedp.ByQuery),
		// By keyboard: Enter in a field submits the form.
		chromedp.SendKeys(`input[name=keyword]`, "refund"+kb.Enter, chromedp.ByQuery),
		// The search re-renders the page: wait for its answer.
		chromedp.Poll(`location.hash.includes('number=uac') && location.hash.includes('keyword=refund') && /^\d+ recording|^No recordings/.test(document.querySelector('p.count').textContent)`, nil),
		shot("3-search"))
	var rows int
	var tags string
	run("count rows", chromedp.Evaluate(`document.querySelectorAll('tr[data-id]').length`, &rows),
		chromedp.Evaluate(`[...document.querySelectorAll('tr[data-id] .tag.kw')].map((e) => e.textContent).join(',')`, &tags))
	if rows != 1 || tags != "refund" {
		t.Errorf("search for number uac, keyword refund: %d rows (keywords %q), want the one call with refund", rows, tags)
	}

	// Player: open it, wait for the waveform.
	var state string
	// Tab through the page to the recording's link (the focus order is
	// the document's) and open it with Enter.
	for i := 0; ; i++ {
		var on bool
		run("tab", chromedp.KeyEvent(kb.Tab), chromedp.Evaluate(`document.activeElement.matches('tr[data-id] a.open')`, &on))
		if on {
			break
		}
		if i == 40 {
			t.Fatal("40 Tabs did not reach the recording's Open link")
		}
	}
	run("open",
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(`canvas.wave[data-ready]`, chromedp.ByQuery),
		chromedp.AttributeValue(`canvas.wave`, "data-ready", &state, nil, chromedp.ByQuery))
	if state != "drawn" {
		var msg string
		_ = chromedp.Run(bctx, chromedp.Text(`.wave-state`, &msg, chromedp.ByQuery))
		t.Fatalf("waveform %s: %s", state, msg)
	}
	// Both halves of the canvas (caller, callee) carry the tone: count
	// pixels in the waveform colours, row by row.
	var ink struct{ Top, Bottom, Marker int }
	run("canvas", chromedp.Evaluate(`(() => {
		const c = document.querySelector('canvas.wave'), g = c.getContext('2d');
		const d = g.getImageData(0, 0, c.width, c.height).data, half = c.height / 2;
		let top = 0, bottom = 0, marker = 0;
		for (let i = 0; i < d.length; i += 4) {
			const r = d[i], gr = d[i+1], b = d[i+2], y = Math.floor(i / 4 / c.width);
			if (r === 0x1f && gr === 0x5f && b === 0xa8 && y < half) top++;
			if (r === 0x1d && gr === 0x7a && b === 0x3a && y >= half) bottom++;
			if (r === 0xb3 && gr === 0x59 && b === 0x00) marker++;
		}
		return {Top: top, Bottom: bottom, Marker: marker};
	})()`, &ink))
	if ink.Top < 2000 || ink.Bottom < 2000 {
		t.Errorf("waveform pixels: caller %d, callee %d: want the tone drawn in both", ink.Top, ink.Bottom)
	}
	// The key press is an event of the recording (the caller's, and the
	// callee's echo of it), drawn as a DTMF marker and listed.
	var events string
	run("events", chromedp.Text(`ol.events`, &events, chromedp.ByQuery))
	if !strings.Contains(events, "dtmf 5 (caller)") || ink.Marker < 50 {
		t.Errorf("events %q, %d marker pixels: want the caller's DTMF 5 listed and drawn", events, ink.Marker)
	}
	// The pause and resume clicked on the live calls page.
	if p, r := strings.Index(events, " pause"), strings.Index(events, " resume"); p < 0 || r < p {
		t.Errorf("events %q: want the pause, then the resume, from the live calls page", events)
	}
	// The keyword is listed with its party and confidence, and flagged
	// over the callee's half of the waveform at its offset.
	if !strings.Contains(events, "keyword refund (callee, 87%)") {
		t.Errorf("events %q: want the keyword listed with party and confidence", events)
	}
	var flag struct {
		Label                   string
		Left, Top, CanvasHeight float64
	}
	run("keyword flag", chromedp.WaitVisible(`.markers button.marker.keyword`, chromedp.ByQuery),
		chromedp.Evaluate(`(() => {
			const f = document.querySelector('.markers button.marker.keyword').getBoundingClientRect();
			const c = document.querySelector('canvas.wave').getBoundingClientRect();
			return {Label: document.querySelector('.markers button.marker.keyword').getAttribute('aria-label'),
				Left: (f.left + f.width / 2 - c.left) / c.width, Top: f.top - c.top, CanvasHeight: c.height};
		})()`, &flag))
	wantLeft := kwAt / m.Duration
	if !strings.HasPrefix(flag.Label, "Keyword refund by the callee") || !strings.Contains(flag.Label, "87%") ||
		flag.Left < wantLeft-0.05 || flag.Left > wantLeft+0.05 || flag.Top < flag.CanvasHeight/2 {
		t.Errorf("keyword flag %+v: want it at %.2f of the width, in the callee's (lower) half", flag, wantLeft)
	}
	var labels string
	run("labels", chromedp.Text(`.legend`, &labels, chromedp.ByQuery))
	if !strings.Contains(labels, "Caller: uac") || !strings.Contains(labels, "Callee: uas") {
		t.Errorf("legend %q: want the caller and callee named", labels)
	}
	run("player shot", shot("4-player"))

	// Play: the button starts the <audio>; its position advances.
	run("play", chromedp.Click(`.controls button.primary`, chromedp.ByQuery))
	pos := func() (cur float64, paused bool) {
		var s struct {
			Cur    float64
			Paused bool
		}
		run("position", chromedp.Evaluate(`({Cur: document.querySelector('audio').currentTime, Paused: document.querySelector('audio').paused})`, &s))
		return s.Cur, s.Paused
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		cur, _ := pos()
		if cur >= 1 {
			break
		}
		if time.Now().After(deadline) {
			var errText string
			_ = chromedp.Run(bctx, chromedp.Evaluate(`String(document.querySelector('audio').error && document.querySelector('audio').error.message)`, &errText))
			t.Fatalf("audio at %.2f s after 10 s of playing (error %s)", cur, errText)
		}
		time.Sleep(100 * time.Millisecond) // currentTime has no event we can wait on from here; poll
	}
	run("playing shot", shot("5-playing"))

	// Keyboard: k toggles playing (the 1.5 s recording may have ended
	// by now: then k plays it again), twice; Home goes to the start.
	run("blur", chromedp.Evaluate(`document.activeElement.blur()`, nil))
	for range 2 {
		_, was := pos()
		run("k", chromedp.KeyEvent("k"))
		if _, paused := pos(); paused == was {
			t.Errorf("k left the audio paused=%v", paused)
		}
	}
	run("pause", chromedp.Evaluate(`document.querySelector('audio').pause()`, nil))
	run("home", chromedp.KeyEvent(kb.Home))
	if cur, _ := pos(); cur > 0.01 {
		t.Errorf("Home left the position at %.2f s", cur)
	}
	// An event of the list seeks to it.
	run("seek to event", chromedp.Click(`ol.events button`, chromedp.ByQuery))
	if cur, _ := pos(); cur < 0.5 || cur > 0.7 {
		t.Errorf("the DTMF event at ~0.6 s seeked to %.2f s", cur)
	}
	// The keyword's flag seeks to it.
	run("seek to keyword", chromedp.Click(`.markers button.marker.keyword`, chromedp.ByQuery))
	if cur, _ := pos(); cur < kwAt-0.05 || cur > kwAt+0.05 {
		t.Errorf("the keyword flag at %.2f s seeked to %.2f s", kwAt, cur)
	}
	run("keyword shot", shot("5-keyword"))

	// Live calls and the other pages render (the call has ended).
	// Routes and users list the database's (the test's admin sees them).
	for _, p := range []struct{ page, want string }{{"routes", "sip:desk@127.0.0.1:9"}, {"users", "Web UI test"}} {
		var text string
		run(p.page, chromedp.Navigate(base+"/#/"+p.page), chromedp.WaitVisible(`main table`, chromedp.ByQuery),
			chromedp.Text(`main table`, &text, chromedp.ByQuery), shot("6-"+p.page))
		if !strings.Contains(text, p.want) {
			t.Errorf("%s page: %q, want %q in it", p.page, text, p.want)
		}
	}
	var calls string
	run("calls text", chromedp.Navigate(base+"/#/calls"), chromedp.WaitVisible(`p.count`, chromedp.ByQuery),
		chromedp.Poll(`document.querySelector('p.count').textContent !== ''`, nil), chromedp.Text(`p.count`, &calls, chromedp.ByQuery))
	if calls != "No calls in progress." {
		t.Errorf("calls page says %q", calls)
	}
}

// profileDir is a Chromium profile directory removed after the test.
// Not t.TempDir: Chromium's helper processes may still write into it for
// a moment after the browser is stopped, and t.TempDir fails the test
// when its directory cannot be removed; this retries, then gives up
// quietly (it is under the system's temporary directory).
func profileDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "callrec-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for i := 0; i < 20 && os.RemoveAll(dir) != nil; i++ {
			time.Sleep(100 * time.Millisecond)
		}
	})
	return dir
}
