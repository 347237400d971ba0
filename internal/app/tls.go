package app

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/callrec/callrec/internal/config"
)

// serveTLS builds the proxy's TLS configs from the serve section's PEM
// files: the listener's certificate (nil when no TLS listener is
// configured) and the roots TLS next hops are verified against (the
// system's plus serve.tls_ca; nil means the system's alone).
func serveTLS(s config.Serve) (server, client *tls.Config, err error) {
	if s.SIPTLSListen != "" {
		cert, err := tls.LoadX509KeyPair(s.TLSCert, s.TLSKey)
		if err != nil {
			return nil, nil, fmt.Errorf("app: serve.tls_cert/tls_key: %w", err)
		}
		server = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	if s.TLSCA != "" {
		pem, err := os.ReadFile(s.TLSCA)
		if err != nil {
			return nil, nil, fmt.Errorf("app: serve.tls_ca: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, nil, fmt.Errorf("app: serve.tls_ca %s: no PEM certificate in it", s.TLSCA)
		}
		client = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return server, client, nil
}
