package record

import (
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/callrec/callrec/internal/record/container"
)

// Recover finds the recordings a crash interrupted below dir (sidecars
// still saying "recording"), repairs their files so that they play up to
// the last data that reached the disk, and marks them interrupted. It
// returns how many it recovered. It never makes a file worse: see
// container.Repair. onMeta, when not nil, is called with each sidecar it
// rewrites (as Config.OnMeta).
func Recover(dir string, log *slog.Logger, onMeta func(path string)) (int, error) {
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return nil
		}
		m, err := ReadMeta(path)
		if err != nil || m.Status != StatusRecording {
			return nil
		}
		total := 0.0
		var problems []string
		for i := range m.Files {
			f := &m.Files[i]
			if f.Raw || m.Format.Container == container.ContainerRaw {
				continue
			}
			res, err := container.Repair(filepath.Join(dir, f.Path))
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", f.Path, err))
				continue
			}
			f.Duration = res.Duration.Seconds()
			if f.Party != "callee" {
				total += f.Duration
			}
		}
		m.Status = StatusInterrupted
		m.Duration = total
		m.Reason = fmt.Sprintf("process stopped while recording; repaired to %.1f s", total)
		if len(problems) > 0 {
			m.Reason += "; " + strings.Join(problems, "; ")
		}
		if err := writeMeta(path, m); err != nil {
			return err
		}
		if onMeta != nil {
			onMeta(path)
		}
		log.Info("recording recovered", "file", path, "seconds", total)
		n++
		return nil
	})
	return n, err
}
