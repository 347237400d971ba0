package store

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// MatchKind says how a route's Pattern is compared with the user part of
// a request URI.
type MatchKind string

// The supported kinds of route pattern.
const (
	// Prefix matches users that start with Pattern ("+4420" matches
	// "+442071234567"); the empty prefix matches every user and makes a
	// default route.
	Prefix MatchKind = "prefix"
	// Exact matches a user equal to Pattern.
	Exact MatchKind = "exact"
	// Regex matches users the Go (RE2) regular expression Pattern matches
	// in whole: it is anchored at both ends.
	Regex MatchKind = "regex"
)

// maxPrefixLen bounds the prefixes of a user MatchRoutes looks for: a
// prefix route longer than this never matches.
const maxPrefixLen = 64

// Route sends calls whose request-URI user matches Pattern to Destination.
type Route struct {
	// ID is assigned by AddRoute.
	ID int64
	// Kind is how Pattern matches; empty means Prefix.
	Kind MatchKind
	// Pattern is a number prefix, an exact user or a regular expression.
	Pattern string
	// Destination is the SIP URI the call is forwarded to.
	Destination string
	// Priority orders routes of equal match length: lower is tried first.
	Priority int
	// Enabled routes take part in MatchRoutes; AddRoute stores the value
	// as given, so set it.
	Enabled bool
	// Description is free text for operators.
	Description string
}

// rank orders matches: exact first, then prefixes longest first, then
// regular expressions together with the empty (default) prefix.
func (r Route) rank() int {
	switch r.Kind {
	case Exact:
		return 1 << 20
	case Prefix:
		return len(r.Pattern)
	}
	return 0
}

// AddRoute validates and inserts r and returns its ID.
func (s *Store) AddRoute(ctx context.Context, r Route) (int64, error) {
	if r.Kind == "" {
		r.Kind = Prefix
	}
	switch r.Kind {
	case Prefix:
		if len(r.Pattern) > maxPrefixLen {
			return 0, fmt.Errorf("%w: prefix longer than %d bytes", ErrInvalid, maxPrefixLen)
		}
	case Exact:
		if r.Pattern == "" {
			return 0, fmt.Errorf("%w: empty exact pattern", ErrInvalid)
		}
	case Regex:
		if _, err := s.regex(r.Pattern); err != nil {
			return 0, err
		}
	default:
		return 0, fmt.Errorf("%w: route kind %q", ErrInvalid, r.Kind)
	}
	if r.Destination == "" {
		return 0, fmt.Errorf("%w: route without destination", ErrInvalid)
	}
	var id int64
	err := s.db.QueryRowContext(ctx, s.d.q(`INSERT INTO routes (kind, pattern, destination, priority, enabled, description)
	VALUES (?, ?, ?, ?, ?, ?) RETURNING id`),
		string(r.Kind), r.Pattern, r.Destination, r.Priority, r.Enabled, r.Description).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: add route %q: %w", r.Pattern, err)
	}
	return id, nil
}

// RemoveRoute deletes the route with id, or returns ErrNotFound.
func (s *Store) RemoveRoute(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx, s.d.q(`DELETE FROM routes WHERE id = ?`), id)
	if err != nil {
		return fmt.Errorf("store: remove route %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("%w: route %d", ErrNotFound, id)
	}
	return nil
}

const routeCols = `id, kind, pattern, destination, priority, enabled, description`

// ListRoutes returns every route, enabled or not, by pattern, priority, ID.
func (s *Store) ListRoutes(ctx context.Context) ([]Route, error) {
	return s.queryRoutes(ctx, `SELECT `+routeCols+` FROM routes ORDER BY pattern, priority, id`)
}

// MatchRoutes returns the enabled routes matching user, in the order a
// proxy should try them on failover: best match first (exact, then the
// longest prefix, then regular expressions and the default route), then
// lowest Priority, then lowest ID. No match is an empty result.
func (s *Store) MatchRoutes(ctx context.Context, user string) ([]Route, error) {
	n := min(len(user), maxPrefixLen)
	args := make([]any, 0, n+3)
	var b strings.Builder
	b.WriteString(`SELECT ` + routeCols + ` FROM routes WHERE enabled AND (kind = 'regex' OR (kind = 'exact' AND pattern = ?) OR (kind = 'prefix' AND pattern IN (?`)
	args = append(args, user, "")
	for i := 1; i <= n; i++ {
		b.WriteString(", ?")
		args = append(args, user[:i])
	}
	b.WriteString(")))")
	rs, err := s.queryRoutes(ctx, b.String(), args...)
	if err != nil {
		return nil, err
	}
	out := rs[:0]
	for _, r := range rs {
		if r.Kind == Regex {
			re, err := s.regex(r.Pattern)
			if err != nil || !re.MatchString(user) {
				continue
			}
		}
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if ra, rb := a.rank(), b.rank(); ra != rb {
			return ra > rb
		}
		if a.Priority != b.Priority {
			return a.Priority < b.Priority
		}
		return a.ID < b.ID
	})
	return out, nil
}

// queryRoutes runs a SELECT of routeCols.
func (s *Store) queryRoutes(ctx context.Context, query string, args ...any) ([]Route, error) {
	rows, err := s.db.QueryContext(ctx, s.d.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("store: routes: %w", err)
	}
	defer rows.Close()
	var out []Route
	for rows.Next() {
		var r Route
		var kind string
		if err := rows.Scan(&r.ID, &kind, &r.Pattern, &r.Destination, &r.Priority, &r.Enabled, &r.Description); err != nil {
			return nil, fmt.Errorf("store: routes: %w", err)
		}
		r.Kind = MatchKind(kind)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: routes: %w", err)
	}
	return out, nil
}

// regex compiles pattern anchored at both ends, caching the result.
func (s *Store) regex(pattern string) (*regexp.Regexp, error) {
	if v, ok := s.regexps.Load(pattern); ok {
		return v.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile(`^(?:` + pattern + `)$`)
	if err != nil {
		return nil, fmt.Errorf("%w: route regex %q: %v", ErrInvalid, pattern, err)
	}
	s.regexps.Store(pattern, re)
	return re, nil
}
