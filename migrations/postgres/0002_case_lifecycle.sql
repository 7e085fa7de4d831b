-- Mirrors migrations/sqlite/0002_case_lifecycle.sql.

CREATE TABLE envelope_recipients (
    envelope_id  TEXT NOT NULL REFERENCES envelopes (id) ON DELETE CASCADE,
    recipient    TEXT NOT NULL,
    PRIMARY KEY (envelope_id, recipient)
);

CREATE INDEX envelope_recipients_by_recipient ON envelope_recipients (recipient);

CREATE TABLE assignments (
    case_id      TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    staff        TEXT NOT NULL,
    assigned_at  TEXT NOT NULL,
    PRIMARY KEY (case_id, staff)
);

CREATE INDEX assignments_by_staff ON assignments (staff);

ALTER TABLE cases ADD COLUMN status_changed_at TEXT;
ALTER TABLE cases ADD COLUMN acknowledged_at TEXT;
ALTER TABLE cases ADD COLUMN first_feedback_at TEXT;
ALTER TABLE cases ADD COLUMN investigation_started_at TEXT;
ALTER TABLE cases ADD COLUMN closed_at TEXT;

ALTER TABLE envelopes ADD COLUMN chunks BIGINT NOT NULL DEFAULT 0;
ALTER TABLE envelopes ADD COLUMN size BIGINT NOT NULL DEFAULT 0;
UPDATE envelopes SET size = octet_length(body);

CREATE TABLE envelope_chunks (
    envelope_id  TEXT NOT NULL,
    seq          BIGINT NOT NULL,
    data         BYTEA NOT NULL,
    PRIMARY KEY (envelope_id, seq)
);

CREATE TABLE audit (
    seq        BIGINT PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    case_id    TEXT NOT NULL,
    detail     TEXT NOT NULL,
    prev_hash  BYTEA NOT NULL,
    hash       BYTEA NOT NULL
);
