package app

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/callrec/callrec/internal/api"
	"github.com/callrec/callrec/internal/blobstore"
	"github.com/callrec/callrec/internal/config"
	"github.com/callrec/callrec/internal/media"
	"github.com/callrec/callrec/internal/proxy"
	"github.com/callrec/callrec/internal/record"
	"github.com/callrec/callrec/internal/ship"
)

// apiAuth builds the API's authentication from a config's tokens, with
// the session secret kept in dataDir.
func apiAuth(dataDir string, tokens []config.APIToken, admins []string, insecure bool) (api.AuthConfig, error) {
	secret, err := loadSecret(filepath.Join(dataDir, "api-secret"))
	if err != nil {
		return api.AuthConfig{}, err
	}
	a := api.AuthConfig{Secret: secret, AdminUsers: admins, Insecure: insecure}
	for _, t := range tokens {
		role, err := api.ParseRole(t.Role)
		if err != nil {
			return a, fmt.Errorf("app: api_tokens %s: %w", t.Name, err)
		}
		a.Tokens = append(a.Tokens, api.Token{Name: t.Name, Token: t.Token, TokenHash: t.TokenHash, Role: role})
	}
	return a, nil
}

// loadSecret reads the hex secret at path, creating it (32 random
// bytes, mode 0600) the first time.
func loadSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		k := make([]byte, 32)
		rand.Read(k)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			_, err = f.WriteString(hex.EncodeToString(k) + "\n")
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err == nil {
				return k, nil
			}
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("app: api secret: %w", err)
		}
		b, err = os.ReadFile(path) // another process made it first
	}
	if err != nil {
		return nil, fmt.Errorf("app: api secret: %w", err)
	}
	k, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(k) < 32 {
		return nil, fmt.Errorf("app: api secret %s: want 64 hex digits", path)
	}
	return k, nil
}

// apiAudio reads recordings from the recordings directory and from the
// storage target when the API can read it (blobs, S3).
func apiAudio(dir string, target ship.Target) *api.Audio {
	a := &api.Audio{Dir: dir}
	switch t := target.(type) {
	case *blobstore.Target:
		a.Blobs = t
	case *ship.S3Target:
		a.S3 = t
	}
	return a
}

// apiMedia is the media side of the calls API: the in-process node and
// recorder (m, rec: nil when there is none) and the pool of remote nodes
// (nil without serve.media_nodes), which names the node of each call.
type apiMedia struct {
	m    *media.Manager
	rec  *record.Recorder
	pool *proxy.NodePool
}

func (a apiMedia) CallMedia(c proxy.Call) (string, media.StreamStats, bool) {
	if !c.Anchored {
		return "", media.StreamStats{}, false
	}
	node := "local"
	if a.pool != nil {
		node = a.pool.NodeOf(c.CallID)
	}
	if a.m == nil || node != "local" {
		// A remote node's counters are its own (its /metrics).
		return node, media.StreamStats{}, false
	}
	st, err := a.m.Query(c.CallID, c.FromTag, c.ToTag, 1)
	return node, st, err == nil
}

func (a apiMedia) Pause(callID string) error {
	if a.rec == nil || (a.pool != nil && a.pool.NodeOf(callID) != "local") {
		return fmt.Errorf("%w: the call is not recorded in this process", proxy.ErrNoRecorder)
	}
	return a.rec.Pause(callID)
}

func (a apiMedia) Resume(callID string) error {
	if a.rec == nil || (a.pool != nil && a.pool.NodeOf(callID) != "local") {
		return fmt.Errorf("%w: the call is not recorded in this process", proxy.ErrNoRecorder)
	}
	return a.rec.Resume(callID)
}

func (a apiMedia) Paused(callID string) bool { return a.rec != nil && a.rec.Paused(callID) }
