package app

import (
	"crypto/tls"
	"encoding/json"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/collect"
	"github.com/callrec/callrec/internal/config"
	"github.com/callrec/callrec/internal/nettest"
	"github.com/callrec/callrec/internal/record"
	"github.com/callrec/callrec/internal/ship"
)

// TestStartShippingToCollector: a standalone media node's storage
// section with kind collector delivers a finished recording to a
// collector over TLS, verified against storage.collector.tls_ca.
func TestStartShippingToCollector(t *testing.T) {
	ca := nettest.NewCA(t)
	caFile := ca.CAFile()

	store := t.TempDir()
	srv, err := collect.NewServer(collect.ServerConfig{Token: "tok", Target: ship.DirTarget{Dir: store},
		TLS: &tls.Config{Certificates: []tls.Certificate{ca.Leaf(t, "127.0.0.1")}}})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()

	dir := t.TempDir()
	sh, err := StartShipping(config.Storage{Kind: "collector", Interval: config.Duration(20 * time.Millisecond),
		Collector: config.StorageCollector{Address: l.Addr().String(), Token: "tok", TLSCA: caFile, Node: "m1"}},
		dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer sh.Close()
	audio := []byte("RIFF....WAVE a short recording")
	os.WriteFile(filepath.Join(dir, "c1.wav"), audio, 0o644)
	b, _ := json.Marshal(record.Meta{CallID: "c1", Status: record.StatusComplete, Files: []record.File{{Path: "c1.wav", Part: 1}}})
	side := filepath.Join(dir, "c1.json")
	os.WriteFile(side, b, 0o644)
	sh.Notify(side)
	for end := time.Now().Add(10 * time.Second); ; {
		if _, err := ship.ReadMarker(side); err == nil {
			break
		}
		if time.Now().After(end) {
			t.Fatal("recording not delivered to the collector")
		}
		time.Sleep(20 * time.Millisecond)
	}
	got, err := os.ReadFile(filepath.Join(store, "m1", "c1.wav"))
	if err != nil || string(got) != string(audio) {
		t.Fatalf("collector holds %q, %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "c1.wav")); !os.IsNotExist(err) {
		t.Errorf("local audio kept after delivery: %v", err)
	}
}
