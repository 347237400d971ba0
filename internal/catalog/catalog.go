// Package catalog is the recordings catalogue: one row per recording with
// its call's metadata, where the audio lives, its status, labels,
// per-leg quality and events (DTMF, keywords, pauses), searchable by
// time, party, duration, label, status and event.
//
// It keeps its tables in the proxy's database (internal/store: SQLite by
// default, PostgreSQL when a DSN is configured), applied on Open as
// migrations 1000-1999 through Store.Migrate.
//
// # Writes
//
// Put is an upsert keyed by Recording.Key, the recorder's own name for a
// recording (its node and sidecar base name), so writing the same state
// twice (a retry after a database error, a rescan after a restart)
// never duplicates a row. Labels and events are replaced with the row,
// in one transaction.
//
// # Search
//
// Results come newest first, paged by keyset (a cursor holding the last
// row's start time and id), so page N costs what page 1 does. Each filter
// has an index: the start time; caller and callee user parts for prefix
// search (a range scan, the same SQL on both databases); the parties
// text for substring search, with trigram indexes (SQLite FTS5's trigram
// tokenizer, PostgreSQL pg_trgm); status; duration; labels and events by
// (name, value). See BENCHMARKS.md for the numbers on a million rows.
package catalog

import (
	"context"
	"database/sql"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/callrec/callrec/internal/store"
)

//go:embed migrations
var migrations embed.FS

// Status is a recording's state.
type Status string

// The statuses a recording goes through: recording while the call runs,
// then complete, or interrupted (a crash or a lost node cut it short; the
// audio up to then is kept), or failed (nothing usable). Deleted rows
// stay, with their audio purged.
const (
	StatusRecording   Status = "recording"
	StatusComplete    Status = "complete"
	StatusInterrupted Status = "interrupted"
	StatusFailed      Status = "failed"
	StatusDeleted     Status = "deleted"
)

// Errors.
var (
	ErrNotFound = errors.New("catalog: recording not found")
	ErrInvalid  = errors.New("catalog: invalid")
)

// Recording is one row of the catalogue.
type Recording struct {
	ID  int64  // assigned by the database
	Key string // unique: the recorder's name for the recording (required)

	CallID, FromTag, ToTag string
	Caller, Callee         string // From and To URIs
	CallerName, CalleeName string // display names
	Direction              string // inbound, outbound, internal or ""

	Started, Answered, Ended time.Time
	Duration                 time.Duration

	Codecs   string // e.g. "PCMU,PCMA"
	Profile  string
	Format   string // e.g. "wav/pcm_s16le/8000/stereo"
	Size     int64
	Checksum string // e.g. "sha256:..."
	Location string // where the audio lives: a path, blob:ID, s3://bucket/key
	Status   Status
	Reason   string // why interrupted or failed
	Node     string // the media node that recorded it

	Legs   [2]Leg // caller, callee
	Labels map[string]string
	Events []Event
}

// Leg is the quality of what one party sent.
type Leg struct {
	Packets, Lost int64
	JitterMs      float64
	MOS           float64 // estimate, see EstimateMOS; 0 when unknown
}

// Event is something that happened at an offset of the recording.
type Event struct {
	Type     string // dtmf, keyword, pause, resume, limit, ...
	At       time.Duration
	Duration time.Duration
	Party    string // caller, callee or ""
	Value    string
	// Confidence is a keyword's, from the spotter or speech engine, in
	// [0, 1]; 0 for other events.
	Confidence float64
	// Source names what found a keyword: spot (built in) or stream (an
	// external engine); "" for other events.
	Source string
}

// Catalog is the recordings catalogue. It is safe for concurrent use.
type Catalog struct {
	st  *store.Store
	db  *sql.DB
	now func() time.Time

	// Statements of put, prepared once: SQLite otherwise compiles each
	// of them again for every recording.
	putStmt, delLabels, insLabel, delEvents, insEvent *sql.Stmt

	// Observe, when set right after Open (before the Catalog is shared),
	// is called with the kind and duration of each query: catalog_search,
	// catalog_get, catalog_put_batch, catalog_set_status; failed ones
	// included. It must be cheap and safe for concurrent use (callrec
	// serve feeds a latency histogram).
	Observe func(query string, d time.Duration)
}

// observe reports a query that started at start to Observe; use it as
// defer c.observe("catalog_get", time.Now()).
func (c *Catalog) observe(query string, start time.Time) {
	if c.Observe != nil {
		c.Observe(query, time.Since(start))
	}
}

// Open applies the catalogue's migrations to st's database.
func Open(ctx context.Context, st *store.Store) (*Catalog, error) {
	if err := st.Migrate(ctx, migrations); err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	c := &Catalog{st: st, db: st.DB(), now: time.Now}
	for _, p := range []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&c.putStmt, putSQL},
		{&c.delLabels, `DELETE FROM recording_labels WHERE recording_id = ?`},
		{&c.insLabel, `INSERT INTO recording_labels (recording_id, name, value, rec_started) VALUES (?, ?, ?, ?)`},
		{&c.delEvents, `DELETE FROM recording_events WHERE recording_id = ?`},
		{&c.insEvent, `INSERT INTO recording_events (recording_id, seq, type, at_ms, duration_ms, party, value, confidence, source, rec_started)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
	} {
		var err error
		if *p.stmt, err = c.db.PrepareContext(ctx, st.Rebind(p.sql)); err != nil {
			return nil, fmt.Errorf("catalog: prepare: %w", err)
		}
	}
	return c, nil
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// userPart returns the user of a SIP URI ("sip:alice@host" -> "alice"),
// or the whole string without scheme when it has none.
func userPart(uri string) string {
	u := uri
	if i := strings.IndexByte(u, '<'); i >= 0 {
		u = u[i+1:]
		if j := strings.IndexByte(u, '>'); j >= 0 {
			u = u[:j]
		}
	}
	if i := strings.IndexByte(u, ':'); i >= 0 && !strings.Contains(u[:i], "@") {
		u = u[i+1:]
	}
	if i := strings.IndexAny(u, "@;?"); i >= 0 {
		u = u[:i]
	}
	return strings.ToLower(u)
}

// parties is the text substring search looks in.
func parties(r *Recording) string {
	return strings.ToLower(strings.Join([]string{r.CallerName, r.Caller, r.CalleeName, r.Callee}, " "))
}

const putSQL = `INSERT INTO recordings (key, call_id, from_tag, to_tag, caller, callee, caller_name, callee_name,
	caller_user, callee_user, parties, direction, started_at, answered_at, ended_at, duration_ms, codecs, profile,
	format, size, checksum, location, status, reason, node,
	caller_packets, caller_lost, caller_jitter_ms, caller_mos, callee_packets, callee_lost, callee_jitter_ms, callee_mos,
	updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (key) DO UPDATE SET call_id = excluded.call_id, from_tag = excluded.from_tag, to_tag = excluded.to_tag,
	caller = excluded.caller, callee = excluded.callee, caller_name = excluded.caller_name,
	callee_name = excluded.callee_name, caller_user = excluded.caller_user, callee_user = excluded.callee_user,
	parties = excluded.parties, direction = excluded.direction, started_at = excluded.started_at,
	answered_at = excluded.answered_at, ended_at = excluded.ended_at, duration_ms = excluded.duration_ms,
	codecs = excluded.codecs, profile = excluded.profile, format = excluded.format, size = excluded.size,
	checksum = excluded.checksum, location = excluded.location, status = excluded.status, reason = excluded.reason,
	node = excluded.node, caller_packets = excluded.caller_packets, caller_lost = excluded.caller_lost,
	caller_jitter_ms = excluded.caller_jitter_ms, caller_mos = excluded.caller_mos,
	callee_packets = excluded.callee_packets, callee_lost = excluded.callee_lost,
	callee_jitter_ms = excluded.callee_jitter_ms, callee_mos = excluded.callee_mos, updated_at = excluded.updated_at
WHERE recordings.status <> 'deleted'
RETURNING id`

func validStatus(s Status) bool {
	switch s {
	case StatusRecording, StatusComplete, StatusInterrupted, StatusFailed, StatusDeleted:
		return true
	}
	return false
}

// Put inserts r, or updates the row with r.Key, with its labels and
// events, and sets r.ID. An empty Status is StatusRecording. A row
// marked deleted is left as it is (r.Status is set to StatusDeleted).
func (c *Catalog) Put(ctx context.Context, r *Recording) error {
	return c.PutBatch(ctx, []*Recording{r})
}

// PutBatch puts every recording of rs in one transaction (bulk loads,
// rescans): all or none are written.
func (c *Catalog) PutBatch(ctx context.Context, rs []*Recording) error {
	defer c.observe("catalog_put_batch", time.Now())
	for _, r := range rs {
		if r.Key == "" || r.CallID == "" || r.Started.IsZero() {
			return fmt.Errorf("%w: recording needs a key, a Call-ID and a start time", ErrInvalid)
		}
		if r.Status == "" {
			r.Status = StatusRecording
		}
		if !validStatus(r.Status) {
			return fmt.Errorf("%w: status %q", ErrInvalid, r.Status)
		}
	}
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("catalog: put: %w", err)
	}
	defer tx.Rollback()
	for _, r := range rs {
		if err := c.put(ctx, tx, r); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("catalog: put: commit: %w", err)
	}
	return nil
}

func (c *Catalog) put(ctx context.Context, tx *sql.Tx, r *Recording) error {
	l0, l1 := r.Legs[0], r.Legs[1]
	err := tx.StmtContext(ctx, c.putStmt).QueryRowContext(ctx, r.Key, r.CallID, r.FromTag, r.ToTag, r.Caller, r.Callee,
		r.CallerName, r.CalleeName, userPart(r.Caller), userPart(r.Callee), parties(r), r.Direction,
		ms(r.Started), ms(r.Answered), ms(r.Ended), r.Duration.Milliseconds(), r.Codecs, r.Profile, r.Format,
		r.Size, r.Checksum, r.Location, string(r.Status), r.Reason, r.Node,
		l0.Packets, l0.Lost, l0.JitterMs, l0.MOS, l1.Packets, l1.Lost, l1.JitterMs, l1.MOS,
		ms(c.now())).Scan(&r.ID)
	if errors.Is(err, sql.ErrNoRows) {
		// A deleted recording stays deleted: a rescan of a sidecar
		// left behind must not bring it back.
		if err := tx.QueryRowContext(ctx, c.st.Rebind(`SELECT id FROM recordings WHERE key = ?`), r.Key).Scan(&r.ID); err != nil {
			return fmt.Errorf("catalog: put %s: %w", r.Key, err)
		}
		r.Status = StatusDeleted
		return nil
	}
	if err != nil {
		return fmt.Errorf("catalog: put %s: %w", r.Key, err)
	}
	if _, err := tx.StmtContext(ctx, c.delLabels).ExecContext(ctx, r.ID); err != nil {
		return fmt.Errorf("catalog: put %s: labels: %w", r.Key, err)
	}
	names := make([]string, 0, len(r.Labels))
	for k := range r.Labels {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if _, err := tx.StmtContext(ctx, c.insLabel).ExecContext(ctx, r.ID, k, r.Labels[k], ms(r.Started)); err != nil {
			return fmt.Errorf("catalog: put %s: label %s: %w", r.Key, k, err)
		}
	}
	if _, err := tx.StmtContext(ctx, c.delEvents).ExecContext(ctx, r.ID); err != nil {
		return fmt.Errorf("catalog: put %s: events: %w", r.Key, err)
	}
	for i, e := range r.Events {
		if _, err := tx.StmtContext(ctx, c.insEvent).ExecContext(ctx, r.ID, i, e.Type, e.At.Milliseconds(), e.Duration.Milliseconds(), e.Party, e.Value, e.Confidence, e.Source, ms(r.Started)); err != nil {
			return fmt.Errorf("catalog: put %s: event %d: %w", r.Key, i, err)
		}
	}
	return nil
}

// lastUpdate returns when a recording of node was last written, or the
// zero time.
func (c *Catalog) lastUpdate(ctx context.Context, node string) (time.Time, error) {
	var v sql.NullInt64
	if err := c.db.QueryRowContext(ctx, c.st.Rebind(`SELECT MAX(updated_at) FROM recordings WHERE node = ?`), node).Scan(&v); err != nil {
		return time.Time{}, fmt.Errorf("catalog: last update: %w", err)
	}
	return fromMS(v.Int64), nil
}

// SetStatus changes the status (and reason) of recording id.
func (c *Catalog) SetStatus(ctx context.Context, id int64, s Status, reason string) error {
	defer c.observe("catalog_set_status", time.Now())
	if !validStatus(s) {
		return fmt.Errorf("%w: status %q", ErrInvalid, s)
	}
	res, err := c.db.ExecContext(ctx, c.st.Rebind(`UPDATE recordings SET status = ?, reason = ?, updated_at = ? WHERE id = ?`),
		string(s), reason, ms(c.now()), id)
	if err != nil {
		return fmt.Errorf("catalog: set status %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: %d", ErrNotFound, id)
	}
	return nil
}

const columns = `id, key, call_id, from_tag, to_tag, caller, callee, caller_name, callee_name, direction,
	started_at, answered_at, ended_at, duration_ms, codecs, profile, format, size, checksum, location, status, reason, node,
	caller_packets, caller_lost, caller_jitter_ms, caller_mos, callee_packets, callee_lost, callee_jitter_ms, callee_mos`

func scanRecording(row interface{ Scan(...any) error }) (*Recording, error) {
	var r Recording
	var started, answered, ended, dur int64
	var status string
	l0, l1 := &r.Legs[0], &r.Legs[1]
	err := row.Scan(&r.ID, &r.Key, &r.CallID, &r.FromTag, &r.ToTag, &r.Caller, &r.Callee, &r.CallerName, &r.CalleeName,
		&r.Direction, &started, &answered, &ended, &dur, &r.Codecs, &r.Profile, &r.Format, &r.Size, &r.Checksum,
		&r.Location, &status, &r.Reason, &r.Node,
		&l0.Packets, &l0.Lost, &l0.JitterMs, &l0.MOS, &l1.Packets, &l1.Lost, &l1.JitterMs, &l1.MOS)
	if err != nil {
		return nil, err
	}
	r.Started, r.Answered, r.Ended = fromMS(started), fromMS(answered), fromMS(ended)
	r.Duration = time.Duration(dur) * time.Millisecond
	r.Status = Status(status)
	return &r, nil
}

// Get returns recording id with its labels and events.
func (c *Catalog) Get(ctx context.Context, id int64) (*Recording, error) {
	defer c.observe("catalog_get", time.Now())
	r, err := scanRecording(c.db.QueryRowContext(ctx, c.st.Rebind(`SELECT `+columns+` FROM recordings WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %d", ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("catalog: get %d: %w", id, err)
	}
	if err := c.details(ctx, []*Recording{r}); err != nil {
		return nil, err
	}
	return r, nil
}

// GetByKey returns the recording with key.
func (c *Catalog) GetByKey(ctx context.Context, key string) (*Recording, error) {
	var id int64
	err := c.db.QueryRowContext(ctx, c.st.Rebind(`SELECT id FROM recordings WHERE key = ?`), key).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: key %s", ErrNotFound, key)
	}
	if err != nil {
		return nil, fmt.Errorf("catalog: get %s: %w", key, err)
	}
	return c.Get(ctx, id)
}

// details loads labels and events of rs (one query each).
func (c *Catalog) details(ctx context.Context, rs []*Recording) error {
	if len(rs) == 0 {
		return nil
	}
	byID := make(map[int64]*Recording, len(rs))
	args := make([]any, len(rs))
	for i, r := range rs {
		byID[r.ID] = r
		args[i] = r.ID
	}
	in := "(" + strings.TrimSuffix(strings.Repeat("?,", len(rs)), ",") + ")"
	rows, err := c.db.QueryContext(ctx, c.st.Rebind(`SELECT recording_id, name, value FROM recording_labels WHERE recording_id IN `+in), args...)
	if err != nil {
		return fmt.Errorf("catalog: labels: %w", err)
	}
	for rows.Next() {
		var id int64
		var k, v string
		if err := rows.Scan(&id, &k, &v); err != nil {
			rows.Close()
			return fmt.Errorf("catalog: labels: %w", err)
		}
		r := byID[id]
		if r.Labels == nil {
			r.Labels = map[string]string{}
		}
		r.Labels[k] = v
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("catalog: labels: %w", err)
	}
	rows, err = c.db.QueryContext(ctx, c.st.Rebind(`SELECT recording_id, type, at_ms, duration_ms, party, value, confidence, source FROM recording_events
WHERE recording_id IN `+in+` ORDER BY recording_id, seq`), args...)
	if err != nil {
		return fmt.Errorf("catalog: events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, at, dur int64
		var e Event
		if err := rows.Scan(&id, &e.Type, &at, &dur, &e.Party, &e.Value, &e.Confidence, &e.Source); err != nil {
			return fmt.Errorf("catalog: events: %w", err)
		}
		e.At, e.Duration = time.Duration(at)*time.Millisecond, time.Duration(dur)*time.Millisecond
		byID[id].Events = append(byID[id].Events, e)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("catalog: events: %w", err)
	}
	return nil
}

// Query selects recordings. Zero fields do not filter.
type Query struct {
	From, To time.Time // start time in [From, To)
	// Party matches a substring of either party's display name or URI,
	// case-insensitively.
	Party string
	// Number matches the start of either party's user part (a phone
	// number or user name prefix).
	Number                   string
	MinDuration, MaxDuration time.Duration
	Status                   Status
	// Label is name or name=value.
	Label string
	// Event is type or type=value (dtmf, keyword=refund).
	Event  string
	CallID string
	// Limit is the page size; 0 is 50, at most 1000.
	Limit int
	// Cursor continues from a previous Page.Next.
	Cursor string
}

// Page is one page of results, newest first.
type Page struct {
	Recordings []*Recording
	// Next is the cursor of the following page, "" on the last one.
	Next string
}

func encodeCursor(started, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(started, 10) + ":" + strconv.FormatInt(id, 10)))
}

func decodeCursor(s string) (started, id int64, err error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		a, z, ok := strings.Cut(string(b), ":")
		if ok {
			if started, err = strconv.ParseInt(a, 10, 64); err == nil {
				id, err = strconv.ParseInt(z, 10, 64)
			}
			if err == nil {
				return started, id, nil
			}
		}
	}
	return 0, 0, fmt.Errorf("%w: cursor %q", ErrInvalid, s)
}

// likeEscape escapes LIKE wildcards in s (with \ as ESCAPE).
func likeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// commonRows is how many matches make a filter common: a common filter
// is checked row by row while walking the time index (the page fills
// after a few thousand rows), a rarer one is looked up in its own index
// and its matches sorted.
var commonRows = 5000

// candidates runs query (selecting ids) and returns its ids, or many
// when it has more than commonRows.
func (c *Catalog) candidates(ctx context.Context, query string, args ...any) (ids []any, many bool, err error) {
	rows, err := c.db.QueryContext(ctx, c.st.Rebind(query+` LIMIT `+strconv.Itoa(commonRows+1)), args...)
	if err != nil {
		return nil, false, fmt.Errorf("catalog: search: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, false, fmt.Errorf("catalog: search: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("catalog: search: %w", err)
	}
	if len(ids) > commonRows {
		return nil, true, nil
	}
	return ids, false, nil
}

// inList is "id IN (?, ...)" for n ids, or a condition no row meets
// when n is 0.
func inList(n int) string {
	if n == 0 {
		return "1 = 0"
	}
	return "id IN (" + strings.TrimSuffix(strings.Repeat("?,", n), ",") + ")"
}

// minChunk is the smallest number of candidates a driver fetches at a
// time (a variable so that tests can make chunks tiny).
var minChunk = 200

// driver is a label or event index walked in time order, newest first,
// from (started, id) down.
type driver struct {
	table, cond string
	args        []any
	started, id int64
}

// next returns the ids of the next n candidates of d, and whether there
// may be more.
func (c *Catalog) next(ctx context.Context, d *driver, n int) ([]any, bool, error) {
	rows, err := c.db.QueryContext(ctx, c.st.Rebind(`SELECT rec_started, recording_id FROM `+d.table+` WHERE `+d.cond+`
  AND (rec_started < ? OR (rec_started = ? AND recording_id < ?))
ORDER BY rec_started DESC, recording_id DESC LIMIT `+strconv.Itoa(n)), append(d.args[:len(d.args):len(d.args)], d.started, d.started, d.id)...)
	if err != nil {
		return nil, false, fmt.Errorf("catalog: search: %w", err)
	}
	defer rows.Close()
	var ids []any
	got := 0
	for rows.Next() {
		var started, id int64
		if err := rows.Scan(&started, &id); err != nil {
			return nil, false, fmt.Errorf("catalog: search: %w", err)
		}
		got++
		if id != d.id || started != d.started { // events repeat a recording
			ids = append(ids, id)
		}
		d.started, d.id = started, id
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("catalog: search: %w", err)
	}
	return ids, got == n, nil
}

// query runs one SELECT of recordings under where, newest first.
func (c *Catalog) query(ctx context.Context, where []string, args []any, limit int) ([]*Recording, error) {
	query := `SELECT ` + columns + ` FROM recordings`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY started_at DESC, id DESC LIMIT ` + strconv.Itoa(limit)
	rows, err := c.db.QueryContext(ctx, c.st.Rebind(query), args...)
	if err != nil {
		return nil, fmt.Errorf("catalog: search: %w", err)
	}
	defer rows.Close()
	var out []*Recording
	for rows.Next() {
		r, err := scanRecording(rows)
		if err != nil {
			return nil, fmt.Errorf("catalog: search: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("catalog: search: %w", err)
	}
	return out, nil
}

// addEvent adds an event filter as a subquery.
func addEvent(add func(string, ...any), ev string) {
	typ, value, hasValue := strings.Cut(ev, "=")
	if hasValue {
		add(`id IN (SELECT recording_id FROM recording_events WHERE type = ? AND value = ?)`, typ, value)
	} else {
		add(`id IN (SELECT recording_id FROM recording_events WHERE type = ?)`, typ)
	}
}

// Search returns one page of recordings matching q.
func (c *Catalog) Search(ctx context.Context, q Query) (*Page, error) {
	defer c.observe("catalog_search", time.Now())
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 1000)
	var where []string
	var args []any
	add := func(cond string, a ...any) { where = append(where, cond); args = append(args, a...) }
	if !q.From.IsZero() {
		add(`started_at >= ?`, ms(q.From))
	}
	if !q.To.IsZero() {
		add(`started_at < ?`, ms(q.To))
	}
	if q.CallID != "" {
		add(`call_id = ?`, q.CallID)
	}
	if q.Status != "" {
		add(`status = ?`, string(q.Status))
	}
	if q.MinDuration > 0 {
		add(`duration_ms >= ?`, q.MinDuration.Milliseconds())
	}
	if q.MaxDuration > 0 {
		add(`duration_ms <= ?`, q.MaxDuration.Milliseconds())
	}
	if q.Number != "" {
		lo := strings.ToLower(q.Number)
		if c.st.Dialect() == store.Postgres {
			// The indexes use text_pattern_ops, which serves LIKE
			// prefixes whatever the database's collation.
			p := likeEscape(lo) + "%"
			add(`(caller_user LIKE ? ESCAPE '\' OR callee_user LIKE ? ESCAPE '\')`, p, p)
		} else {
			// SQLite's LIKE is case-insensitive and so cannot use a
			// BINARY index; a range can (BINARY is byte order, and
			// U+10FFFF sorts after every character).
			hi := lo + "\U0010FFFF"
			ids, many, err := c.candidates(ctx, `SELECT id FROM recordings WHERE caller_user >= ? AND caller_user < ?
UNION SELECT id FROM recordings WHERE callee_user >= ? AND callee_user < ?`, lo, hi, lo, hi)
			if err != nil {
				return nil, err
			}
			if many {
				// Unary + keeps SQLite off the user indexes: it
				// walks the time index and stops at the page.
				add(`((+caller_user >= ? AND +caller_user < ?) OR (+callee_user >= ? AND +callee_user < ?))`, lo, hi, lo, hi)
			} else {
				add(inList(len(ids)), ids...)
			}
		}
	}
	if q.Party != "" {
		p := strings.ToLower(q.Party)
		phrase := `"` + strings.ReplaceAll(p, `"`, `""`) + `"`
		var ids []any
		many := true
		if c.st.Dialect() == store.SQLite && len(p) >= 3 {
			// A phrase query on the FTS5 trigram index matches
			// substrings of three characters or more; few matches
			// are cheap to sort.
			var err error
			if ids, many, err = c.candidates(ctx, `SELECT rowid FROM recordings_fts WHERE recordings_fts MATCH ?`, phrase); err != nil {
				return nil, err
			}
		}
		if !many {
			add(inList(len(ids)), ids...)
		} else {
			add(`parties LIKE ? ESCAPE '\'`, "%"+likeEscape(p)+"%")
		}
	}
	// A label or event filter drives the search: its index, in time
	// order, yields candidates a chunk at a time, and the other filters
	// are applied to each chunk, until the page is full. Sorting every
	// match instead costs what the label's popularity costs.
	var drive *driver
	switch {
	case q.Label != "":
		name, value, hasValue := strings.Cut(q.Label, "=")
		drive = &driver{table: "recording_labels", cond: "name = ?", args: []any{name}}
		if hasValue {
			drive.cond, drive.args = "name = ? AND value = ?", []any{name, value}
		}
		if q.Event != "" {
			addEvent(add, q.Event)
		}
	case q.Event != "":
		typ, value, hasValue := strings.Cut(q.Event, "=")
		drive = &driver{table: "recording_events", cond: "type = ?", args: []any{typ}}
		if hasValue {
			drive.cond, drive.args = "type = ? AND value = ?", []any{typ, value}
		}
	}
	var curStarted, curID int64 = math.MaxInt64, math.MaxInt64
	if q.Cursor != "" {
		var err error
		if curStarted, curID, err = decodeCursor(q.Cursor); err != nil {
			return nil, err
		}
	}
	var page Page
	if drive == nil {
		add(`(started_at < ? OR (started_at = ? AND id < ?))`, curStarted, curStarted, curID)
		rs, err := c.query(ctx, where, args, limit+1)
		if err != nil {
			return nil, err
		}
		page.Recordings = rs
	} else {
		drive.started, drive.id = curStarted, curID
		chunk := max(4*limit, minChunk)
		for len(page.Recordings) <= limit {
			ids, more, err := c.next(ctx, drive, chunk)
			if err != nil {
				return nil, err
			}
			if len(ids) > 0 {
				in := "id IN (" + strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",") + ")"
				rs, err := c.query(ctx, append(where[:len(where):len(where)], in), append(args[:len(args):len(args)], ids...),
					limit+1-len(page.Recordings))
				if err != nil {
					return nil, err
				}
				page.Recordings = append(page.Recordings, rs...)
			}
			if !more {
				break
			}
			chunk = min(2*chunk, 20000)
		}
	}
	if len(page.Recordings) > limit {
		page.Recordings = page.Recordings[:limit]
		last := page.Recordings[limit-1]
		page.Next = encodeCursor(ms(last.Started), last.ID)
	}
	if err := c.details(ctx, page.Recordings); err != nil {
		return nil, err
	}
	return &page, nil
}

// EstimateMOS estimates the listening quality (MOS, 1 to 4.5) of a
// stream from its loss and jitter with the simplified E-model commonly
// used by monitoring tools (ITU-T G.107 with the codec impairment of
// G.711 and no echo): the effective latency is twice the jitter plus
// 10 ms of processing (one-way network delay is not measured by the
// recorder), and each percent of loss costs 2.5 R points.
func EstimateMOS(packets, lost int64, jitterMs float64) float64 {
	if packets <= 0 {
		return 0
	}
	lossPct := 0.0
	if lost > 0 {
		lossPct = 100 * float64(lost) / float64(packets+lost)
	}
	eff := 2*jitterMs + 10
	r := 93.2
	if eff < 160 {
		r -= eff / 40
	} else {
		r -= (eff - 120) / 10
	}
	r -= 2.5 * lossPct
	if r < 0 {
		return 1
	}
	mos := 1 + 0.035*r + 7e-6*r*(r-60)*(100-r)
	return math.Round(math.Min(4.5, math.Max(1, mos))*100) / 100
}
