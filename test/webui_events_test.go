package test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/callrec/callrec/internal/api"
	"github.com/callrec/callrec/internal/asr"
	"github.com/callrec/callrec/internal/webui"
)

// TestWebUILiveKeywords: the live calls page shows keywords as the
// Broker gets them, through GET /api/events (EventSource, the session
// cookie of a login), newest first, with party, confidence and a link
// to the call's recordings; leaving the page ends the stream. The API
// and the UI run on a loopback httptest server without a proxy (the
// calls table answers 501 and says so).
func TestWebUILiveKeywords(t *testing.T) {
	bin := chromium(t)
	const token = "live-keywords-viewer-token"
	b := asr.NewBroker(asr.BrokerConfig{})
	mux := http.NewServeMux()
	if _, err := api.Mount(mux, api.Config{Events: b, Auth: api.AuthConfig{Secret: bytes.Repeat([]byte("s"), 32),
		Tokens: []api.Token{{Name: "wall", Token: token, Role: api.RoleViewer}}}}); err != nil {
		t.Fatal(err)
	}
	webui.Mount(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	defer b.Close() // ends the streams the browser may have left open

	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox,
		chromedp.WindowSize(1366, 860), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"), chromedp.UserDataDir(profileDir(t)))
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer bcancel()
	if err := chromedp.Run(bctx); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	chromedp.ListenTarget(bctx, func(ev any) {
		if e, ok := ev.(*runtime.EventExceptionThrown); ok {
			t.Errorf("uncaught in the page: %s", e.ExceptionDetails.Error())
		}
	})
	run := func(what string, actions ...chromedp.Action) {
		t.Helper()
		sctx, scancel := context.WithTimeout(bctx, 15*time.Second)
		defer scancel()
		if err := chromedp.Run(sctx, actions...); err != nil {
			var html string
			dctx, dcancel := context.WithTimeout(bctx, 5*time.Second)
			defer dcancel()
			_ = chromedp.Run(dctx, chromedp.OuterHTML("body", &html, chromedp.ByQuery))
			t.Fatalf("%s: %v\n%.3000s", what, err, html)
		}
	}
	var status int
	run("login",
		chromedp.Navigate(srv.URL+"/#/login"),
		chromedp.WaitVisible(`input[name=user]`, chromedp.ByQuery),
		// The session cookie EventSource sends; the login page takes
		// users, so the token logs in from the page's script.
		chromedp.Evaluate(`fetch('/api/login', {method: 'POST', headers: {'Content-Type': 'application/json'},
			body: JSON.stringify({token: '`+token+`'})}).then((r) => r.status)`, &status, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	if status != 200 {
		t.Fatalf("login: %d", status)
	}
	run("calls page",
		chromedp.Navigate(srv.URL+"/#/calls"),
		chromedp.Poll(`document.querySelector('.kw-state')?.textContent.startsWith('Listening')`, nil))
	waitStreams(t, b, 1)

	at := time.Now()
	for i, kw := range []string{"refund", "cancel"} {
		b.Detected(asr.Event{CallID: "live-1@test", Recording: "2026/11/24/live-1", Leg: []string{"callee", "caller"}[i], Type: "keyword",
			Keyword: kw, Start: 12.5 + float64(i), End: 13, Confidence: 0.8 + 0.1*float64(i), Source: "spot",
			Caller: "sip:alice@example.com", Callee: "sip:bob@example.com", Time: at})
	}
	var items []string
	var href string
	run("detections",
		chromedp.Poll(`document.querySelectorAll('ol.detections li').length === 2`, nil),
		chromedp.Evaluate(`[...document.querySelectorAll('ol.detections li')].map((li) => li.textContent)`, &items),
		chromedp.AttributeValue(`ol.detections li a`, "href", &href, nil, chromedp.ByQuery))
	if len(items) != 2 || !strings.Contains(items[0], "cancel said by alice@example.com at 0:13.5") || !strings.Contains(items[0], "(confidence 90%)") ||
		!strings.Contains(items[1], "refund said by bob@example.com at 0:12.5") || !strings.Contains(items[1], "alice@example.com to bob@example.com") {
		t.Errorf("detections %q: want cancel (newest) then refund, with party, offset, confidence and call", items)
	}
	if href != "#/recordings?call_id=live-1%40test" {
		t.Errorf("recording link %q", href)
	}
	// Leaving the page closes the EventSource: the server unsubscribes.
	run("leave", chromedp.Navigate(srv.URL+"/#/recordings"))
	waitStreams(t, b, 0)
}

// waitStreams waits until b has n subscribers (the API's streams).
func waitStreams(t *testing.T, b *asr.Broker, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); b.Subscribers() != n; {
		if time.Now().After(deadline) {
			t.Fatalf("%d event streams open, want %d", b.Subscribers(), n)
		}
		time.Sleep(20 * time.Millisecond) // the broker has no notification; poll
	}
}
