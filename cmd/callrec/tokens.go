package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
)

func init() {
	register("tokens", "make an HTTP API token and its serve.api_tokens entry (new NAME [--role viewer|admin])", runTokens)
}

func runTokens(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("tokens", flag.ContinueOnError)
	role := fs.String("role", "viewer", "viewer (search, listen, list calls) or admin (also control calls, delete recordings, routes, users)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: callrec tokens new NAME [--role viewer|admin]

Makes a random API token (32 bytes, base64url) and prints it once on
stdout, and on stderr the serve.api_tokens entry that holds only its
SHA-256 (token_hash), to paste into the config: the config then never
holds the secret. Clients send it as "Authorization: Bearer TOKEN" (the
CLI: --token or $CALLREC_TOKEN) or log in with it (POST /api/login).

flags:
`)
		fs.PrintDefaults()
	}
	words, err := (&adminFlags{fs: fs}).parse(args)
	if err != nil {
		return err
	}
	if len(words) != 2 || words[0] != "new" || words[1] == "" {
		fs.Usage()
		return fmt.Errorf("tokens: want new NAME, got %q", words)
	}
	if *role != "viewer" && *role != "admin" {
		return fmt.Errorf("tokens: --role %q: want viewer or admin", *role)
	}
	b := make([]byte, 32)
	rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(tok))
	fmt.Println(tok)
	fmt.Fprintf(os.Stderr, "serve:\n  api_tokens:\n    - {name: %q, token_hash: %q, role: %s}\n", words[1], hex.EncodeToString(sum[:]), *role)
	return nil
}
