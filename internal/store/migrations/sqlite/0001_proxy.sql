-- Registrar, routes, users and trunks for the SIP proxy (issue 5).
-- Times are unix milliseconds (BIGINT) in both dialects.
CREATE TABLE locations (
    aor        TEXT    NOT NULL,
    contact    TEXT    NOT NULL,
    received   TEXT    NOT NULL DEFAULT '',
    transport  TEXT    NOT NULL DEFAULT '',
    expires_at BIGINT  NOT NULL,
    q          REAL    NOT NULL DEFAULT 1.0,
    call_id    TEXT    NOT NULL DEFAULT '',
    cseq       BIGINT  NOT NULL DEFAULT 0,
    user_agent TEXT    NOT NULL DEFAULT '',
    updated_at BIGINT  NOT NULL,
    PRIMARY KEY (aor, contact)
);
CREATE INDEX locations_expires ON locations (expires_at);

CREATE TABLE routes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT    NOT NULL DEFAULT 'prefix' CHECK (kind IN ('prefix', 'exact', 'regex')),
    pattern     TEXT    NOT NULL,
    destination TEXT    NOT NULL,
    priority    INTEGER NOT NULL DEFAULT 0,
    enabled     BOOLEAN NOT NULL DEFAULT 1,
    description TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX routes_match ON routes (kind, pattern);

CREATE TABLE users (
    username     TEXT    NOT NULL,
    domain       TEXT    NOT NULL,
    ha1          TEXT    NOT NULL,
    enabled      BOOLEAN NOT NULL DEFAULT 1,
    display_name TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (username, domain)
);

CREATE TABLE trunks (
    name        TEXT    PRIMARY KEY,
    enabled     BOOLEAN NOT NULL DEFAULT 1,
    description TEXT    NOT NULL DEFAULT ''
);

CREATE TABLE trunk_networks (
    trunk  TEXT NOT NULL REFERENCES trunks (name) ON DELETE CASCADE,
    prefix TEXT NOT NULL,
    PRIMARY KEY (trunk, prefix)
);
