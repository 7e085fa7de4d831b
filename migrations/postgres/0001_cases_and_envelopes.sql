-- Cases and their sealed envelopes. Nothing here opens an envelope or names a reporter.
-- Mirrors migrations/sqlite/0001_cases_and_envelopes.sql.

CREATE TABLE cases (
    id               TEXT PRIMARY KEY,            -- 128 random bits, hex
    entity           TEXT NOT NULL,               -- keyring entity id the report was routed to
    status           TEXT NOT NULL,               -- a code of cases::Status
    received_on      TEXT NOT NULL,               -- YYYY-MM-DD, day precision only
    lookup_verifier  BYTEA NOT NULL UNIQUE,       -- HMAC-SHA256(server secret, lookup key)
    reply_recipient  TEXT NOT NULL                -- age1… public key derived from the token
);

CREATE INDEX cases_by_entity ON cases (entity, received_on);

CREATE TABLE envelopes (
    id          TEXT PRIMARY KEY,                 -- 128 random bits, hex
    case_id     TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,                    -- a code of cases::EnvelopeKind
    created_on  TEXT NOT NULL,                    -- YYYY-MM-DD
    body        BYTEA NOT NULL                    -- the age file, padded before sealing
);

CREATE INDEX envelopes_by_case ON envelopes (case_id, created_on);
