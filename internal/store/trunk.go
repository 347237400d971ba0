package store

import (
	"context"
	"fmt"
	"net/netip"
)

// Trunk is a peer (carrier, PBX) that sends calls without digest
// authentication and is recognised by its source address.
type Trunk struct {
	// Name identifies the trunk.
	Name string
	// Networks is the allow-list: requests from an address inside one of
	// these prefixes belong to the trunk. A single host is a /32 or /128.
	Networks []netip.Prefix
	// Enabled trunks take part in TrunkForIP; AddTrunk stores the value
	// as given.
	Enabled bool
	// Description is free text for operators.
	Description string
}

// AddTrunk inserts t and its networks in one transaction; ErrExists if a
// trunk of that name is there. Networks are stored masked (10.1.2.3/8 as
// 10.0.0.0/8).
func (s *Store) AddTrunk(ctx context.Context, t Trunk) error {
	if t.Name == "" || len(t.Networks) == 0 {
		return fmt.Errorf("%w: trunk needs a name and networks", ErrInvalid)
	}
	for _, p := range t.Networks {
		if !p.IsValid() {
			return fmt.Errorf("%w: trunk %s: invalid network", ErrInvalid, t.Name)
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: add trunk %s: %w", t.Name, err)
	}
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, s.d.q(`INSERT INTO trunks (name, enabled, description) VALUES (?, ?, ?)`),
		t.Name, t.Enabled, t.Description)
	if isUnique(err) {
		return fmt.Errorf("%w: trunk %s", ErrExists, t.Name)
	}
	if err != nil {
		return fmt.Errorf("store: add trunk %s: %w", t.Name, err)
	}
	seen := map[netip.Prefix]bool{}
	for _, p := range t.Networks {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-unmapBits(p)).Masked()
		if seen[p] {
			continue
		}
		seen[p] = true
		if _, err := tx.ExecContext(ctx, s.d.q(`INSERT INTO trunk_networks (trunk, prefix) VALUES (?, ?)`),
			t.Name, p.String()); err != nil {
			return fmt.Errorf("store: add trunk %s network %s: %w", t.Name, p, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: add trunk %s: %w", t.Name, err)
	}
	return nil
}

// unmapBits is 96 for an IPv4-mapped IPv6 prefix (so ::ffff:10.0.0.0/104
// becomes 10.0.0.0/8) and 0 otherwise.
func unmapBits(p netip.Prefix) int {
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		return 96
	}
	return 0
}

// RemoveTrunk deletes the trunk and its networks, or returns ErrNotFound.
func (s *Store) RemoveTrunk(ctx context.Context, name string) error {
	res, err := s.db.ExecContext(ctx, s.d.q(`DELETE FROM trunks WHERE name = ?`), name)
	if err != nil {
		return fmt.Errorf("store: remove trunk %s: %w", name, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("%w: trunk %s", ErrNotFound, name)
	}
	return nil
}

// ListTrunks returns every trunk, enabled or not, by name.
func (s *Store) ListTrunks(ctx context.Context) ([]Trunk, error) {
	return s.trunks(ctx, false)
}

// TrunkForIP returns the enabled trunk whose allow-list holds ip, the one
// with the most specific (longest) matching network when several do, or
// ErrNotFound. Trunk lists are small, so the match runs in Go over all
// enabled networks; callers on a hot path should cache.
func (s *Store) TrunkForIP(ctx context.Context, ip netip.Addr) (Trunk, error) {
	ip = ip.Unmap()
	ts, err := s.trunks(ctx, true)
	if err != nil {
		return Trunk{}, err
	}
	return matchTrunk(ts, ip)
}

// matchTrunk returns the enabled trunk of ts with the longest network
// holding ip, or ErrNotFound.
func matchTrunk(ts []Trunk, ip netip.Addr) (Trunk, error) {
	ip = ip.Unmap()
	best, bits := -1, -1
	for i, t := range ts {
		if !t.Enabled {
			continue
		}
		for _, p := range t.Networks {
			if p.Contains(ip) && p.Bits() > bits {
				best, bits = i, p.Bits()
			}
		}
	}
	if best < 0 {
		return Trunk{}, fmt.Errorf("%w: trunk for %s", ErrNotFound, ip)
	}
	return ts[best], nil
}

// trunks reads trunks with their networks, only enabled ones if asked.
func (s *Store) trunks(ctx context.Context, enabledOnly bool) ([]Trunk, error) {
	rows, err := s.db.QueryContext(ctx, s.d.q(`SELECT t.name, t.enabled, t.description, n.prefix
	FROM trunks t JOIN trunk_networks n ON n.trunk = t.name
	WHERE t.enabled OR ? = 0 ORDER BY t.name, n.prefix`), boolInt(enabledOnly))
	if err != nil {
		return nil, fmt.Errorf("store: trunks: %w", err)
	}
	defer rows.Close()
	var out []Trunk
	for rows.Next() {
		var t Trunk
		var prefix string
		if err := rows.Scan(&t.Name, &t.Enabled, &t.Description, &prefix); err != nil {
			return nil, fmt.Errorf("store: trunks: %w", err)
		}
		p, err := netip.ParsePrefix(prefix)
		if err != nil {
			return nil, fmt.Errorf("store: trunk %s: stored network %q: %w", t.Name, prefix, err)
		}
		if n := len(out); n > 0 && out[n-1].Name == t.Name {
			out[n-1].Networks = append(out[n-1].Networks, p)
			continue
		}
		t.Networks = []netip.Prefix{p}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: trunks: %w", err)
	}
	return out, nil
}

// boolInt is 1 for true, 0 for false.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
