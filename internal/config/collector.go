package config

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
)

// Collector configures `callrec collector`, the central recording
// server the media nodes stream recordings to (storage.kind collector
// on their side). It stores what it receives where its own storage
// section says (local: a directory under DataDir) and writes the
// catalogue in Database.
type Collector struct {
	// Listen is the TLS listener for media nodes. Zero: 127.0.0.1:7443.
	Listen string `yaml:"listen"`
	// TLSCert and TLSKey are the listener's PEM certificate and key
	// (required).
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`
	// Token is the secret media nodes present; TokenFile names a file
	// holding it (trailing newline ignored). One is required (or the
	// CALLREC_COLLECTOR_TOKEN environment variable).
	Token     string `yaml:"token"`
	TokenFile string `yaml:"token_file"`
	// DataDir holds the SQLite catalogue and, with storage.kind local,
	// the recordings (DataDir/recordings). Zero: callrec-collector.
	DataDir string `yaml:"data_dir"`
	// Database is the catalogue's DSN (postgres://...). Zero: SQLite in
	// DataDir.
	Database string `yaml:"database"`
	// Metrics, when set, serves Prometheus /metrics on this address,
	// and with APITokens the recordings API (search, metadata, audio).
	Metrics string `yaml:"metrics"`
	// APITokens may read the collector's recordings over HTTP on Metrics
	// (/api/recordings..., as on callrec serve; see Serve.APITokens).
	// Zero value: no API.
	APITokens []APIToken `yaml:"api_tokens"`
}

// StorageCollector is where storage.kind collector sends recordings.
type StorageCollector struct {
	// Address is the collector's host:port (required).
	Address string `yaml:"address"`
	// Token or TokenFile: the collector's secret (one is required, or
	// CALLREC_COLLECTOR_TOKEN).
	Token     string `yaml:"token"`
	TokenFile string `yaml:"token_file"`
	// TLSCA is a PEM file with the CA the collector's certificate is
	// verified against, besides the system roots.
	TLSCA string `yaml:"tls_ca"`
	// Node names this media node at the collector. Zero: the host name
	// (as the catalogue's node).
	Node string `yaml:"node"`
}

// TokenEnv is the environment variable a collector token may come from.
const TokenEnv = "CALLREC_COLLECTOR_TOKEN"

// ResolveToken returns token, else the content of file, else $TokenEnv.
func ResolveToken(token, file string) (string, error) {
	if token != "" {
		return token, nil
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("config: token file: %w", err)
		}
		if t := strings.TrimRight(string(b), "\r\n"); t != "" {
			return t, nil
		}
		return "", fmt.Errorf("config: token file %s is empty", file)
	}
	if t := os.Getenv(TokenEnv); t != "" {
		return t, nil
	}
	return "", errors.New("config: no collector token (token, token_file or " + TokenEnv + ")")
}

// Validate checks the collector section (for `callrec collector`).
func (c *Collector) Validate() error {
	var errs []error
	if _, err := netip.ParseAddrPort(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("config: collector.listen %q: want IP:PORT", c.Listen))
	}
	if c.TLSCert == "" || c.TLSKey == "" {
		errs = append(errs, errors.New("config: collector.tls_cert and collector.tls_key are required"))
	}
	if _, err := ResolveToken(c.Token, c.TokenFile); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, validateAPITokens("collector", c.APITokens)...)
	if len(c.APITokens) > 0 && c.Metrics == "" {
		errs = append(errs, errors.New("config: collector.api_tokens needs collector.metrics, the address the API is served on"))
	}
	return errors.Join(errs...)
}

func (s *StorageCollector) validate() error {
	var errs []error
	if s.Address == "" {
		errs = append(errs, errors.New("config: storage.kind collector needs storage.collector.address"))
	}
	if _, err := ResolveToken(s.Token, s.TokenFile); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
