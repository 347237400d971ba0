package store

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
)

// User is a SIP user who authenticates with HTTP digest (RFC 3261
// section 22, RFC 2617, RFC 7616). The store keeps HA1 =
// MD5(username:realm:password) and its SHA-256 counterpart, never the
// password; Domain is the digest realm.
type User struct {
	// Username is the digest username (normally the AOR's user part).
	Username string
	// Domain is the user's domain, used as the digest realm.
	Domain string
	// HA1 is the lowercase hex MD5(Username:Domain:password); see HA1.
	HA1 string
	// HA1SHA256 is the lowercase hex SHA-256(Username:Domain:password)
	// (RFC 7616 §3.4.2); see HA1SHA256. Empty for users stored without
	// it: they can answer MD5 challenges only.
	HA1SHA256 string
	// Enabled users may authenticate; AddUser stores the value as given.
	Enabled bool
	// DisplayName is free text, for example for a From header field.
	DisplayName string
}

// HA1 returns the digest HA1 for user, realm and password as lowercase
// hex, the value User.HA1 holds.
func HA1(user, realm, password string) string {
	h := md5.Sum([]byte(user + ":" + realm + ":" + password))
	return hex.EncodeToString(h[:])
}

// HA1SHA256 returns the RFC 7616 SHA-256 HA1 for user, realm and password
// as lowercase hex, the value User.HA1SHA256 holds.
func HA1SHA256(user, realm, password string) string {
	h := sha256.Sum256([]byte(user + ":" + realm + ":" + password))
	return hex.EncodeToString(h[:])
}

// validHA1 reports whether s is 32 lowercase hex digits.
func validHA1(s string) bool { return validHex(s, 32) }

// validHex reports whether s is n lowercase hex digits.
func validHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// AddUser inserts u; ErrExists if Username@Domain is already there.
func (s *Store) AddUser(ctx context.Context, u User) error {
	if u.Username == "" || u.Domain == "" {
		return fmt.Errorf("%w: user needs username and domain", ErrInvalid)
	}
	if !validHA1(u.HA1) {
		return fmt.Errorf("%w: ha1 of %s@%s is not 32 lowercase hex digits", ErrInvalid, u.Username, u.Domain)
	}
	if u.HA1SHA256 != "" && !validHex(u.HA1SHA256, 64) {
		return fmt.Errorf("%w: sha-256 ha1 of %s@%s is not 64 lowercase hex digits", ErrInvalid, u.Username, u.Domain)
	}
	_, err := s.db.ExecContext(ctx, s.d.q(`INSERT INTO users (username, domain, ha1, ha1_sha256, enabled, display_name)
	VALUES (?, ?, ?, ?, ?, ?)`), u.Username, u.Domain, u.HA1, u.HA1SHA256, u.Enabled, u.DisplayName)
	if isUnique(err) {
		return fmt.Errorf("%w: user %s@%s", ErrExists, u.Username, u.Domain)
	}
	if err != nil {
		return fmt.Errorf("store: add user %s@%s: %w", u.Username, u.Domain, err)
	}
	return nil
}

// RemoveUser deletes username@domain, or returns ErrNotFound.
func (s *Store) RemoveUser(ctx context.Context, username, domain string) error {
	res, err := s.db.ExecContext(ctx, s.d.q(`DELETE FROM users WHERE username = ? AND domain = ?`), username, domain)
	if err != nil {
		return fmt.Errorf("store: remove user %s@%s: %w", username, domain, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("%w: user %s@%s", ErrNotFound, username, domain)
	}
	return nil
}

// ListUsers returns the users of domain, or of every domain when domain
// is empty, ordered by domain and username.
func (s *Store) ListUsers(ctx context.Context, domain string) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, s.d.q(`SELECT username, domain, ha1, ha1_sha256, enabled, display_name FROM users
	WHERE ? = '' OR domain = ? ORDER BY domain, username`), domain, domain)
	if err != nil {
		return nil, fmt.Errorf("store: list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var u User
		if err := rows.Scan(&u.Username, &u.Domain, &u.HA1, &u.HA1SHA256, &u.Enabled, &u.DisplayName); err != nil {
			return nil, fmt.Errorf("store: list users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list users: %w", err)
	}
	return out, nil
}

// UserHA1 returns the HA1 of user in realm (the user's domain) for digest
// verification: ErrNotFound when there is no such user, ErrDisabled when
// the user is disabled.
func (s *Store) UserHA1(ctx context.Context, user, realm string) (string, error) {
	u, err := s.UserCredentials(ctx, user, realm)
	return u.HA1, err
}

// UserCredentials returns user in realm with both HA1s for digest
// verification: ErrNotFound when there is no such user, ErrDisabled when
// the user is disabled (the User is then empty).
func (s *Store) UserCredentials(ctx context.Context, user, realm string) (User, error) {
	u := User{Username: user, Domain: realm}
	err := s.db.QueryRowContext(ctx, s.d.q(`SELECT ha1, ha1_sha256, enabled, display_name FROM users WHERE username = ? AND domain = ?`),
		user, realm).Scan(&u.HA1, &u.HA1SHA256, &u.Enabled, &u.DisplayName)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("%w: user %s@%s", ErrNotFound, user, realm)
	}
	if err != nil {
		return User{}, fmt.Errorf("store: user %s@%s: %w", user, realm, err)
	}
	if !u.Enabled {
		return User{}, fmt.Errorf("%w: user %s@%s", ErrDisabled, user, realm)
	}
	return u, nil
}

// HasUsers reports whether the users table has any row, enabled or not
// (callrec serve's auth: auto authenticates only then).
func (s *Store) HasUsers(ctx context.Context) (bool, error) {
	var one int
	err := s.db.QueryRowContext(ctx, `SELECT 1 FROM users LIMIT 1`).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: has users: %w", err)
	}
	return true, nil
}
