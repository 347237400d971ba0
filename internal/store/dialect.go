package store

import (
	"errors"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
)

// Dialect names the SQL dialect behind a Store.
type Dialect string

// The dialects a Store speaks.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// dialect holds every difference between the two databases that the
// query code has to know about. Queries are written once, with ?
// placeholders and SQL both databases accept (INSERT ... ON CONFLICT,
// RETURNING, boolean WHERE, BIGINT unix milliseconds for times); the
// schema is kept per dialect in migrations/<dialect>/.
type dialect struct {
	name  Dialect
	bound sync.Map // query with ? -> query with $n (PostgreSQL only)
}

// q returns query in the dialect's placeholder syntax: ? for SQLite,
// $1..$n for PostgreSQL. Rewritten queries are cached. No query in this
// package has a ? inside a string literal, so a plain scan is enough.
func (d *dialect) q(query string) string {
	if d.name != Postgres {
		return query
	}
	if v, ok := d.bound.Load(query); ok {
		return v.(string)
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	s := b.String()
	d.bound.Store(query, s)
	return s
}

// SQLite extended result codes for constraint violations
// (https://sqlite.org/rescode.html).
const (
	sqliteConstraintPrimaryKey = 1555
	sqliteConstraintUnique     = 2067
)

// isUnique reports whether err is a primary key or unique violation.
func isUnique(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505" // unique_violation
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code()
		return c == sqliteConstraintPrimaryKey || c == sqliteConstraintUnique
	}
	return false
}

// isBusy reports whether err is SQLite's SQLITE_BUSY or SQLITE_LOCKED
// (any extended code): another connection held a lock longer than the
// busy timeout, or the busy handler could not be used, as happens when
// several connections switch a new file to WAL at once.
func isBusy(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == 5 || c == 6
	}
	return false
}
