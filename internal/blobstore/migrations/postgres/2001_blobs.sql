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

CREATE TABLE recording_chunks (
    key  TEXT   NOT NULL,
    off  BIGINT NOT NULL,
    data BYTEA  NOT NULL,
    PRIMARY KEY (key, off)
);
-- Audio barely compresses: store chunks out of line (TOAST) without
-- trying pglz on every write.
ALTER TABLE recording_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
