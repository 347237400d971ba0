-- Labels and events carry their recording's start time, so a search by
-- label or event walks an index in time order and stops at the page
-- size instead of sorting every match.
ALTER TABLE recording_labels ADD COLUMN rec_started BIGINT NOT NULL DEFAULT 0;
UPDATE recording_labels SET rec_started = (SELECT started_at FROM recordings WHERE recordings.id = recording_labels.recording_id);
CREATE INDEX recording_labels_time ON recording_labels (name, value, rec_started, recording_id);
CREATE INDEX recording_labels_name_time ON recording_labels (name, rec_started, recording_id);
ALTER TABLE recording_events ADD COLUMN rec_started BIGINT NOT NULL DEFAULT 0;
UPDATE recording_events SET rec_started = (SELECT started_at FROM recordings WHERE recordings.id = recording_events.recording_id);
CREATE INDEX recording_events_time ON recording_events (type, value, rec_started, recording_id);
CREATE INDEX recording_events_type_time ON recording_events (type, rec_started, recording_id);
