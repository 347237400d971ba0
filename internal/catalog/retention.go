package catalog

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// DefaultHoldLabel is the label that puts a recording under legal hold:
// retention never deletes a recording carrying it, whatever its value.
const DefaultHoldLabel = "legal_hold"

// RetentionRule keeps recordings matching Label for MaxAge after they
// started. A recording matching several rules is kept for the longest of
// their ages (a label can only lengthen retention, never shorten what
// another rule requires). A recording matching no rule is kept forever.
type RetentionRule struct {
	// Label is "" (every recording), a label name, or name=value.
	Label  string
	MaxAge time.Duration
}

// Retention is the purge policy.
type Retention struct {
	Rules []RetentionRule
	// MaxBytes bounds the total size of the recordings kept; beyond it
	// the oldest are deleted first (held ones never). 0: no bound.
	MaxBytes int64
	// HoldLabel names the legal-hold label; "" is DefaultHoldLabel.
	HoldLabel string
}

// Remover deletes a recording's audio wherever it lives (files, blobs,
// objects). Deleting audio that is already gone must not be an error.
type Remover func(ctx context.Context, r *Recording) error

// PurgeResult says what a purge did.
type PurgeResult struct {
	ByAge, BySize int   // recordings deleted for each reason
	Bytes         int64 // their total size
	Held          int   // recordings past their age kept for legal hold
}

// matches reports whether labels satisfy a rule's label selector.
func matches(sel string, labels map[string]string) bool {
	if sel == "" {
		return true
	}
	name, value, hasValue := strings.Cut(sel, "=")
	v, ok := labels[name]
	return ok && (!hasValue || v == value)
}

// keepFor returns how long a recording with labels is kept, and false
// when no rule applies (kept forever).
func (p Retention) keepFor(labels map[string]string) (time.Duration, bool) {
	var age time.Duration
	any := false
	for _, r := range p.Rules {
		if matches(r.Label, labels) {
			age, any = max(age, r.MaxAge), true
		}
	}
	return age, any
}

// Purge applies p at now: it deletes, oldest first, the finished
// recordings past their retention and then, while the total exceeds
// MaxBytes, the oldest others, never touching a recording under legal
// hold or one still recording. Each deletion removes the audio first
// (remove) and then marks the row deleted, so a failure leaves the row
// pointing at audio that may be partly gone, never audio without a row.
func (c *Catalog) Purge(ctx context.Context, p Retention, now time.Time, remove Remover) (PurgeResult, error) {
	hold := p.HoldLabel
	if hold == "" {
		hold = DefaultHoldLabel
	}
	var res PurgeResult
	del := func(r *Recording, reason string) error {
		if err := remove(ctx, r); err != nil {
			return fmt.Errorf("catalog: purge %s: %w", r.Key, err)
		}
		if err := c.SetStatus(ctx, r.ID, StatusDeleted, reason); err != nil {
			return err
		}
		res.Bytes += r.Size
		return nil
	}
	// The oldest rule age bounds which recordings can be past theirs.
	if len(p.Rules) > 0 {
		minAge := p.Rules[0].MaxAge
		for _, r := range p.Rules {
			minAge = min(minAge, r.MaxAge)
		}
		err := c.eachOldest(ctx, now.Add(-minAge), func(r *Recording) (bool, error) {
			age, ok := p.keepFor(r.Labels)
			if !ok || now.Sub(r.Started) <= age {
				return true, nil
			}
			if _, held := r.Labels[hold]; held {
				res.Held++
				return true, nil
			}
			if err := del(r, fmt.Sprintf("retention: older than %v", age)); err != nil {
				return false, err
			}
			res.ByAge++
			return true, nil
		})
		if err != nil {
			return res, err
		}
	}
	if p.MaxBytes > 0 {
		total, err := c.totalBytes(ctx)
		if err != nil {
			return res, err
		}
		if total > p.MaxBytes {
			err := c.eachOldest(ctx, now, func(r *Recording) (bool, error) {
				if _, held := r.Labels[hold]; held {
					return true, nil
				}
				if err := del(r, fmt.Sprintf("retention: total size over %d bytes", p.MaxBytes)); err != nil {
					return false, err
				}
				res.BySize++
				total -= r.Size
				return total > p.MaxBytes, nil
			})
			if err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

// eachOldest calls f with the finished, not deleted recordings started
// before before, oldest first, in pages, until f returns false.
func (c *Catalog) eachOldest(ctx context.Context, before time.Time, f func(*Recording) (bool, error)) error {
	var lastStarted, lastID int64 = -1, 0
	for {
		rows, err := c.db.QueryContext(ctx, c.st.Rebind(`SELECT `+columns+` FROM recordings
WHERE status IN ('complete', 'interrupted', 'failed') AND started_at < ?
  AND (started_at > ? OR (started_at = ? AND id > ?))
ORDER BY started_at, id LIMIT 500`), ms(before), lastStarted, lastStarted, lastID)
		if err != nil {
			return fmt.Errorf("catalog: purge: %w", err)
		}
		var page []*Recording
		for rows.Next() {
			r, err := scanRecording(rows)
			if err != nil {
				rows.Close()
				return fmt.Errorf("catalog: purge: %w", err)
			}
			page = append(page, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("catalog: purge: %w", err)
		}
		if len(page) == 0 {
			return nil
		}
		if err := c.details(ctx, page); err != nil {
			return err
		}
		for _, r := range page {
			more, err := f(r)
			if err != nil || !more {
				return err
			}
		}
		last := page[len(page)-1]
		lastStarted, lastID = ms(last.Started), last.ID
	}
}

// totalBytes is the size of the recordings not deleted.
func (c *Catalog) totalBytes(ctx context.Context) (int64, error) {
	var n int64
	if err := c.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(size), 0) FROM recordings WHERE status <> 'deleted'`).Scan(&n); err != nil {
		return 0, fmt.Errorf("catalog: total size: %w", err)
	}
	return n, nil
}
