package store

import "errors"

// ErrNotFound is returned when the row a method names (a user, route,
// trunk or binding) does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrExists is returned when an insert collides with a row that has the
// same key (user@domain, trunk name).
var ErrExists = errors.New("store: already exists")

// ErrInvalid is returned for arguments the store refuses before touching
// the database: an empty AOR, a malformed route regex, an invalid prefix.
var ErrInvalid = errors.New("store: invalid argument")

// ErrStale is returned by SaveBinding when a REGISTER with the same
// Call-ID carries a CSeq not higher than the stored one (RFC 3261 10.3
// step 7: the request is out of order and must not change the binding).
var ErrStale = errors.New("store: stale register")

// ErrDisabled is returned by UserHA1 for a user that exists but is
// disabled, so the proxy can answer 403 rather than 401.
var ErrDisabled = errors.New("store: disabled")

// ErrDSN is returned by Open for a DSN it cannot interpret.
var ErrDSN = errors.New("store: unsupported dsn")
