-- Push forwarding (src/forward.rs): what the reporter sends (reports, their files, later
-- messages), still sealed, delivered to an entity's own HTTPS endpoint.

-- Entities that forward, added by a gateway at start from its configuration (never removed
-- by one, so that a gateway with an older configuration cannot drop deliveries), and the lease
-- of the gateway delivering an entity's envelopes. Retry state stays in the gateway's memory:
-- no row here or in the outbox says when a report arrived.
CREATE TABLE forward_targets (
    entity         TEXT PRIMARY KEY NOT NULL,
    claimed_until  INTEGER NOT NULL DEFAULT 0    -- Unix seconds; one gateway at a time
) STRICT, WITHOUT ROWID;

-- Envelopes waiting for delivery. The trigger adds a row in the transaction that stores the
-- envelope, so that nothing acknowledged to a reporter can miss its delivery; a row goes when
-- the receiver answers 2xx (or with its case, at the purge). The envelope id is the
-- idempotency key.
CREATE TABLE outbox (
    envelope_id  TEXT PRIMARY KEY NOT NULL REFERENCES envelopes (id) ON DELETE CASCADE,
    entity       TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX outbox_by_entity ON outbox (entity);

CREATE TRIGGER envelopes_to_outbox AFTER INSERT ON envelopes
WHEN NEW.kind IN ('report', 'attachment', 'message')
BEGIN
    INSERT INTO outbox (envelope_id, entity)
    SELECT NEW.id, c.entity FROM cases c
    WHERE c.id = NEW.case_id AND c.entity IN (SELECT entity FROM forward_targets);
END;
