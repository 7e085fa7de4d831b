-- The case lifecycle: who envelopes are sealed to, assignments, staff-action times, large
-- envelopes in chunks, and the hash-chained audit log.

-- Who can open each envelope: staff names from the keyring, or 'reporter' for the reply key.
-- Visibility of envelopes to staff follows this table (need to know).
CREATE TABLE envelope_recipients (
    envelope_id  TEXT NOT NULL REFERENCES envelopes (id) ON DELETE CASCADE,
    recipient    TEXT NOT NULL,
    PRIMARY KEY (envelope_id, recipient)
) STRICT, WITHOUT ROWID;

CREATE INDEX envelope_recipients_by_recipient ON envelope_recipients (recipient);

-- Investigators assigned to a case. Staff actions keep exact times (UTC, RFC 3339).
CREATE TABLE assignments (
    case_id      TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    staff        TEXT NOT NULL,
    assigned_at  TEXT NOT NULL,
    PRIMARY KEY (case_id, staff)
) STRICT, WITHOUT ROWID;

CREATE INDEX assignments_by_staff ON assignments (staff);

-- Deadline clocks. Set by staff actions, so exact times.
ALTER TABLE cases ADD COLUMN status_changed_at TEXT;
ALTER TABLE cases ADD COLUMN acknowledged_at TEXT;
ALTER TABLE cases ADD COLUMN first_feedback_at TEXT;
ALTER TABLE cases ADD COLUMN investigation_started_at TEXT;
ALTER TABLE cases ADD COLUMN closed_at TEXT;

-- Bodies of large envelopes (attachments), in chunks of at most 1 MiB, so that they stream in
-- and out in bounded memory. An envelope with chunks > 0 has an empty `body`. Chunks are written
-- before their envelope row exists; chunks without an envelope are removed at start.
ALTER TABLE envelopes ADD COLUMN chunks INTEGER NOT NULL DEFAULT 0;
ALTER TABLE envelopes ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
UPDATE envelopes SET size = length(body);

CREATE TABLE envelope_chunks (
    envelope_id  TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    data         BLOB NOT NULL,
    PRIMARY KEY (envelope_id, seq)
) STRICT, WITHOUT ROWID;

-- The audit chain: every staff action, in order, each record committing to the previous one.
-- hash = SHA-256(prev_hash || seq || at || actor || action || case_id || detail), see src/audit.rs.
CREATE TABLE audit (
    seq        INTEGER PRIMARY KEY NOT NULL,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    case_id    TEXT NOT NULL,
    detail     TEXT NOT NULL,
    prev_hash  BLOB NOT NULL,
    hash       BLOB NOT NULL
) STRICT;
