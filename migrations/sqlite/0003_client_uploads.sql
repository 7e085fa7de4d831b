-- Files sealed by the reporter's browser, streamed in before the report or message that carries
-- them. The pieces are in envelope_chunks under the upload's id; when a report or message names
-- the upload, it becomes an envelope with the same id and this row goes. Uploads nobody claimed
-- are removed at start after a day.
CREATE TABLE uploads (
    id          TEXT PRIMARY KEY NOT NULL,   -- 128 random bits, hex; known only to the uploader
    stanzas     INTEGER NOT NULL,            -- X25519 recipient stanzas in its age header
    chunks      INTEGER NOT NULL,
    size        INTEGER NOT NULL,
    created_on  TEXT NOT NULL                -- YYYY-MM-DD
) STRICT, WITHOUT ROWID;
