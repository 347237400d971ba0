package collect

import (
	"context"
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/catalog"
	"github.com/callrec/callrec/internal/nettest"
	"github.com/callrec/callrec/internal/ship"
	"github.com/callrec/callrec/internal/ship/shiptest"
	"github.com/callrec/callrec/internal/store"
	"github.com/callrec/callrec/internal/store/storetest"
)

// testTLS returns a server config with a certificate for 127.0.0.1 and
// a client config trusting only the CA generated here.
func testTLS(t testing.TB) (server, client *tls.Config) {
	t.Helper()
	ca := nettest.NewCA(t)
	server = &tls.Config{Certificates: []tls.Certificate{ca.Leaf(t, "127.0.0.1")}, MinVersion: tls.VersionTLS12}
	client = &tls.Config{RootCAs: ca.Pool, MinVersion: tls.VersionTLS12}
	return server, client
}

// collector is a Server under test with its storage and catalogue.
type collector struct {
	srv     *Server
	addr    string
	dir     string
	cat     *catalog.Catalog
	st      *store.Store
	tlsConf *tls.Config
	done    chan error
}

const testToken = "s3cret-token"

// startCollector serves on addr ("127.0.0.1:0" for a new port) with
// storage in dir and the catalogue st.
func startCollector(t *testing.T, addr, dir string, st *store.Store, tlsConf *tls.Config) *collector {
	t.Helper()
	cat, err := catalog.Open(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(ServerConfig{Token: testToken, TLS: tlsConf, Target: ship.DirTarget{Dir: dir, DeferSync: true}, Catalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	var l net.Listener
	for i := 0; ; i++ { // the port of a closed server may linger briefly
		if l, err = net.Listen("tcp", addr); err == nil || i == 50 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	c := &collector{srv: srv, addr: l.Addr().String(), dir: dir, cat: cat, st: st, tlsConf: tlsConf, done: make(chan error, 1)}
	go func() { c.done <- srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	return c
}

func openStore(t *testing.T, dialect string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), storetest.DSN(t, dialect))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func newTarget(t *testing.T, c *collector, client *tls.Config, token string) *Target {
	t.Helper()
	tg, err := NewTarget(TargetConfig{Addr: c.addr, Token: token, Node: "node-a", TLS: client, DialTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tg.Close() })
	return tg
}

// waitFor polls cond every 10 ms until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(d)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// startShipper runs a Shipper from dir to tg until the test ends.
func startShipper(t *testing.T, dir string, tg ship.Target) *ship.Shipper {
	t.Helper()
	sh, err := ship.New(ship.Config{Dir: dir, Target: tg, Interval: 20 * time.Millisecond, KeepLocal: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); sh.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return sh
}

// rows counts the catalogue's rows.
func rows(t *testing.T, st *store.Store) int {
	t.Helper()
	var n int
	if err := st.DB().QueryRow("SELECT count(*) FROM recordings").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// recording is a fake recording on disk (shiptest.Recording).
type recording = shiptest.Recording

func newRecording(t *testing.T, dir, base string) *recording {
	return shiptest.NewRecording(t, dir, base)
}
