-- Cases and their sealed envelopes. Nothing here opens an envelope or names a reporter.
--
-- Tables are WITHOUT ROWID with random text keys, so that the file does not record the order in
-- which reports arrived; reporter-originated dates are kept to the day.

CREATE TABLE cases (
    id               TEXT PRIMARY KEY NOT NULL,   -- 128 random bits, hex
    entity           TEXT NOT NULL,               -- keyring entity id the report was routed to
    status           TEXT NOT NULL,               -- a code of cases::Status
    received_on      TEXT NOT NULL,               -- YYYY-MM-DD, day precision only
    lookup_verifier  BLOB NOT NULL UNIQUE,        -- HMAC-SHA256(server secret, lookup key)
    reply_recipient  TEXT NOT NULL                -- age1… public key derived from the token
) STRICT, WITHOUT ROWID;

CREATE INDEX cases_by_entity ON cases (entity, received_on);

CREATE TABLE envelopes (
    id          TEXT PRIMARY KEY NOT NULL,        -- 128 random bits, hex
    case_id     TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,                    -- a code of cases::EnvelopeKind
    created_on  TEXT NOT NULL,                    -- YYYY-MM-DD
    body        BLOB NOT NULL                     -- the age file, padded before sealing
) STRICT, WITHOUT ROWID;

CREATE INDEX envelopes_by_case ON envelopes (case_id, created_on);
