-- Digest HA1 with SHA-256 (RFC 7616) beside the MD5 one; '' for users
-- added before it was stored (they can answer only MD5 challenges).
ALTER TABLE users ADD COLUMN ha1_sha256 TEXT NOT NULL DEFAULT '';
