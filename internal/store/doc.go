// Package store is the SIP proxy's database: the registrar's location
// table, the routes table, digest users and trunk allow-lists, in SQLite
// (the default, embedded) or PostgreSQL (when a DSN is configured), behind
// the one type Store. The recordings catalogue (internal/catalog) shares
// the database through Store.DB and keeps its own tables, applied with
// Store.Migrate as migrations 1000-1999.
//
// # Schema
//
//	locations      (aor, contact) PK; received, transport (NAT source),
//	               expires_at, q, call_id, cseq, user_agent, updated_at
//	routes         id PK; kind (prefix|exact|regex), pattern, destination,
//	               priority, enabled, description; index (kind, pattern)
//	users          (username, domain) PK; ha1, enabled, display_name
//	trunks         name PK; enabled, description
//	trunk_networks (trunk, prefix) PK; trunk references trunks on delete cascade
//	schema_migrations version PK; name, applied_at
//
// Times are BIGINT unix milliseconds in both databases. Passwords are
// never stored: users hold HA1 = MD5(username:realm:password) (see HA1).
//
// # Dialects
//
// Every difference between the two databases lives in two places: the
// migrations, embedded per dialect as migrations/<dialect>/NNNN_name.sql
// with the same numbers and names in both, and dialect.go, which rewrites
// ? placeholders to $n for PostgreSQL and recognises each driver's
// unique-violation and busy errors. Queries are otherwise written once in
// SQL both accept (INSERT ... ON CONFLICT ... DO UPDATE ... WHERE,
// RETURNING, boolean columns tested as WHERE enabled).
//
// Open applies the migrations not yet in schema_migrations in one
// transaction. Concurrent Opens are safe: PostgreSQL serialises them with
// pg_advisory_xact_lock keyed by the current schema; SQLite takes the write
// lock at BEGIN (BEGIN IMMEDIATE) and Open retries while a file that is
// being switched to WAL reports SQLITE_BUSY.
//
// # Routing
//
// MatchRoutes supports three kinds of pattern on the request-URI user:
// number prefixes (the common case, matched in SQL with an IN list of the
// user's prefixes, so it uses the index), exact users, and anchored RE2
// regular expressions (read from the table and matched in Go with a
// compiled-pattern cache). Candidates come back best match first (exact,
// longest prefix, then regex and the empty default prefix), then by
// ascending Priority, for failover on 408/5xx.
//
// # Concurrency and resilience
//
// A Store is safe for concurrent use; it runs no goroutines besides the
// database/sql pool's. SQLite runs in WAL mode (readers never block the
// writer) with a busy timeout of 5 s, foreign keys on and synchronous=NORMAL;
// PostgreSQL uses a pool of up to 16 connections.
//
// A database that is down or slow must not drop calls: callers on the call
// path should not query the Store directly but through a Cache, a
// read-through cache of Lookup and MatchRoutes with a TTL that serves the
// last answer (counted as stale) when the database fails, and an
// AuthCache, the same for digest users (HA1, unknown and disabled users
// included), whether any user exists, and the trunks' allow-list.
//
// # Drivers
//
// modernc.org/sqlite is SQLite translated to pure Go: no cgo, so the binary
// cross-compiles and `callrec serve` needs no system library. PostgreSQL is
// reached with github.com/jackc/pgx/v5 through its database/sql driver
// (pgx/v5/stdlib), so both dialects share one code path over *sql.DB;
// pgx is the maintained, fastest pure-Go PostgreSQL driver and understands
// libpq URLs, with unknown URL parameters (search_path=...) sent as
// run-time parameters.
package store
