-- Key rotation (`confide keys rotate`). The key each staff member's envelopes are sealed to,
-- as the gateways last saw it in the signed keyring, and the key before it; and, for each
-- recipient of each envelope, the key it was sealed to. A member may seal an envelope again
-- only where it is still sealed to the key they are rotating away from, so each envelope once,
-- and never one sealed after the rotation: nobody can overwrite a shared envelope at will.
CREATE TABLE staff_keys (
    name                TEXT PRIMARY KEY NOT NULL,
    recipient           TEXT NOT NULL,       -- their age key in the signed keyring
    previous_recipient  TEXT                 -- the key before it; NULL: never rotated
) STRICT, WITHOUT ROWID;

-- The highest keyring serial a gateway of this database has used: an older signed keyring is
-- refused, so that a member removed from the keyring cannot be put back with an earlier one.
CREATE TABLE keyring_state (
    id      INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    serial  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- The key a staff recipient's copy was sealed to, from staff_keys at the time (every insert
-- writes it, src/store/sqlite/envelopes.rs); NULL for the reporter and for envelopes stored
-- before this migration.
ALTER TABLE envelope_recipients ADD COLUMN sealed_key TEXT;
