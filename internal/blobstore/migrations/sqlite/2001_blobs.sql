-- Recordings stored as database BLOBs (issue 6). An object is a row of
-- recording_blobs and the chunks that hold its bytes: contiguous,
-- non-overlapping, keyed by their offset, none larger than the target's
-- chunk size, and none straddling the 512-byte header window. Times are
-- unix milliseconds.
CREATE TABLE recording_blobs (
    key        TEXT    PRIMARY KEY,
    size       BIGINT  NOT NULL DEFAULT 0,
    sha256     TEXT    NOT NULL DEFAULT '',
    committed  BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at BIGINT  NOT NULL
);

-- A rowid table, not WITHOUT ROWID: the rows are large, and SQLite keeps
-- large rows best in a table b-tree with overflow pages.
CREATE TABLE recording_chunks (
    key  TEXT   NOT NULL,
    off  BIGINT NOT NULL,
    data BLOB   NOT NULL,
    PRIMARY KEY (key, off)
);
