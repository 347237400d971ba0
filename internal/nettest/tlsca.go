package nettest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
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

// CA is a certificate authority made at test time, so that no keys are
// checked in. Its certificates are valid for an hour.
type CA struct {
	Cert *x509.Certificate
	Pool *x509.CertPool // holds Cert: the roots a client trusts
	key  *ecdsa.PrivateKey
	dir  string
}

// NewCA makes a CA and writes its certificate to CAFile().
func NewCA(t testing.TB) *CA {
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
	ca := &CA{key: key, dir: t.TempDir(), Pool: x509.NewCertPool()}
	ca.Cert, _ = x509.ParseCertificate(der)
	ca.Pool.AddCert(ca.Cert)
	writePEM(t, ca.CAFile(), "CERTIFICATE", der)
	return ca
}

// CAFile is the path of the CA's certificate (PEM).
func (ca *CA) CAFile() string { return filepath.Join(ca.dir, "ca.pem") }

// Leaf returns a server certificate for ip signed by the CA, with its
// key, for a tls.Config in the test's process.
func (ca *CA) Leaf(t testing.TB, ip string) tls.Certificate {
	t.Helper()
	der, key := ca.leaf(t, ip)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// Issue writes a server certificate for ip signed by the CA, and its key,
// as PEM files named name.pem and name-key.pem, and returns their paths:
// for a server in another process or configured by file.
func (ca *CA) Issue(t testing.TB, name, ip string) (certFile, keyFile string) {
	t.Helper()
	der, key := ca.leaf(t, ip)
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(ca.dir, name+".pem"), filepath.Join(ca.dir, name+"-key.pem")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "PRIVATE KEY", kder)
	return certFile, keyFile
}

// leaf makes a server certificate for ip signed by the CA.
func (ca *CA) leaf(t testing.TB, ip string) ([]byte, *ecdsa.PrivateKey) {
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
	return der, key
}

func writePEM(t testing.TB, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// IssueCombined is Issue with the certificate and the key in one PEM
// file (as baresip's sip_certificate wants); it returns its path.
func (ca *CA) IssueCombined(t testing.TB, name, ip string) string {
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
