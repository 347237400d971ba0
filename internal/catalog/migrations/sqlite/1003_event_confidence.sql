-- Keyword detections (issue 8) carry the engine's confidence, in
-- [0, 1], and what found them (spot, stream); other events leave both
-- at their defaults.
ALTER TABLE recording_events ADD COLUMN confidence REAL NOT NULL DEFAULT 0;
ALTER TABLE recording_events ADD COLUMN source TEXT NOT NULL DEFAULT '';
