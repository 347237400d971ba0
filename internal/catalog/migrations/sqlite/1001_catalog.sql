-- Recordings catalogue (issue 6). Times are unix milliseconds (BIGINT).
CREATE TABLE recordings (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    key              TEXT    NOT NULL UNIQUE,
    call_id          TEXT    NOT NULL,
    from_tag         TEXT    NOT NULL DEFAULT '',
    to_tag           TEXT    NOT NULL DEFAULT '',
    caller           TEXT    NOT NULL DEFAULT '',
    callee           TEXT    NOT NULL DEFAULT '',
    caller_name      TEXT    NOT NULL DEFAULT '',
    callee_name      TEXT    NOT NULL DEFAULT '',
    caller_user      TEXT    NOT NULL DEFAULT '',
    callee_user      TEXT    NOT NULL DEFAULT '',
    parties          TEXT    NOT NULL DEFAULT '',
    direction        TEXT    NOT NULL DEFAULT '',
    started_at       BIGINT  NOT NULL,
    answered_at      BIGINT  NOT NULL DEFAULT 0,
    ended_at         BIGINT  NOT NULL DEFAULT 0,
    duration_ms      BIGINT  NOT NULL DEFAULT 0,
    codecs           TEXT    NOT NULL DEFAULT '',
    profile          TEXT    NOT NULL DEFAULT '',
    format           TEXT    NOT NULL DEFAULT '',
    size             BIGINT  NOT NULL DEFAULT 0,
    checksum         TEXT    NOT NULL DEFAULT '',
    location         TEXT    NOT NULL DEFAULT '',
    status           TEXT    NOT NULL DEFAULT 'recording'
                     CHECK (status IN ('recording', 'complete', 'interrupted', 'failed', 'deleted')),
    reason           TEXT    NOT NULL DEFAULT '',
    node             TEXT    NOT NULL DEFAULT '',
    caller_packets   BIGINT  NOT NULL DEFAULT 0,
    caller_lost      BIGINT  NOT NULL DEFAULT 0,
    caller_jitter_ms REAL    NOT NULL DEFAULT 0,
    caller_mos       REAL    NOT NULL DEFAULT 0,
    callee_packets   BIGINT  NOT NULL DEFAULT 0,
    callee_lost      BIGINT  NOT NULL DEFAULT 0,
    callee_jitter_ms REAL    NOT NULL DEFAULT 0,
    callee_mos       REAL    NOT NULL DEFAULT 0,
    updated_at       BIGINT  NOT NULL
);
CREATE INDEX recordings_started ON recordings (started_at, id);
CREATE INDEX recordings_call ON recordings (call_id);
CREATE INDEX recordings_caller_user ON recordings (caller_user, started_at);
CREATE INDEX recordings_callee_user ON recordings (callee_user, started_at);
CREATE INDEX recordings_status ON recordings (status, started_at);
CREATE INDEX recordings_duration ON recordings (duration_ms);
CREATE INDEX recordings_node_updated ON recordings (node, updated_at);

-- Substring search over the parties (names, URIs) with trigrams.
CREATE VIRTUAL TABLE recordings_fts USING fts5(parties, content='recordings', content_rowid='id', tokenize='trigram');
CREATE TRIGGER recordings_fts_ai AFTER INSERT ON recordings BEGIN
    INSERT INTO recordings_fts (rowid, parties) VALUES (new.id, new.parties);
END;
CREATE TRIGGER recordings_fts_ad AFTER DELETE ON recordings BEGIN
    INSERT INTO recordings_fts (recordings_fts, rowid, parties) VALUES ('delete', old.id, old.parties);
END;
CREATE TRIGGER recordings_fts_au AFTER UPDATE OF parties ON recordings BEGIN
    INSERT INTO recordings_fts (recordings_fts, rowid, parties) VALUES ('delete', old.id, old.parties);
    INSERT INTO recordings_fts (rowid, parties) VALUES (new.id, new.parties);
END;

CREATE TABLE recording_labels (
    recording_id BIGINT NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    name         TEXT   NOT NULL,
    value        TEXT   NOT NULL DEFAULT '',
    PRIMARY KEY (recording_id, name)
);
CREATE INDEX recording_labels_nv ON recording_labels (name, value, recording_id);

CREATE TABLE recording_events (
    recording_id BIGINT NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    type         TEXT    NOT NULL,
    at_ms        BIGINT  NOT NULL DEFAULT 0,
    duration_ms  BIGINT  NOT NULL DEFAULT 0,
    party        TEXT    NOT NULL DEFAULT '',
    value        TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (recording_id, seq)
);
CREATE INDEX recording_events_tv ON recording_events (type, value, recording_id);
