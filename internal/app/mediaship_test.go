package app

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/collect"
	"github.com/callrec/callrec/internal/config"
	"github.com/callrec/callrec/internal/record"
	"github.com/callrec/callrec/internal/ship"
)

// TestStartShippingToCollector: a standalone media node's storage
// section with kind collector delivers a finished recording to a
// collector over TLS, verified against storage.collector.tls_ca.
func TestStartShippingToCollector(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "collector"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)

	store := t.TempDir()
	srv, err := collect.NewServer(collect.ServerConfig{Token: "tok", Target: ship.DirTarget{Dir: store},
		TLS: &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}})
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
