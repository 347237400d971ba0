package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/callrec/callrec/internal/asr"
	"github.com/callrec/callrec/internal/spot"
)

// spotServe is `callrec spot --listen`: the reference engine of the ASR
// streaming interface (docs/asr-stream.md), the built-in spotter behind
// asr.StreamServer, until ctx ends.
type spotServe struct {
	listen, wsListen  string
	certFile, keyFile string
	token             string
	keywords          []spot.Keyword // nil: each header's
	model, dict       string
	maxLegs           int
}

func (o spotServe) run(ctx context.Context) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil)).With("component", "spot-server")
	if !spot.ModelInstalled() && o.model == spot.DefaultModelDir {
		return fmt.Errorf("spot: %w: %s (install Debian package pocketsphinx-en-us)", spot.ErrNoModel, o.model)
	}
	srv := &asr.StreamServer{
		NewEngine: asr.SpotEngine(spot.Config{Keywords: o.keywords, ModelDir: o.model, Dict: o.dict}),
		Token:     o.token,
		MaxLegs:   o.maxLegs,
		Logger:    log,
	}
	var tc *tls.Config
	if o.certFile != "" || o.keyFile != "" {
		cert, err := tls.LoadX509KeyPair(o.certFile, o.keyFile)
		if err != nil {
			return fmt.Errorf("spot: tls: %w", err)
		}
		tc = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	errc := make(chan error, 2)
	n := 0
	if o.listen != "" {
		ln, err := net.Listen("tcp", o.listen)
		if err != nil {
			return fmt.Errorf("spot: %w", err)
		}
		scheme := "tcp"
		if tc != nil {
			ln, scheme = tls.NewListener(ln, tc), "tls"
		}
		fmt.Fprintf(os.Stderr, "callrec spot: serving %s://%s\n", scheme, ln.Addr())
		n++
		go func() { errc <- srv.Serve(ln) }()
	}
	var hs *http.Server
	if o.wsListen != "" {
		ln, err := net.Listen("tcp", o.wsListen)
		if err != nil {
			srv.Close()
			return fmt.Errorf("spot: %w", err)
		}
		hs = &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, TLSConfig: tc}
		scheme := "ws"
		if tc != nil {
			scheme = "wss"
		}
		fmt.Fprintf(os.Stderr, "callrec spot: serving %s://%s/\n", scheme, ln.Addr())
		n++
		go func() {
			if tc != nil {
				errc <- hs.ServeTLS(ln, "", "")
			} else {
				errc <- hs.Serve(ln)
			}
		}()
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		n--
	}
	srv.Close()
	if hs != nil {
		hs.Close()
	}
	for ; n > 0; n-- {
		<-errc
	}
	if errors.Is(err, asr.ErrStreamClosed) || errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
