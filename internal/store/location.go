package store

import (
	"context"
	"fmt"
	"time"
)

// Binding is one registered contact of an address-of-record (RFC 3261
// section 10): what a REGISTER stored in the location table.
type Binding struct {
	// AOR is the address-of-record, normally "sip:user@domain".
	AOR string
	// Contact is the contact URI from the Contact header field.
	Contact string
	// Received is the source "ip:port" the REGISTER came from, used to
	// reach a contact behind NAT; empty when not recorded.
	Received string
	// Transport is the transport the REGISTER came over ("udp", "tcp",
	// "tls"); empty when not recorded.
	Transport string
	// Expires is when the binding lapses.
	Expires time.Time
	// Q is the contact's q-value, 0 to 1; higher is preferred.
	Q float64
	// CallID and CSeq are those of the REGISTER that last refreshed the
	// binding, for RFC 3261 10.3 step 7 ordering.
	CallID string
	CSeq   uint32
	// UserAgent is the User-Agent header field of that REGISTER.
	UserAgent string
	// Updated is when the binding was last written.
	Updated time.Time
}

// SaveBinding inserts or refreshes b (keyed by AOR and Contact). A binding
// with the same Call-ID and a CSeq not above the stored one is refused
// with ErrStale and changes nothing. Updated is set to the store's clock.
func (s *Store) SaveBinding(ctx context.Context, b Binding) error {
	if b.AOR == "" || b.Contact == "" {
		return fmt.Errorf("%w: binding needs aor and contact", ErrInvalid)
	}
	if b.Q < 0 || b.Q > 1 {
		return fmt.Errorf("%w: q %v out of 0..1", ErrInvalid, b.Q)
	}
	res, err := s.db.ExecContext(ctx, s.d.q(`INSERT INTO locations
	(aor, contact, received, transport, expires_at, q, call_id, cseq, user_agent, updated_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (aor, contact) DO UPDATE SET
	received = excluded.received, transport = excluded.transport,
	expires_at = excluded.expires_at, q = excluded.q, call_id = excluded.call_id,
	cseq = excluded.cseq, user_agent = excluded.user_agent, updated_at = excluded.updated_at
	WHERE locations.call_id <> excluded.call_id OR locations.cseq < excluded.cseq`),
		b.AOR, b.Contact, b.Received, b.Transport, ms(b.Expires), b.Q, b.CallID, int64(b.CSeq), b.UserAgent, ms(s.now()))
	if err != nil {
		return fmt.Errorf("store: save binding %s: %w", b.AOR, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("%w: %s call-id %s cseq %d", ErrStale, b.AOR, b.CallID, b.CSeq)
	}
	return nil
}

// RemoveBinding deletes one contact of aor (a REGISTER with Expires: 0).
// It returns ErrNotFound when there was no such binding.
func (s *Store) RemoveBinding(ctx context.Context, aor, contact string) error {
	res, err := s.db.ExecContext(ctx, s.d.q(`DELETE FROM locations WHERE aor = ? AND contact = ?`), aor, contact)
	if err != nil {
		return fmt.Errorf("store: remove binding %s: %w", aor, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("%w: binding %s %s", ErrNotFound, aor, contact)
	}
	return nil
}

// RemoveAll deletes every binding of aor (Contact: * with Expires: 0) and
// returns how many there were.
func (s *Store) RemoveAll(ctx context.Context, aor string) (int, error) {
	res, err := s.db.ExecContext(ctx, s.d.q(`DELETE FROM locations WHERE aor = ?`), aor)
	if err != nil {
		return 0, fmt.Errorf("store: remove all %s: %w", aor, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// Lookup returns the unexpired bindings of aor, highest q first, then the
// most recently refreshed. No bindings is an empty result, not an error.
func (s *Store) Lookup(ctx context.Context, aor string) ([]Binding, error) {
	rows, err := s.db.QueryContext(ctx, s.d.q(`SELECT contact, received, transport, expires_at, q,
	call_id, cseq, user_agent, updated_at FROM locations
	WHERE aor = ? AND expires_at > ? ORDER BY q DESC, updated_at DESC, contact`), aor, ms(s.now()))
	if err != nil {
		return nil, fmt.Errorf("store: lookup %s: %w", aor, err)
	}
	defer rows.Close()
	var out []Binding
	for rows.Next() {
		b := Binding{AOR: aor}
		var exp, upd, cseq int64
		if err := rows.Scan(&b.Contact, &b.Received, &b.Transport, &exp, &b.Q,
			&b.CallID, &cseq, &b.UserAgent, &upd); err != nil {
			return nil, fmt.Errorf("store: lookup %s: %w", aor, err)
		}
		b.Expires, b.Updated, b.CSeq = time.UnixMilli(exp), time.UnixMilli(upd), uint32(cseq)
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: lookup %s: %w", aor, err)
	}
	return out, nil
}

// Expire deletes every binding that lapsed at or before now and returns
// how many it removed. Lookup already hides them; Expire keeps the table
// small and is meant to run periodically (say once a minute).
func (s *Store) Expire(ctx context.Context, now time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, s.d.q(`DELETE FROM locations WHERE expires_at <= ?`), ms(now))
	if err != nil {
		return 0, fmt.Errorf("store: expire: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
