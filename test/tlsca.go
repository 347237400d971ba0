package test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestCA is a certificate authority made at test time, so that no keys
// are checked in. Its certificates are valid for an hour.
type TestCA struct {
	Cert *x509.Certificate
	Pool *x509.CertPool // holds Cert: the roots a client trusts
	key  *ecdsa.PrivateKey
	dir  string
}

// NewTestCA makes a CA and writes its certificate to CAFile().
func NewTestCA(t testing.TB) *TestCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "callrec test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca := &TestCA{key: key, dir: t.TempDir(), Pool: x509.NewCertPool()}
	ca.Cert, _ = x509.ParseCertificate(der)
	ca.Pool.AddCert(ca.Cert)
	writePEM(t, ca.CAFile(), "CERTIFICATE", der)
	return ca
}

// CAFile is the path of the CA's certificate (PEM).
func (ca *TestCA) CAFile() string { return filepath.Join(ca.dir, "ca.pem") }

// Issue writes a server certificate for ip signed by the CA, and its key,
// as PEM files named name.pem and name-key.pem, and returns their paths.
func (ca *TestCA) Issue(t testing.TB, name, ip string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: ip},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP(ip)},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(ca.dir, name+".pem"), filepath.Join(ca.dir, name+"-key.pem")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "PRIVATE KEY", kder)
	return certFile, keyFile
}

func writePEM(t testing.TB, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// IssueCombined is Issue with the certificate and the key in one PEM
// file (as baresip's sip_certificate wants); it returns its path.
func (ca *TestCA) IssueCombined(t testing.TB, name, ip string) string {
	t.Helper()
	certFile, keyFile := ca.Issue(t, name, ip)
	c, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	k, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(ca.dir, name+"-combined.pem")
	if err := os.WriteFile(path, append(c, k...), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
