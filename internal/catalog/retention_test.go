package catalog

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"
)

// TestPurge: age rules (the longest matching rule wins), the size bound
// (oldest first), legal hold (never deleted) and recordings in progress
// (never deleted); a deleted row stays deleted when its sidecar is put
// again.
func TestPurge(t *testing.T) {
	both(t, func(t *testing.T, c *Catalog) {
		ctx := context.Background()
		now := t0.Add(400 * 24 * time.Hour)
		day := 24 * time.Hour
		put := func(key string, age time.Duration, size int64, status Status, labels map[string]string) {
			r := &Recording{Key: key, CallID: key + "@h", Started: now.Add(-age), Size: size, Status: status, Labels: labels}
			if err := c.Put(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		put("old", 100*day, 10, StatusComplete, nil)
		put("old-vip", 100*day, 10, StatusComplete, map[string]string{"queue": "vip"})
		put("old-held", 200*day, 10, StatusComplete, map[string]string{"legal_hold": "case-42", "queue": "sales"})
		put("old-failed", 95*day, 10, StatusFailed, nil)
		put("old-live", 100*day, 10, StatusRecording, nil)
		put("young-a", 10*day, 100, StatusComplete, nil)
		put("young-b", 5*day, 100, StatusInterrupted, nil)
		put("young-c", 1*day, 100, StatusComplete, nil)
		var removed []string
		remove := func(_ context.Context, r *Recording) error { removed = append(removed, r.Key); return nil }
		p := Retention{Rules: []RetentionRule{{MaxAge: 90 * day}, {Label: "queue=vip", MaxAge: 365 * day}}, MaxBytes: 220}
		res, err := c.Purge(ctx, p, now, remove)
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(removed)
		// By age: old and old-failed (old-vip is kept a year, old-held
		// is held, old-live still records). By size: the total of what
		// is left not deleted is 10+10+10+100+100+100 = 330 > 220, so
		// the oldest unheld finished ones go: old-vip (10), young-a
		// (100) leaves 220.
		if want := "[old old-failed old-vip young-a]"; fmt.Sprint(removed) != want {
			t.Errorf("removed %v, want %s", removed, want)
		}
		if res.ByAge != 2 || res.BySize != 2 || res.Held != 1 || res.Bytes != 130 {
			t.Errorf("result %+v", res)
		}
		page, err := c.Search(ctx, Query{Status: StatusDeleted})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Recordings) != 4 {
			t.Errorf("%d rows marked deleted, want 4", len(page.Recordings))
		}
		// A rescan puts the old sidecar again: the row stays deleted.
		again := &Recording{Key: "old", CallID: "old@h", Started: now.Add(-100 * day), Size: 10, Status: StatusComplete}
		if err := c.Put(ctx, again); err != nil {
			t.Fatal(err)
		}
		if r, _ := c.GetByKey(ctx, "old"); r.Status != StatusDeleted || again.Status != StatusDeleted {
			t.Errorf("deleted row came back as %s", r.Status)
		}
		// A second purge finds nothing more to do.
		removed = nil
		if res, err := c.Purge(ctx, p, now, remove); err != nil || len(removed) != 0 || res.Held != 1 {
			t.Errorf("second purge: %+v %v removed %v", res, err, removed)
		}
	})
}
