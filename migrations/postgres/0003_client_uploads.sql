-- Mirrors migrations/sqlite/0003_client_uploads.sql.
CREATE TABLE uploads (
    id          TEXT PRIMARY KEY,
    stanzas     BIGINT NOT NULL,
    chunks      BIGINT NOT NULL,
    size        BIGINT NOT NULL,
    created_on  TEXT NOT NULL
);
