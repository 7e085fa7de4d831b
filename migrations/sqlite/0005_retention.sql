-- What stays of purged cases: counts only, by entity, month of receipt and final status, so
-- that yearly statistics survive the purge and nothing else does.
CREATE TABLE purged_counts (
    entity          TEXT NOT NULL,
    received_month  TEXT NOT NULL,   -- YYYY-MM
    final_status    TEXT NOT NULL,
    cases           INTEGER NOT NULL,
    PRIMARY KEY (entity, received_month, final_status)
) STRICT, WITHOUT ROWID;
